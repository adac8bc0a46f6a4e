// cxlsim's own topology file format (TOML), version 1. The format is specified in
// docs/topology_format.md; this header is its single definition in code.
#pragma once

#include <string>
#include <string_view>

#include "fabric/topology.h"

namespace cxlsim {

// The format version this build reads and writes (`version = 1` at the top of a file;
// files without `version` are read as version 1).
inline constexpr int kTopologyTomlVersion = 1;

// Parses a topology file. `origin` (a path, or "builtin:NAME") prefixes every error message.
// Throws ParseError on TOML syntax errors, unknown keys (naming the key and the element), wrong
// value types and bad sizes. Does not check references or CXL rules: see topology_validate.h.
Topology parse_topology_toml(std::string_view text, std::string_view origin);

// Writes `t` in the format parse_topology_toml reads; parse_topology_toml(to_toml(t)) == t.
std::string to_toml(const Topology& t);

}  // namespace cxlsim
