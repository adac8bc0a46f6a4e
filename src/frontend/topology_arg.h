// Resolves a --topology argument to a Topology. The timing model's switch trees (builtin:NAME):
// direct (one device on a root port), switch (one switch, 2 devices), two-level-switch
// (2 levels x 2 ports, 4 devices), pool8 (one switch, 8 devices); anything else goes to
// load_valid_topology (the fabric's built-ins, TOML, QEMU command lines, Newick trees).
#pragma once

#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::frontend {

Topology resolve_topology(const std::string& arg);
std::vector<std::string> builtin_topology_names();

}  // namespace cxlsim::frontend
