#include "frontend/topology_arg.h"

#include "fabric/topology_loader.h"

namespace cxlsim::frontend {

Topology resolve_topology(const std::string& arg) { return load_valid_topology(arg); }

}  // namespace cxlsim::frontend
