// CXLMemSim's topology strings (its `-o "(1,(2,3))"` option): Newick trees whose leaves are
// memory expanders and whose inner groups are switches, the outermost group being the root
// complex. Accepted as CXLMemSim's construct_topo reads them: integer leaf labels (1-based
// expander numbers) with optional ":length" branch lengths (ignored), "CXL[:d]" leaves numbered
// in order, "CPU[:d]" leaves (the host's own memory, ignored), an optional trailing ';' and
// whitespace. Remote "R:node:exp" leaves have no counterpart here and are rejected.
//
// Mapping (docs/topology_format.md, "Newick"): the outermost group is host bridge "hb0"
// (bus_nr 12) with one root port "rp<k>" per child; a child group is a switch "sw<n>" with one
// downstream port "sw<n>p<j>" per child; leaf N is Type 3 device "mem<N>" of
// NewickOptions::device_size persistent capacity with serial N; one window "cfmw0" covers hb0
// with the total capacity.
#pragma once

#include <string_view>

#include "fabric/topology.h"
#include "spec/units.h"

namespace cxlsim {

struct NewickOptions {
  Bytes device_size = MiB(256);
};

// Throws ParseError with the offset of the offending character.
Topology parse_newick(std::string_view text, std::string_view origin,
                      const NewickOptions& options = {});

// True when the first non-blank character is '('.
bool looks_like_newick(std::string_view text);

}  // namespace cxlsim
