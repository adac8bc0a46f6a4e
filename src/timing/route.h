// Routing adapter over the topology data model (fabric/topology.h): the chain of ports from a
// host bridge down to a memory device, following parent ids. Used until the live fabric's
// per-memdev component paths (Fabric::build) are available.
#pragma once

#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::timing {

struct RouteHop {
  enum class Kind { kRootPort, kDownstreamPort } kind;
  std::string port;    // id of the upstream end of the link (a root port or downstream port)
  std::string below;   // what the link leads to: a switch id or the device id
};

struct Route {
  std::string memdev;
  std::string host_bridge;
  std::vector<RouteHop> hops;  // host side first
};

// Route of a Type 3 or Type 2 device; throws ValidationError naming a broken parent chain.
Route route_to(const Topology& topo, const std::string& memdev);

}  // namespace cxlsim::timing
