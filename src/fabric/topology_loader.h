// The one way commands turn a user's topology argument into a Topology.
#pragma once

#include <string>

#include "fabric/topology.h"

namespace cxlsim {

// `arg` is one of:
//   builtin:NAME     a built-in topology (builtin_topologies.h), its /tmp/ backing paths moved
//                    into the per-user runtime directory (in_runtime_dir)
//   newick:TREE      a CXLMemSim Newick string, e.g. newick:(1,(2,3))
//   PATH             a file, read by content (not extension): a QEMU command line when its
//                    first word is a qemu-* program or an option (-device, -M, ...), a Newick
//                    tree when it starts with '(', and cxlsim TOML otherwise.
// Throws ParseError naming the file/builtin and the offending element. Does not validate.
Topology load_topology(const std::string& arg);

// `t` with every backing path under /tmp/ moved into device::runtime_dir() (same file name):
// the qemu-* built-ins name QEMU's documentation paths, which every user of a machine shares.
Topology in_runtime_dir(Topology t);

// load_topology, then validate_or_throw (warnings are not errors).
Topology load_valid_topology(const std::string& arg);

}  // namespace cxlsim
