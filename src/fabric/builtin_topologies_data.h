// The built-in topologies' TOML texts, generated at configure time from examples/NAME.toml by
// cmake/embed_topologies.cmake (the examples are the single source). Use builtin_topologies.h.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace cxlsim {

// (name, TOML text) in the order given to cxlsim_embed_topologies().
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_topology_texts();

}  // namespace cxlsim
