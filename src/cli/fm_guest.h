// The fabric manager's view of a pool host's running QEMU guest (fm::GuestPort), implemented with
// the vm layer's QMP client and pool-guest operations: Bind hot-adds the LD into the vPPB's
// downstream port, Unbind hot-removes it, and "in use" is the guest's committed HDM decoder as
// QEMU's registers of the device hold it (vm/pool_guest.h). One QMP connection per request.
#pragma once

#include <string>

#include "fabric/topology.h"
#include "fm/fabric_manager.h"

namespace cxlsim::cli {

// A GuestConnector for `pool`'s hosts (fm::FabricManagerOptions::connect_guest).
fm::GuestConnector qmp_guest_connector(const Topology& pool);

}  // namespace cxlsim::cli
