#include "timing/switch_tree.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace cxlsim::timing {

Topology switch_tree(unsigned levels, unsigned fanout, Bytes device_size) {
  Topology t;
  t.name = fmt::format("switch-tree-{}x{}", levels, fanout);
  t.host_bridges.push_back({"hb0", 0, 0x0c});
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  std::vector<std::string> parents = {"rp0"};
  for (unsigned l = 0; l < levels; ++l) {
    std::vector<std::string> next;
    for (size_t p = 0; p < parents.size(); ++p) {
      std::string sw = fmt::format("sw{}_{}", l, p);
      t.switches.push_back({sw, parents[p]});
      for (unsigned f = 0; f < fanout; ++f) {
        std::string dsp = fmt::format("{}_dsp{}", sw, f);
        t.downstream_ports.push_back({dsp, sw, f, 0, 0});
        next.push_back(dsp);
      }
    }
    parents = std::move(next);
  }
  for (size_t i = 0; i < parents.size(); ++i) {
    Type3Spec d;
    d.id = fmt::format("mem{}", i);
    d.parent = parents[i];
    d.volatile_size = device_size;
    d.serial = i + 1;
    t.type3.push_back(d);
  }
  WindowSpec w;
  w.id = "cfmw0";
  w.size = device_size * parents.size();
  w.targets = {"hb0"};
  t.windows.push_back(w);
  return t;
}

}  // namespace cxlsim::timing
