#include "fabric/builtin_topologies.h"

#include "fabric/builtin_topologies_data.h"

namespace cxlsim {

std::vector<std::string_view> builtin_topology_names() {
  std::vector<std::string_view> out;
  for (const auto& [name, text] : builtin_topology_texts()) out.push_back(name);
  return out;
}

std::optional<std::string_view> builtin_topology_toml(std::string_view name) {
  for (const auto& [n, text] : builtin_topology_texts()) {
    if (n == name) return text;
  }
  return std::nullopt;
}

}  // namespace cxlsim
