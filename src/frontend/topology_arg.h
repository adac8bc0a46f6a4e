// Resolves a --topology argument of the workload commands (mlc, replay) to a validated
// Topology: anything load_valid_topology() reads (builtin:NAME, TOML, QEMU command lines,
// Newick trees). The timing model's own trees are built-ins like any other: builtin:direct,
// builtin:switch, builtin:two-level-switch, builtin:pool8 (examples/*.toml).
#pragma once

#include <string>

#include "fabric/topology.h"

namespace cxlsim::frontend {

Topology resolve_topology(const std::string& arg);

}  // namespace cxlsim::frontend
