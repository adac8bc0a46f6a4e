#include "fabric/topology_loader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "device/runtime_dir.h"
#include "fabric/builtin_topologies.h"
#include "fabric/newick.h"
#include "fabric/qemu_cmdline.h"
#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ParseError(fmt::format("cannot read topology '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ParseError(fmt::format("cannot read topology '{}': read error", path));
  return ss.str();
}

}  // namespace

Topology in_runtime_dir(Topology t) {
  auto move = [](BackingSpec& b) {
    if (!b.path.starts_with("/tmp/")) return;
    b.path = device::runtime_dir() + "/" + b.path.substr(b.path.rfind('/') + 1);
  };
  for (Type3Spec& d : t.type3) {
    move(d.volatile_backing);
    move(d.persistent_backing);
    move(d.lsa_backing);
  }
  return t;
}

Topology load_topology(const std::string& arg) {
  if (arg.starts_with("builtin:")) {
    std::string name = arg.substr(8);
    auto text = builtin_topology_toml(name);
    if (!text) {
      std::string names;
      for (auto n : builtin_topology_names()) names += (names.empty() ? "" : ", ") + std::string(n);
      throw ParseError(fmt::format("unknown built-in topology '{}' (available: {})", name, names));
    }
    return in_runtime_dir(parse_topology_toml(*text, arg));
  }
  if (arg.starts_with("newick:")) return parse_newick(std::string_view(arg).substr(7), arg);
  std::string text = read_file(arg);
  if (looks_like_newick(text)) return parse_newick(text, arg);
  if (looks_like_qemu_cmdline(text)) return parse_qemu_cmdline(text, arg);
  return parse_topology_toml(text, arg);
}

Topology load_valid_topology(const std::string& arg) {
  Topology t = load_topology(arg);
  validate_or_throw(t);
  return t;
}

}  // namespace cxlsim
