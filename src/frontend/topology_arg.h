// Resolves a --topology argument to a Topology. Built-ins (builtin:NAME): direct (one device
// on a root port), switch (one switch, 2 devices), two-level-switch (2 levels x 2 ports,
// 4 devices), pool8 (one switch, 8 devices).
#pragma once

#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::frontend {

Topology resolve_topology(const std::string& arg);
std::vector<std::string> builtin_topology_names();

}  // namespace cxlsim::frontend
