#include "timing/route.h"

#include <fmt/format.h>

#include <algorithm>

#include "spec/error.h"

namespace cxlsim::timing {

Route route_to(const Topology& topo, const std::string& memdev) {
  Route r;
  r.memdev = memdev;
  std::string parent;
  if (const auto* t3 = topo.find_type3(memdev)) parent = t3->parent;
  else if (const auto* t2 = topo.find_type2(memdev)) parent = t2->parent;
  else throw ValidationError(fmt::format("no memory device '{}' in the topology", memdev));

  std::string below = memdev;
  for (int depth = 0; depth < 64; ++depth) {
    if (const auto* rp = topo.find_root_port(parent)) {
      r.hops.push_back({RouteHop::Kind::kRootPort, rp->id, below});
      if (topo.find_host_bridge(rp->host_bridge) == nullptr) {
        throw ValidationError(fmt::format("root port '{}' names unknown host bridge '{}'", rp->id, rp->host_bridge));
      }
      r.host_bridge = rp->host_bridge;
      std::reverse(r.hops.begin(), r.hops.end());
      return r;
    }
    const auto* dsp = topo.find_downstream_port(parent);
    if (dsp == nullptr) {
      throw ValidationError(fmt::format("'{}' has parent '{}', which is no root port or downstream port", below, parent));
    }
    r.hops.push_back({RouteHop::Kind::kDownstreamPort, dsp->id, below});
    const auto* sw = topo.find_switch(dsp->switch_id);
    if (sw == nullptr) {
      throw ValidationError(fmt::format("downstream port '{}' names unknown switch '{}'", dsp->id, dsp->switch_id));
    }
    below = sw->id;
    parent = sw->parent;
  }
  throw ValidationError(fmt::format("parent chain of '{}' is deeper than 64 or loops", memdev));
}

}  // namespace cxlsim::timing
