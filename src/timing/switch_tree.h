// Programmatic topologies for the timing model's benchmarks and tests: one host bridge, one
// root port, `levels` levels of switches with `fanout` downstream ports each, and a Type 3
// device on every leaf port, all behind one window interleaved over them.
#pragma once

#include "fabric/topology.h"

namespace cxlsim::timing {

// levels = 0 gives one device directly below the root port.
Topology switch_tree(unsigned levels, unsigned fanout, Bytes device_size = GiB(16));

}  // namespace cxlsim::timing
