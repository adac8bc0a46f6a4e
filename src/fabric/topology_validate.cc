#include "fabric/topology_validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "spec/error.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

// CXL HDM decoder and CFMWS ranges are multiples of 256 MiB (CXL 3.1 §8.2.4.20.5, §9.18.1.3).
constexpr Bytes kCapacityAlign = MiB(256);

class Checker {
 public:
  explicit Checker(const Topology& t) : t_(t) {}

  std::vector<Diagnostic> run() {
    collect_ids();
    check_windows();
    check_host_bridges();
    check_root_ports();
    check_switches();
    check_downstream_ports();
    check_type3();
    check_type2();
    check_serials();
    check_links();
    check_empty_ports();
    check_bus_ranges();
    if (is_empty()) {
      error("", "topology is empty: no host bridges, windows or devices");
      return std::move(out_);
    }
    if (t_.host_bridges.empty()) warn("", "topology has no host bridges");
    if (t_.type3.empty() && t_.type2.empty()) warn("", "topology has no devices");
    return std::move(out_);
  }

 private:
  void error(const std::string& id, std::string msg) { out_.push_back({Severity::kError, id, std::move(msg)}); }
  void warn(const std::string& id, std::string msg) { out_.push_back({Severity::kWarning, id, std::move(msg)}); }

  // Nothing to build: an empty file, or one holding only comments or unrelated tables.
  bool is_empty() const {
    return t_.host_bridges.empty() && t_.windows.empty() && t_.root_ports.empty() &&
           t_.switches.empty() && t_.type3.empty() && t_.type2.empty();
  }

  void collect_ids() {
    auto add = [&](const std::string& id, const char* kind) {
      if (id.empty()) {
        error(id, fmt::format("a {} has an empty id", kind));
        return;
      }
      auto [it, fresh] = kinds_.emplace(id, kind);
      if (!fresh) error(id, fmt::format("duplicate id '{}' ({} and {})", id, it->second, kind));
    };
    for (const auto& e : t_.windows) add(e.id, "window");
    for (const auto& e : t_.host_bridges) add(e.id, "host_bridge");
    for (const auto& e : t_.root_ports) add(e.id, "root_port");
    for (const auto& e : t_.switches) add(e.id, "switch");
    for (const auto& e : t_.downstream_ports) add(e.id, "downstream_port");
    for (const auto& e : t_.type3) add(e.id, "type3");
    for (const auto& e : t_.type2) add(e.id, "type2");
  }

  // "" when `id` is not defined, else its kind.
  std::string kind_of(const std::string& id) const {
    auto it = kinds_.find(id);
    return it == kinds_.end() ? "" : it->second;
  }

  // Checks that `ref` (the value of `key` in element `id`) names one of `allowed` kinds.
  bool check_ref(const std::string& id, std::string_view key, const std::string& ref,
                 std::initializer_list<std::string_view> allowed, std::string_view expected) {
    std::string kind = kind_of(ref);
    if (kind.empty()) {
      error(id, fmt::format("{} '{}' does not exist", key, ref));
      return false;
    }
    for (auto a : allowed) {
      if (a == kind) return true;
    }
    error(id, fmt::format("{} '{}' is a {}, expected {}", key, ref, kind, expected));
    return false;
  }

  // link_width / link_speed of every link end (pcie_link.h).
  void check_link(const std::string& id, const LinkCaps& c) {
    if (c.width && !is_link_width(*c.width)) {
      error(id, fmt::format("link_width {} is not a PCIe link width (1, 2, 4, 8 or 16 lanes)", *c.width));
    }
    if (c.speed && !is_link_speed(*c.speed)) {
      error(id, fmt::format("link_speed code {} is not a PCIe link speed (2.5, 5, 8, 16, 32 or 64 GT/s)",
                            static_cast<unsigned>(*c.speed)));
    }
  }

  void check_links() {
    for (const auto& e : t_.root_ports) check_link(e.id, e.link);
    for (const auto& e : t_.switches) check_link(e.id, e.link);
    for (const auto& e : t_.downstream_ports) check_link(e.id, e.link);
    for (const auto& e : t_.type3) check_link(e.id, e.link);
    for (const auto& e : t_.type2) check_link(e.id, e.link);
  }

  void check_size(const std::string& id, std::string_view what, Bytes size) {
    if (size % kCapacityAlign != Bytes(0)) {
      error(id, fmt::format("{} {} is not a multiple of 256 MiB", what, format_bytes(size)));
    }
  }

  void check_windows() {
    std::vector<std::pair<uint64_t, const WindowSpec*>> placed;
    for (const auto& w : t_.windows) {
      if (w.size == Bytes(0)) error(w.id, "window size is 0");
      check_size(w.id, "window size", w.size);
      if (w.base && *w.base % kCapacityAlign.value() != 0) {
        error(w.id, fmt::format("window base 0x{:x} is not a multiple of 256 MiB", *w.base));
      }
      if (!is_valid_ways(static_cast<unsigned>(w.targets.size()))) {
        error(w.id, fmt::format("{} targets: interleave ways must be 1, 2, 3, 4, 6, 8, 12 or 16", w.targets.size()));
      }
      if (!is_valid_granularity(w.granularity.value())) {
        error(w.id, fmt::format("granularity {} is not a power of two from 256 B to 16 KiB",
                                format_bytes(w.granularity)));
      }
      std::set<std::string> seen;
      for (const auto& target : w.targets) {
        if (!seen.insert(target).second) error(w.id, fmt::format("target '{}' is listed twice", target));
        check_ref(w.id, "target", target, {"host_bridge"}, "a host bridge");
      }
      if (w.base) placed.emplace_back(*w.base, &w);
    }
    std::sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < placed.size(); ++i) {
      const WindowSpec& prev = *placed[i - 1].second;
      if (*prev.base + prev.size.value() > placed[i].first) {
        error(placed[i].second->id, fmt::format("window overlaps window '{}'", prev.id));
      }
    }
  }

  void check_host_bridges() {
    std::map<unsigned, std::string> bus, uid;
    for (const auto& hb : t_.host_bridges) {
      if (hb.bus_nr == 0 || hb.bus_nr > 255) {
        error(hb.id, fmt::format("bus_nr {} is out of range 1..255 (bus 0 is the main PCIe root bus)", hb.bus_nr));
      }
      if (auto [it, fresh] = bus.emplace(hb.bus_nr, hb.id); !fresh) {
        error(hb.id, fmt::format("bus_nr {} is also used by host bridge '{}'", hb.bus_nr, it->second));
      }
      if (auto [it, fresh] = uid.emplace(hb.uid, hb.id); !fresh) {
        error(hb.id, fmt::format("uid {} is also used by host bridge '{}'", hb.uid, it->second));
      }
      bool targeted = false;
      for (const auto& w : t_.windows) {
        for (const auto& target : w.targets) targeted = targeted || target == hb.id;
      }
      if (!targeted) warn(hb.id, "no window targets this host bridge: memory below it cannot be mapped");
    }
  }

  // Port numbers are 8-bit and unique below one parent (PCIe Link Capabilities, Port Number).
  void check_port_number(const std::string& id, const std::string& parent, unsigned port,
                         std::map<std::pair<std::string, unsigned>, std::string>& used) {
    if (port > 255) error(id, fmt::format("port number {} is out of range 0..255", port));
    if (auto [it, fresh] = used.emplace(std::make_pair(parent, port), id); !fresh) {
      error(id, fmt::format("port number {} is also used by '{}' below '{}'", port, it->second, parent));
    }
  }

  void check_root_ports() {
    std::map<std::pair<std::string, unsigned>, std::string> used;
    for (const auto& rp : t_.root_ports) {
      check_ref(rp.id, "host_bridge", rp.host_bridge, {"host_bridge"}, "a host bridge");
      check_port_number(rp.id, rp.host_bridge, rp.port_number, used);
    }
  }

  void check_downstream_ports() {
    std::map<std::pair<std::string, unsigned>, std::string> used;
    for (const auto& dp : t_.downstream_ports) {
      check_ref(dp.id, "switch", dp.switch_id, {"switch"}, "a switch");
      check_port_number(dp.id, dp.switch_id, dp.port_number, used);
    }
  }

  // A PCIe link is point to point: one switch or device below each port.
  void claim_port(const std::string& id, const std::string& port) {
    if (auto [it, fresh] = below_port_.emplace(port, id); !fresh) {
      error(id, fmt::format("port '{}' already has '{}' below it (a link has one device)", port, it->second));
    }
  }

  void check_switches() {
    for (const auto& s : t_.switches) {
      if (check_ref(s.id, "parent", s.parent, {"root_port", "downstream_port"}, "a root port or downstream port")) {
        claim_port(s.id, s.parent);
      }
      // Walk up: switch -> parent downstream port -> its switch -> ... must reach a root port.
      std::set<std::string> seen{s.id};
      const SwitchSpec* cur = &s;
      while (cur != nullptr) {
        const DownstreamPortSpec* dp = t_.find_downstream_port(cur->parent);
        if (dp == nullptr) break;
        if (!seen.insert(dp->switch_id).second) {
          error(s.id, fmt::format("switch is below its own downstream port '{}' (a cycle)", dp->id));
          break;
        }
        cur = t_.find_switch(dp->switch_id);
      }
    }
  }

  void check_type3() {
    for (const auto& d : t_.type3) {
      if (check_ref(d.id, "parent", d.parent, {"root_port", "downstream_port"}, "a root port or downstream port")) {
        claim_port(d.id, d.parent);
      }
      if (d.volatile_size == Bytes(0) && d.persistent_size == Bytes(0)) {
        error(d.id, "device has no memory (volatile and persistent are both 0)");
      }
      check_size(d.id, "volatile capacity", d.volatile_size);
      check_size(d.id, "persistent capacity", d.persistent_size);
      check_dc(d);
    }
  }

  // DC regions (CXL 3.1 §8.2.9.9.9.1): at most 8, each a nonzero multiple of 256 MiB and of the
  // block size, which is a power of two of at least 64 B.
  void check_dc(const Type3Spec& d) {
    if (d.dc_regions.empty()) return;
    if (d.dc_regions.size() > 8) error(d.id, fmt::format("{} DC regions (at most 8)", d.dc_regions.size()));
    const uint64_t bs = d.dc_block_size.value();
    if (bs < 64 || (bs & (bs - 1)) != 0) {
      error(d.id, fmt::format("dc_block_size {} is not a power of two of at least 64 B", format_bytes(d.dc_block_size)));
    }
    for (size_t i = 0; i < d.dc_regions.size(); ++i) {
      const Bytes r = d.dc_regions[i];
      const std::string what = fmt::format("DC region {}", i);
      if (r == Bytes(0)) error(d.id, what + " is empty");
      check_size(d.id, what, r);
      if (bs != 0 && r.value() % bs != 0) {
        error(d.id, fmt::format("{} {} is not a multiple of dc_block_size {}", what, format_bytes(r),
                                format_bytes(d.dc_block_size)));
      }
    }
  }

  void check_type2() {
    for (const auto& d : t_.type2) {
      if (check_ref(d.id, "parent", d.parent, {"root_port", "downstream_port"}, "a root port or downstream port")) {
        claim_port(d.id, d.parent);
      }
      if (d.hdm_size == Bytes(0)) error(d.id, "device has no memory (hdm is 0)");
      check_size(d.id, "hdm capacity", d.hdm_size);
    }
  }

  // Serial 0 means "not set" (QEMU then omits the Device Serial Number capability).
  void check_serials() {
    std::map<uint64_t, std::string> used;
    auto check = [&](const std::string& id, uint64_t serial) {
      if (serial == 0) return;
      if (auto [it, fresh] = used.emplace(serial, id); !fresh) {
        error(id, fmt::format("serial 0x{:x} is also used by '{}'", serial, it->second));
      }
    };
    for (const auto& d : t_.type3) check(d.id, d.serial);
    for (const auto& d : t_.type2) check(d.id, d.serial);
  }

  void check_empty_ports() {
    for (const auto& rp : t_.root_ports) {
      if (!below_port_.contains(rp.id)) warn(rp.id, "root port has nothing below it");
    }
    for (const auto& dp : t_.downstream_ports) {
      if (!below_port_.contains(dp.id)) warn(dp.id, "downstream port has nothing below it");
    }
    for (const auto& s : t_.switches) {
      bool any = false;
      for (const auto& dp : t_.downstream_ports) any = any || dp.switch_id == s.id;
      if (!any) warn(s.id, "switch has no downstream ports");
    }
    for (const auto& hb : t_.host_bridges) {
      bool any = false;
      for (const auto& rp : t_.root_ports) any = any || rp.host_bridge == hb.id;
      if (!any) warn(hb.id, "host bridge has no root ports");
    }
  }

  // Buses below `port` (its secondary bus and what hangs off it), counted as firmware numbers
  // them: a switch adds its internal bus and one bus per downstream port.
  unsigned buses_below(const std::string& port, int depth) const {
    unsigned n = 1;
    if (depth > 32) return n;  // a cycle; check_switches reports it
    for (const auto& s : t_.switches) {
      if (s.parent != port) continue;
      n += 1;
      for (const auto& dp : t_.downstream_ports) {
        if (dp.switch_id == s.id) n += buses_below(dp.id, depth + 1);
      }
    }
    return n;
  }

  // A host bridge owns buses bus_nr .. (next host bridge's bus_nr - 1); what is below it must fit
  // (PCI-to-PCI bridge secondary/subordinate numbering, PCIe Base 6.0 §7.5.1.3).
  void check_bus_ranges() {
    std::vector<std::pair<unsigned, const HostBridgeSpec*>> hbs;
    for (const auto& hb : t_.host_bridges) hbs.emplace_back(hb.bus_nr, &hb);
    std::sort(hbs.begin(), hbs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < hbs.size(); ++i) {
      const HostBridgeSpec& hb = *hbs[i].second;
      unsigned need = 1;
      for (const auto& rp : t_.root_ports) {
        if (rp.host_bridge == hb.id) need += buses_below(rp.id, 0);
      }
      unsigned last = hb.bus_nr + need - 1;
      if (last > 255) {
        error(hb.id, fmt::format("needs buses {}..{}, beyond bus 255", hb.bus_nr, last));
      } else if (i + 1 < hbs.size() && hbs[i + 1].first <= last && hbs[i + 1].first != hb.bus_nr) {
        error(hb.id, fmt::format("needs buses {}..{} but host bridge '{}' starts at bus {}", hb.bus_nr, last,
                                 hbs[i + 1].second->id, hbs[i + 1].first));
      }
    }
  }

  const Topology& t_;
  std::map<std::string, std::string> kinds_;        // id -> element kind
  std::map<std::string, std::string> below_port_;   // port id -> the id of what is below it
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> validate(const Topology& t) { return Checker(t).run(); }

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) {
    if (d.severity == Severity::kError) return true;
  }
  return false;
}

std::string to_string(const Diagnostic& d) {
  const char* sev = d.severity == Severity::kError ? "error" : "warning";
  if (d.element.empty()) return fmt::format("{}: {}", sev, d.message);
  return fmt::format("{}: '{}': {}", sev, d.element, d.message);
}

void validate_or_throw(const Topology& t) {
  std::string msg;
  for (const auto& d : validate(t)) {
    if (d.severity != Severity::kError) continue;
    msg += (msg.empty() ? "" : "\n") + to_string(d);
  }
  if (!msg.empty()) throw ValidationError("invalid topology" + (t.name.empty() ? "" : " '" + t.name + "'") + ":\n" + msg);
}

}  // namespace cxlsim
