// --topology and --fm-state of the timing model's multi-host commands (mlc, replay): a pool
// topology ([[host]], [[mld]]) is timed as fm::pool_fabric derives it from the fabric manager's
// state (docs/multihost.md, "A fabric manager's pool"); any other topology as it is.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::cli {

struct WorkloadTopology {
  Topology topology;
  bool pool = false;
  // A pool: host -> the memdevs of the LDs bound to it (vPPB order); hosts with none absent.
  std::map<std::string, std::vector<std::string>> host_memdevs;

  // A pool: the memdevs of `host`. Throws ValidationError when nothing is bound to it.
  [[nodiscard]] const std::vector<std::string>& memdevs_of(const std::string& host) const;
  // A pool: throws ValidationError unless `target` is one of `host`'s memdevs.
  void check_target(const std::string& host, const std::string& target) const;
};

// `arg` as frontend::resolve_topology reads it; a pool with the bindings of `fm_state` (the
// fabric manager's state directory, `fm serve --state DIR`, or its state file). Throws
// ParseError/ValidationError (exit 2): a pool without `fm_state`, `fm_state` with a topology
// that is no pool, a state file that cannot be read or that the pool's rules refuse, a pool
// with nothing bound.
[[nodiscard]] WorkloadTopology resolve_workload_topology(const std::string& arg,
                                                         const std::string& fm_state);

}  // namespace cxlsim::cli
