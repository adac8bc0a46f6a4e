// Per-expander timing overrides (CXLMemSim's -l R,W,... and -b R,W,...; docs/app_mode.md): a
// memdev's read and write latency and bandwidth given as numbers instead of a profile. Each
// number is what `cxlsim mlc` on that memdev then reports: the read latency is
// `mlc --idle-latency --target ID` (the core's load-to-use latency over the device's whole path:
// host, root port, switches, links, controller, media), the read bandwidth
// `mlc --max-bandwidth --target ID`'s "ALL Reads", the write bandwidth its peak with writes only
// (`--rw 0:1`). The device profile's parameters that set them are tuned by measuring with the
// MLC model itself (a few runs):
//   read latency      frontend_latency (the controller's request latency), shifted by the
//                     difference; below the path's fixed part it is refused
//   write latency     write_latency_shift: writes' controller latency is the reads' + WRITE - READ
//                     (an idle write takes WRITE - READ longer than an idle read)
//   read bandwidth    throughput (the controller's request pipeline, reads and writes)
//   write bandwidth   write_throughput (a pipeline writes alone pass)
// Bandwidths can only lower the peak the link and media allow: a higher one is refused.
#pragma once

#include <optional>
#include <string>

#include "fabric/topology.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

struct ExpanderTiming {
  std::optional<Duration> read_latency, write_latency;
  std::optional<Bandwidth> read_bandwidth, write_bandwidth;
};

// `device` (the profile memdev `id` of `topo` runs) tuned so that the MLC model measures `t` on
// it. Throws ValidationError when a number cannot be reached (latency below the path's fixed
// part, bandwidth above the device's peak), naming the limit.
timing::DeviceProfile tune_expander(const timing::HostProfile& host,
                                    const timing::DeviceProfile& local,
                                    const timing::DeviceProfile& device, const Topology& topo,
                                    const std::string& id, const ExpanderTiming& t);

// What the MLC model measures on memdev `id` with `device`: idle latency (ns), peak read and
// write-only bandwidth (GB/s).
struct ExpanderMeasure {
  double read_latency_ns = 0, read_gbps = 0, write_gbps = 0;
};
ExpanderMeasure measure_expander(const timing::HostProfile& host,
                                 const timing::DeviceProfile& local,
                                 const timing::DeviceProfile& device, const Topology& topo,
                                 const std::string& id);

}  // namespace cxlsim::frontend
