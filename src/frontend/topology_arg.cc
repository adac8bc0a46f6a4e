#include "frontend/topology_arg.h"

#include <fmt/format.h>

#include "spec/error.h"
#include "timing/switch_tree.h"

namespace cxlsim::frontend {

std::vector<std::string> builtin_topology_names() { return {"direct", "switch", "two-level-switch", "pool8"}; }

Topology resolve_topology(const std::string& arg) {
  std::string name = arg.rfind("builtin:", 0) == 0 ? arg.substr(8) : arg;
  if (name == "direct") return timing::switch_tree(0, 1, GiB(64));
  if (name == "switch") return timing::switch_tree(1, 2, GiB(32));
  if (name == "two-level-switch") return timing::switch_tree(2, 2, GiB(16));
  if (name == "pool8") return timing::switch_tree(1, 8, GiB(8));
  throw ParseError(fmt::format("unknown topology '{}': built-ins are builtin:direct, builtin:switch, "
                               "builtin:two-level-switch, builtin:pool8 (topology files need the topology loader)", arg));
}

}  // namespace cxlsim::frontend
