// MLC-style measurements on the timing model (Intel Memory Latency Checker v3.x method):
// loaded latency = N load threads each walking its own buffer with an inject delay between
// lines, plus one pointer-chasing thread whose mean load latency is reported; the bandwidth
// column counts all lines moved (load threads and the chaser) over the measurement window.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fabric/region.h"
#include "fabric/topology.h"
#include "timing/dcoh.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

// MLC's default inject delays for --loaded_latency.
std::span<const unsigned> mlc_inject_delays();

// Memory lines (reads, reads for ownership and writes together) one load thread of MLC v3.10
// moves per inject-delay iteration for the traffic of `-W` with this reads:writes ratio: 1 for
// all reads, 3 for 2:1 (-W2), 4 for 3:1 (-W3), 1 for 1:1 (-W5), 1.2 for 4:1 (-W12), 0.25 for
// non-temporal writes only (-W6); 1 for ratios MLC has no kernel for. A property of MLC's
// kernels, not of the memory: measured from the slope of per-thread line time against the
// inject delay (inject 1000-20000) in the EuroSys'24 artifact's logs, the same within 8 % on its
// CXL and its DDR5 server (docs/calibration.md).
double mlc_lines_per_delay(unsigned reads, unsigned writes);

struct MlcSetup {
  timing::HostProfile host;
  timing::DeviceProfile local_dram;
  Topology topology;  // may have no devices: then the target is local DRAM
  std::function<timing::DeviceProfile(const std::string&)> device_for;
  // Regions the host agent creates (empty: timing::default_regions).
  std::vector<RegionRequest> regions;
  // HPA range the threads' buffers are carved from (a region, or local DRAM).
  uint64_t range_base = 0, range_size = 0;
  unsigned threads = 16;
  unsigned reads = 1, writes = 0;
  bool random = false;
  // Memory lines each load thread moves per inject-delay iteration of MLC's kernel for this
  // mix (mlc_lines_per_delay); the delay is spread over them.
  double lines_per_delay = 1.0;
  uint64_t seed = 1;
  Bytes buffer = MiB(100);  // per load thread (and again for writes)
  Duration warmup = Duration::ns(20000);
  Duration window = Duration::ns(500000);
};

// Builds a setup for a single device profile: local DRAM when the profile is local, else one
// host bridge, one root port and one Type 3 device behind a 64 GiB window.
MlcSetup setup_for_device(const timing::HostProfile& host, const timing::DeviceProfile& local,
                          const timing::DeviceProfile& device);

// A setup over a whole topology: every memdev runs `device`. The host agent creates `regions`
// (empty: one per window over all memdevs below it, or, when `target` names a memdev, a 1-way
// region on that memdev alone). The threads' buffers are carved from the region named `target`
// ("regionN"), the first region in CFMWS window `target`, the region on memdev `target`, or the
// first region when `target` is empty. Throws ValidationError (RegionError: Linux's reason);
// OperationError naming the first media fault (Fabric::media_faults: poison, unaccepted dynamic
// capacity, a locked device) in the chosen region: MLC reads every line, and Linux ends a
// reader of poison with SIGBUS.
MlcSetup setup_for_topology(const timing::HostProfile& host, const timing::DeviceProfile& local,
                            const timing::DeviceProfile& device, const Topology& topo,
                            const std::string& target,
                            const std::vector<RegionRequest>& regions = {});

struct MlcPoint {
  unsigned inject_delay = 0;
  double latency_ns = 0;
  double bandwidth_mbps = 0;
};

// One loaded-latency point. `with_chaser` false gives MLC's --max_bandwidth style run.
MlcPoint run_point(const MlcSetup& s, unsigned inject_delay, bool with_chaser = true);
std::vector<MlcPoint> loaded_latency(const MlcSetup& s, std::span<const unsigned> delays,
                                     const std::function<void(size_t, size_t)>& progress = {});
// Latency of the pointer chaser alone (MLC --idle_latency).
double idle_latency_ns(const MlcSetup& s);
// Peak bandwidth of all threads at inject delay 0, without the chaser (MB/s).
double max_bandwidth_mbps(const MlcSetup& s);

// One host of a multi-host run (timing/multi_host.h) and its setup. Every host runs the first
// host's host profile, local DRAM, topology and device profiles (one fabric); each has its own
// regions (setup.regions) and its threads' range.
struct MlcHost {
  std::string name;
  MlcSetup setup;
};
// Hosts whose threads' ranges coincide (the same range of the same region requests) each get an
// equal, disjoint part of it, in host order, as logical devices of one device would: they share
// the device, not the lines.
void split_shared_ranges(std::vector<MlcHost>& hosts);
// run_point with every host running MLC's threads at once: one point per host, in host order.
// `back_invalidation`, when given, has each host's back-invalidation traffic on shared HDM-DB
// memdevs in the run (timing/dcoh.h) added to its entry (host order; resized to the hosts).
std::vector<MlcPoint> run_point_hosts(
    const std::vector<MlcHost>& hosts, unsigned inject_delay, bool with_chaser = true,
    std::vector<timing::BackInvalidationStats>* back_invalidation = nullptr);

// A measured MLC log (the Inject Delay / Latency / Bandwidth table). Throws ParseError.
std::vector<MlcPoint> parse_mlc_log(const std::string& text, const std::string& origin);

// The run a log's "Command line parameters:" line describes (MLC v3.x options): `-kLIST` the
// load threads (one per CPU listed), `-Wn` the traffic, `-U` random access.
struct MlcLogRun {
  std::string command;              // the parameters as logged
  std::optional<unsigned> threads;  // CPUs in -k; absent without -k (MLC then uses every CPU)
  unsigned traffic = 0;             // n of -Wn (0: MLC's default, all reads)
  unsigned reads = 1, writes = 0;   // memory reads:writes of that traffic
  bool non_temporal = false;        // -W6..-W10 write with non-temporal stores
  bool random = false;              // -U
};
// The header of a log, or nullopt when it has no "Command line parameters:" line. Throws
// ParseError for a -W the tool does not have.
std::optional<MlcLogRun> parse_mlc_header(const std::string& text, const std::string& origin);

// Whether a simulated loaded-latency run can be scored against a log. `errors`: the run is not
// the log's (mix, access pattern); `warnings`: what the score leaves out or may get wrong (no
// header to check, another thread count than the CPUs in -k, inject delays of one side the
// other lacks).
struct CompareCheck {
  std::vector<std::string> errors, warnings;
};
CompareCheck check_comparable(const MlcSetup& s, std::span<const unsigned> delays,
                              const std::optional<MlcLogRun>& log,
                              const std::vector<MlcPoint>& meas);

// Error of a simulated curve against a measured one. Latency is compared at equal bandwidth,
// bandwidth taken relative to each curve's peak (the peak error is reported on its own) and
// read off the simulated load path at the crossing nearest in inject delay; on the saturated
// plateau (measured bandwidth within 1 % of its peak), where latency is no function of
// bandwidth, at the same inject delay.
struct CurveError {
  double latency_mae_pct = 0;  // mean |sim - meas| / meas of latency at equal bandwidth
  double peak_bw_err_pct = 0;  // (sim max bw - meas max bw) / meas max bw
  // Latency at the log's lightest load, against the simulated point of the same inject delay
  // (NaN when the simulation lacks that delay).
  double idle_err_pct = 0;
  double same_delay_mae_pct = 0;  // mean latency error at equal inject delay
};
CurveError compare_curves(const std::vector<MlcPoint>& sim, const std::vector<MlcPoint>& meas);

}  // namespace cxlsim::frontend
