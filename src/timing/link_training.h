// The link a hop of the timing model runs on: the device profile's link (timing::LinkConfig)
// with the width and speed the topology's link ends trained to (fabric/topology.h,
// Topology::trained_link_below). Only the physical layer changes; port latency, propagation
// and slot costs stay the profile's.
#pragma once

#include "spec/pcie_link.h"
#include "timing/link.h"

namespace cxlsim::timing {

// `profile` with `trained` applied: lanes = trained width; with a trained speed, gt_per_s =
// that speed, encoding = encoding_efficiency(speed) (8b/10b below 8 GT/s, 128b/130b to
// 32 GT/s, none at 64 GT/s) and, at 64 GT/s, 256B flits (CXL 3.1 §6.4: 64 GT/s runs in 256B
// flit mode only); below 64 GT/s the profile's flit format. Absent fields leave the profile's
// values untouched, so an empty `trained` returns `profile` unchanged.
LinkConfig trained_link_config(const LinkConfig& profile, const LinkCaps& trained);

// The width and speed a link config runs at, for display ("x16 32GT/s"); the speed is the
// nearest PCIe speed name when gt_per_s is one, else "<gt>GT/s".
std::string link_width_speed(const LinkConfig& cfg);

}  // namespace cxlsim::timing
