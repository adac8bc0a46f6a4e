// A pool's bound LDs as a fabric the timing model runs (docs/multihost.md, "A fabric manager's
// pool"). The pool (fm::Pool: the topology's [[host]] and [[mld]] tables and the fabric manager's
// bindings) is the single source; this derives, in one place, what `mlc --hosts` and `replay
// --host-trace` time: one host's view of a pooling switch (CXL 3.2 §7.2.1, a virtual CXL switch
// per host; the timing model gives every host its own copy of the host side down to its root
// port's link, and shares everything below): window cfmw0 -> host bridge hb0 -> root port rp0 ->
// switch sw0, one downstream port per bound LD, and below it the LD as a volatile Type 3 memdev
// `MLD_ldN` of the LD's allocated capacity. An LD of a `shared` MLD bound to two or more hosts is
// HDM-DB memory (Type3Spec::shared): the timing model's DCOH keeps it coherent across them. The
// pool's hosts stay as the topology's [[host]] entries (they name the hosts); DCDs are left out
// (their extents are not timed).
//
// Simplification, stated: each LD gets its own link and controller (the timing model has no
// device whose controller serves several memdevs); hosts meet on an LD they share, not on the
// other LDs of its MLD.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fabric/topology.h"
#include "fm/pool.h"

namespace cxlsim::fm {

struct PoolFabric {
  Topology topology;  // validates (topology_validate.h)
  // host -> the memdev ids of the LDs bound to it, in vPPB order; hosts with nothing bound are
  // absent.
  std::map<std::string, std::vector<std::string>> host_memdevs;
};

// The memdev id of an LD in the derived topology: "MLD_ldN".
[[nodiscard]] std::string ld_memdev_id(const LdRef& ld);

// The pool's bound LDs as above. Throws ValidationError when no LD is bound to any host.
[[nodiscard]] PoolFabric pool_fabric(const Pool& pool);

}  // namespace cxlsim::fm
