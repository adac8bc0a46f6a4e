#include "vm/qemu_limits.h"

#include <fmt/format.h>

#include <algorithm>

namespace cxlsim::vm {

namespace {

// The most window targets (host bridges) QEMU 7.2 interleaves correctly.
constexpr std::size_t kMaxWindowWays = 8;

void check_windows(const Topology& t, std::vector<QemuLimitViolation>& out) {
  for (const auto& w : t.windows) {
    if (w.targets.size() <= kMaxWindowWays) continue;
    // QEMU 10.0.2 (observed): 16 ways route as cxlsim does; 12 ways boot, but each granule
    // lands (window base / granularity) mod 12 positions further than cxlsim puts it (QEMU
    // decodes the modulo-3 interleave on the absolute address; its window at 0x110000000 is no
    // multiple of 12 x 256 MiB). Other counts were not run.
    const std::size_t ways = w.targets.size();
    const Qemu10Status q10 = ways == 16   ? Qemu10Status::kFixed
                             : ways == 12 ? Qemu10Status::kObserved
                                          : Qemu10Status::kNotReverified;
    out.push_back(
        {"window over more than 8 ways", w.id,
         fmt::format("{} host bridges; QEMU 7.2 crashes (12 ways) or writes a corrupt CFMWS (16 "
                     "ways) above {}",
                     ways, kMaxWindowWays),
         q10,
         ways == 12 ? "12 host bridges; QEMU 10.0.2 places each granule (window base / "
                      "granularity) mod 12 positions away from where cxlsim puts it"
                    : ""});
  }
}

void check_host_bridges(const Topology& t, std::vector<QemuLimitViolation>& out) {
  for (const auto& hb : t.host_bridges) {
    auto ports = std::count_if(t.root_ports.begin(), t.root_ports.end(),
                               [&](const RootPortSpec& rp) { return rp.host_bridge == hb.id; });
    if (ports != 1) continue;
    out.push_back({"single-root-port host bridge", hb.id,
                   "Linux programs no decoder on a pass-through host bridge and QEMU 7.2 drops "
                   "the accesses below it (reads return zeros, writes are lost)",
                   Qemu10Status::kFixed, ""});
  }
}

void check_switches(const Topology& t, std::vector<QemuLimitViolation>& out) {
  for (const auto& sw : t.switches) {
    if (t.find_downstream_port(sw.parent) == nullptr) continue;
    out.push_back({"switch below a switch", sw.id,
                   fmt::format("below downstream port {}; QEMU 7.2 routes through one switch "
                               "only and drops the accesses below this one",
                               sw.parent),
                   Qemu10Status::kObserved, ""});
  }
}

}  // namespace

std::vector<QemuLimitViolation> qemu72_limit_violations(const Topology& t) {
  std::vector<QemuLimitViolation> out;
  check_windows(t, out);
  check_host_bridges(t, out);
  check_switches(t, out);
  return out;
}

std::vector<QemuLimitViolation> qemu10_limit_violations(std::vector<QemuLimitViolation> v) {
  std::erase_if(v, [](const QemuLimitViolation& x) { return x.qemu10 == Qemu10Status::kFixed; });
  return v;
}

std::string describe(const QemuLimitViolation& v, bool qemu10) {
  const bool own = qemu10 && !v.qemu10_detail.empty();
  return fmt::format("{}: {}: {}", v.element, v.rule, own ? v.qemu10_detail : v.detail);
}

}  // namespace cxlsim::vm
