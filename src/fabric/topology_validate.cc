#include "fabric/topology_validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "spec/error.h"
#include "spec/hdm_decoder.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

// CXL HDM decoder and CFMWS ranges are multiples of 256 MiB (CXL 3.1 §8.2.4.20.5, §9.18.1.3).
constexpr Bytes kCapacityAlign = MiB(256);
// Label storage beyond this is refused before anything is allocated for it.
constexpr Bytes kMaxLsa = MiB(256);

class Checker {
 public:
  explicit Checker(const Topology& t) : t_(t) {}

  std::vector<Diagnostic> run() {
    collect_ids();
    index();
    check_windows();
    check_host_bridges();
    check_root_ports();
    check_switches();
    check_downstream_ports();
    check_type3();
    check_type2();
    check_pool();
    check_serials();
    check_hdm_decoders();
    check_links();
    check_empty_ports();
    check_bus_ranges();
    if (t_.empty()) {  // an empty file, or one holding only comments or unrelated tables
      error("", "topology is empty: no host bridges, windows, devices or pool");
      return std::move(out_);
    }
    const bool pool = !t_.hosts.empty();  // a pool alone needs no host bridge or placed device
    if (t_.host_bridges.empty() && !pool) warn("", "topology has no host bridges");
    if (t_.type3.empty() && t_.type2.empty() && !pool) warn("", "topology has no devices");
    return std::move(out_);
  }

 private:
  void error(const std::string& id, std::string msg) {
    out_.push_back({Severity::kError, id, std::move(msg)});
  }
  void warn(const std::string& id, std::string msg) {
    out_.push_back({Severity::kWarning, id, std::move(msg)});
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
    for (const auto& e : t_.hosts) add(e.id, "host");
    for (const auto& e : t_.mlds) add(e.id, "mld");
    for (const auto& e : t_.dcds) add(e.id, "dcd");
  }

  // "" when `id` is not defined, else its kind.
  [[nodiscard]] std::string kind_of(const std::string& id) const {
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
      error(id, fmt::format("link_width {} is not a PCIe link width (1, 2, 4, 8 or 16 lanes)",
                            *c.width));
    }
    if (c.speed && !is_link_speed(*c.speed)) {
      error(id, fmt::format(
                    "link_speed code {} is not a PCIe link speed (2.5, 5, 8, 16, 32 or 64 GT/s)",
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
        error(w.id, fmt::format("{} targets: interleave ways must be 1, 2, 3, 4, 6, 8, 12 or 16",
                                w.targets.size()));
      } else if (w.size.value() % (kCapacityAlign.value() * w.targets.size()) != 0) {
        // CXL 3.1 §9.18.1.3 (CFMWS Window Size): a multiple of 256 MiB x the interleave ways.
        error(w.id, fmt::format("window size {} is not a multiple of {} targets x 256 MiB",
                                format_bytes(w.size), w.targets.size()));
      }
      if (!is_valid_granularity(w.granularity.value())) {
        error(w.id, fmt::format("granularity {} is not a power of two from 256 B to 16 KiB",
                                format_bytes(w.granularity)));
      }
      std::set<std::string> seen;
      for (const auto& target : w.targets) {
        if (!seen.insert(target).second) {
          error(w.id, fmt::format("target '{}' is listed twice", target));
        }
        check_ref(w.id, "target", target, {"host_bridge"}, "a host bridge");
      }
      if (w.base && w.size.value() > ~uint64_t{0} - *w.base) {
        error(w.id, fmt::format("window base 0x{:x} + size {} is beyond the 64-bit address space",
                                *w.base, format_bytes(w.size)));
        continue;
      }
      if (w.base) placed.emplace_back(*w.base, &w);
    }
    std::sort(placed.begin(), placed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < placed.size(); ++i) {
      const WindowSpec& prev = *placed[i - 1].second;
      if (*prev.base + prev.size.value() > placed[i].first) {
        error(placed[i].second->id, fmt::format("window overlaps window '{}'", prev.id));
      }
    }
  }

  void check_host_bridges() {
    std::map<unsigned, std::string> bus, uid;
    std::set<std::string_view> targeted_ids;
    for (const auto& w : t_.windows) targeted_ids.insert(w.targets.begin(), w.targets.end());
    for (const auto& hb : t_.host_bridges) {
      if (hb.bus_nr == 0 || hb.bus_nr > 255) {
        error(hb.id,
              fmt::format("bus_nr {} is out of range 1..255 (bus 0 is the main PCIe root bus)",
                          hb.bus_nr));
      }
      if (auto [it, fresh] = bus.emplace(hb.bus_nr, hb.id); !fresh) {
        error(hb.id,
              fmt::format("bus_nr {} is also used by host bridge '{}'", hb.bus_nr, it->second));
      }
      if (auto [it, fresh] = uid.emplace(hb.uid, hb.id); !fresh) {
        error(hb.id, fmt::format("uid {} is also used by host bridge '{}'", hb.uid, it->second));
      }
      if (!targeted_ids.contains(hb.id)) {
        warn(hb.id, "no window targets this host bridge: memory below it cannot be mapped");
      }
    }
  }

  // Port numbers are 8-bit and unique below one parent (PCIe Link Capabilities, Port Number).
  void check_port_number(const std::string& id, const std::string& parent, unsigned port,
                         std::map<std::pair<std::string, unsigned>, std::string>& used) {
    if (port > 255) error(id, fmt::format("port number {} is out of range 0..255", port));
    if (auto [it, fresh] = used.emplace(std::make_pair(parent, port), id); !fresh) {
      error(id, fmt::format("port number {} is also used by '{}' below '{}'", port, it->second,
                            parent));
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
      error(id, fmt::format("port '{}' already has '{}' below it (a link has one device)", port,
                            it->second));
    }
  }

  // The switch a switch hangs below (through its parent downstream port); nullptr at a root
  // port or a dangling reference.
  [[nodiscard]] const SwitchSpec* parent_switch(const SwitchSpec& s) const {
    auto dp = downstream_ports_.find(s.parent);
    if (dp == downstream_ports_.end()) return nullptr;
    auto sw = switches_.find(dp->second->switch_id);
    return sw == switches_.end() ? nullptr : sw->second;
  }

  // Walk up: switch -> parent downstream port -> its switch -> ... must reach a root port.
  // Each switch is walked once (iteratively): linear in the number of switches.
  void check_switches() {
    for (const auto& s : t_.switches) {
      if (check_ref(s.id, "parent", s.parent, {"root_port", "downstream_port"},
                    "a root port or downstream port")) {
        claim_port(s.id, s.parent);
      }
    }
    enum : uint8_t { kUnseen, kOnPath, kDone };
    std::map<const SwitchSpec*, uint8_t> mark;
    for (const auto& s : t_.switches) {
      std::vector<const SwitchSpec*> path;
      const SwitchSpec* cur = &s;
      while (cur != nullptr && mark[cur] == kUnseen) {
        mark[cur] = kOnPath;
        path.push_back(cur);
        cur = parent_switch(*cur);
      }
      if (cur != nullptr && mark[cur] == kOnPath) {  // every switch from cur on is in the cycle
        for (auto it = std::find(path.begin(), path.end(), cur); it != path.end(); ++it) {
          error((*it)->id, fmt::format("switch is below its own downstream port '{}' (a cycle)",
                                       (*it)->parent));
        }
      }
      for (const auto* p : path) mark[p] = kDone;
    }
  }

  void check_type3() {
    for (const auto& d : t_.type3) {
      if (check_ref(d.id, "parent", d.parent, {"root_port", "downstream_port"},
                    "a root port or downstream port")) {
        claim_port(d.id, d.parent);
      }
      if (d.volatile_size == Bytes(0) && d.persistent_size == Bytes(0)) {
        error(d.id, "device has no memory (volatile and persistent are both 0)");
      }
      check_size(d.id, "volatile capacity", d.volatile_size);
      check_size(d.id, "persistent capacity", d.persistent_size);
      check_dc(d);
      check_capacity_sum(d);
      if (d.lsa_size > kMaxLsa) {
        error(d.id,
              fmt::format("lsa {} is larger than {} (label storage holds a few KiB of labels)",
                          format_bytes(d.lsa_size), format_bytes(kMaxLsa)));
      }
      check_backing(d.id, "volatile_path", d.volatile_backing.path);
      check_backing(d.id, "persistent_path", d.persistent_backing.path);
      check_backing(d.id, "lsa_path", d.lsa_backing.path);
    }
  }

  // The DPA space (static capacity, then DC regions) must fit in 64 bits: no wrap-around.
  void check_capacity_sum(const Type3Spec& d) {
    uint64_t total = d.volatile_size.value();
    bool wrapped = __builtin_add_overflow(total, d.persistent_size.value(), &total);
    for (Bytes r : d.dc_regions) {
      wrapped = wrapped || __builtin_add_overflow(total, r.value(), &total);
    }
    if (wrapped) error(d.id, "capacity (volatile + persistent + DC regions) is beyond 2^64 bytes");
  }

  // One file backs one store: two stores (of one device or two) mapping the same file would
  // silently alias each other's data.
  void check_backing(const std::string& id, std::string_view key, const std::string& path) {
    if (path.empty()) return;
    std::error_code ec;
    std::string canon = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) canon = path;
    const std::string who = fmt::format("{} of '{}'", key, id);
    if (auto [it, fresh] = backing_files_.emplace(canon, who); !fresh) {
      error(id, fmt::format("{} '{}' is also the {} (one file cannot back two stores)", key, path,
                            it->second));
    }
  }

  // DC regions (CXL 3.1 §8.2.9.9.9.1): at most 8, each a nonzero multiple of 256 MiB and of the
  // block size, which is a power of two of at least 64 B.
  void check_dc(const Type3Spec& d) { check_dc(d.id, d.dc_regions, d.dc_block_size); }
  void check_dc(const std::string& id, const std::vector<Bytes>& regions, Bytes block_size) {
    if (regions.empty()) return;
    if (regions.size() > 8) error(id, fmt::format("{} DC regions (at most 8)", regions.size()));
    const uint64_t bs = block_size.value();
    if (bs < 64 || (bs & (bs - 1)) != 0) {
      error(id, fmt::format("dc_block_size {} is not a power of two of at least 64 B",
                            format_bytes(block_size)));
    }
    for (size_t i = 0; i < regions.size(); ++i) {
      const Bytes r = regions[i];
      const std::string what = fmt::format("DC region {}", i);
      if (r == Bytes(0)) error(id, what + " is empty");
      check_size(id, what, r);
      if (bs != 0 && r.value() % bs != 0) {
        error(id, fmt::format("{} {} is not a multiple of dc_block_size {}", what, format_bytes(r),
                              format_bytes(block_size)));
      }
    }
  }

  // A pool (hosts, MLDs, DCDs): a host's VCS has at least one vPPB; an MLD at least one LD,
  // each a nonzero multiple of 256 MiB; a DCD at least one DC region; devices need hosts.
  void check_pool() {
    for (const auto& h : t_.hosts) {
      if (h.vppbs == 0) error(h.id, "host has no vPPBs (vppbs must be 1 to 256)");
    }
    for (const auto& m : t_.mlds) {
      if (m.lds == 0) error(m.id, "mld has no LDs (lds must be 1 to 16)");
      if (m.ld_size == Bytes(0)) error(m.id, "mld ld_size is missing or zero");
      check_size(m.id, "ld_size", m.ld_size);
    }
    for (const auto& d : t_.dcds) {
      if (d.dc_regions.empty()) error(d.id, "dcd has no dc_regions");
      check_dc(d.id, d.dc_regions, d.dc_block_size);
    }
    if (t_.hosts.empty() && (!t_.mlds.empty() || !t_.dcds.empty())) {
      error("", "pooled devices (mld, dcd) need at least one [[host]]");
    }
  }

  void check_type2() {
    for (const auto& d : t_.type2) {
      if (check_ref(d.id, "parent", d.parent, {"root_port", "downstream_port"},
                    "a root port or downstream port")) {
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

  void check_hdm_decoders() {
    if (t_.hdm_decoders && !HdmDecoderCapability::encodable_decoder_count(*t_.hdm_decoders)) {
      error("hdm_decoders",
            fmt::format("{} HDM decoders cannot be encoded (CXL 3.1 §8.2.4.20.1 Decoder Count: "
                        "1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28 or 32)",
                        *t_.hdm_decoders));
    }
  }

  void check_empty_ports() {
    std::set<std::string_view> switches_with_ports, bridges_with_ports;
    for (const auto& dp : t_.downstream_ports) switches_with_ports.insert(dp.switch_id);
    for (const auto& rp : t_.root_ports) bridges_with_ports.insert(rp.host_bridge);
    for (const auto& rp : t_.root_ports) {
      if (!below_port_.contains(rp.id)) warn(rp.id, "root port has nothing below it");
    }
    for (const auto& dp : t_.downstream_ports) {
      if (!below_port_.contains(dp.id)) warn(dp.id, "downstream port has nothing below it");
    }
    for (const auto& s : t_.switches) {
      if (!switches_with_ports.contains(s.id)) warn(s.id, "switch has no downstream ports");
    }
    for (const auto& hb : t_.host_bridges) {
      if (!bridges_with_ports.contains(hb.id)) warn(hb.id, "host bridge has no root ports");
    }
  }

  // Buses below root port `port` (its secondary bus and what hangs off it), counted as
  // firmware numbers them: a switch adds its internal bus and one bus per downstream port.
  // Iterative, each switch counted once (a cycle or repeated id cannot loop), and stops
  // counting past `limit`.
  [[nodiscard]] unsigned buses_below(const std::string& port, unsigned limit) const {
    unsigned n = 0;
    std::vector<std::string_view> ports{port};
    std::set<const SwitchSpec*> seen;
    while (!ports.empty() && n <= limit) {
      const std::string_view p = ports.back();
      ports.pop_back();
      n += 1;
      auto [sb, se] = switches_below_.equal_range(p);
      for (auto it = sb; it != se; ++it) {
        if (!seen.insert(it->second).second) continue;
        n += 1;
        auto [db, de] = ports_of_switch_.equal_range(it->second->id);
        for (auto d = db; d != de; ++d) ports.push_back(d->second->id);
      }
    }
    return n;
  }

  // A host bridge owns buses bus_nr .. (next host bridge's bus_nr - 1); what is below it must fit
  // (PCI-to-PCI bridge secondary/subordinate numbering, PCIe Base 6.0 §7.5.1.3): at most bus 255.
  void check_bus_ranges() {
    std::vector<std::pair<unsigned, const HostBridgeSpec*>> hbs;
    for (const auto& hb : t_.host_bridges) hbs.emplace_back(hb.bus_nr, &hb);
    std::sort(hbs.begin(), hbs.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::multimap<std::string_view, const RootPortSpec*> root_ports;
    for (const auto& rp : t_.root_ports) root_ports.emplace(rp.host_bridge, &rp);
    for (size_t i = 0; i < hbs.size(); ++i) {
      const HostBridgeSpec& hb = *hbs[i].second;
      if (hb.bus_nr > 255) continue;  // check_host_bridges reports it
      const unsigned limit = 256 - hb.bus_nr;
      unsigned need = 1;
      auto [rb, re] = root_ports.equal_range(hb.id);
      for (auto it = rb; it != re && need <= limit; ++it) {
        need += buses_below(it->second->id, limit);
      }
      if (need > limit) {
        error(hb.id, fmt::format("needs buses {}..{} or more, beyond bus 255", hb.bus_nr,
                                 hb.bus_nr + std::min(need, limit + 1) - 1));
      } else if (const unsigned last = hb.bus_nr + need - 1;
                 i + 1 < hbs.size() && hbs[i + 1].first <= last && hbs[i + 1].first != hb.bus_nr) {
        error(hb.id, fmt::format("needs buses {}..{} but host bridge '{}' starts at bus {}",
                                 hb.bus_nr, last, hbs[i + 1].second->id, hbs[i + 1].first));
      }
    }
  }

  // Indexes built once (first element of each id), so that every check is near-linear.
  void index() {
    for (const auto& s : t_.switches) {
      switches_.emplace(s.id, &s);
      switches_below_.emplace(s.parent, &s);
    }
    for (const auto& dp : t_.downstream_ports) {
      downstream_ports_.emplace(dp.id, &dp);
      ports_of_switch_.emplace(dp.switch_id, &dp);
    }
  }

  const Topology& t_;
  std::map<std::string_view, const SwitchSpec*> switches_;
  std::map<std::string_view, const DownstreamPortSpec*> downstream_ports_;
  std::multimap<std::string_view, const SwitchSpec*> switches_below_;           // by parent port
  std::multimap<std::string_view, const DownstreamPortSpec*> ports_of_switch_;  // by switch id
  std::map<std::string, std::string> kinds_;
  std::map<std::string, std::string>
      backing_files_;  // canonical path -> "key of 'id'"        // id -> element kind
  std::map<std::string, std::string> below_port_;  // port id -> the id of what is below it
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
  if (!msg.empty()) {
    throw ValidationError("invalid topology" + (t.name.empty() ? "" : " '" + t.name + "'") + ":\n" +
                          msg);
  }
}

}  // namespace cxlsim
