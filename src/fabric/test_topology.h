// Topologies built in code for tests and benchmarks: a symmetric tree of host bridges, root
// ports and switches with a memdev below every leaf port.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::testing {

struct TreeShape {
  unsigned host_bridges = 1;
  unsigned root_ports = 1;                 // per host bridge
  unsigned switch_levels = 0;              // switches below each root port, nested
  unsigned downstream_ports = 2;           // per switch
  std::vector<unsigned> dports_per_level;  // overrides downstream_ports per switch level
  Bytes window_granularity = Bytes(256);
  Bytes persistent = GiB(1);   // per memdev
  Bytes volatile_ = Bytes(0);  // per memdev
  unsigned windows = 1;        // each over all host bridges
};

inline void add_below(Topology& t, const TreeShape& s, const std::string& parent, unsigned level,
                      unsigned& serial) {
  if (level == s.switch_levels) {
    Type3Spec m;
    m.id = "mem" + std::to_string(t.type3.size());
    m.parent = parent;
    m.persistent_size = s.persistent;
    m.volatile_size = s.volatile_;
    m.serial = ++serial;
    t.type3.push_back(m);
    return;
  }
  const std::string sw = parent + ".sw";
  t.switches.push_back({sw, parent});
  const unsigned n =
      level < s.dports_per_level.size() ? s.dports_per_level[level] : s.downstream_ports;
  for (unsigned d = 0; d < n; ++d) {
    const std::string dp = sw + ".dp" + std::to_string(d);
    t.downstream_ports.push_back({dp, sw, d, 0, 0});
    add_below(t, s, dp, level + 1, serial);
  }
}

inline Topology make_tree(const TreeShape& s) {
  Topology t;
  t.name = "tree";
  unsigned serial = 0;
  // Each host bridge's bus range starts where the previous one's ends: its own bus, then one
  // per root port, switch and downstream port below it (firmware numbering; validate() checks).
  unsigned bus = 0x0c;
  for (unsigned h = 0; h < s.host_bridges; ++h) {
    const std::string hb = "hb" + std::to_string(h);
    t.host_bridges.push_back({hb, h, bus});
    const size_t ports_before = t.root_ports.size() + t.switches.size() + t.downstream_ports.size();
    for (unsigned r = 0; r < s.root_ports; ++r) {
      const std::string rp = hb + ".rp" + std::to_string(r);
      t.root_ports.push_back({rp, hb, r, 0, 0});
      add_below(t, s, rp, 0, serial);
    }
    bus += 1 + static_cast<unsigned>(t.root_ports.size() + t.switches.size() +
                                     t.downstream_ports.size() - ports_before);
  }
  for (unsigned w = 0; w < s.windows; ++w) {
    WindowSpec win;
    win.id = "cfmw" + std::to_string(w);
    for (const auto& hb : t.host_bridges) win.targets.push_back(hb.id);
    // Room for every memdev's whole capacity.
    win.size = (s.persistent + s.volatile_) * t.type3.size();
    win.granularity = s.window_granularity;
    t.windows.push_back(win);
  }
  return t;
}

}  // namespace cxlsim::testing
