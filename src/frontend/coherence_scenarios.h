// Coherence measurements on the timing model (cxlsim coherence): accelerators reading host
// memory over CXL.cache, a Type 2 device's own memory in host and device bias, one line
// bouncing between a host core and the device, N hosts writing one HDM-DB line, and the
// upload / compute / download flow of an offloaded model. The protocol is the coherence
// layer's; links, root ports, switches and DRAM are the System's for the given topology.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fabric/topology.h"
#include "spec/units.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

// Latencies of the coherence agents that no profile states (assumptions; docs/coherence.md).
struct CoherenceCosts {
  Duration device_cache = Duration::ns(10);  // accelerator cache lookup: hit, miss detection, snoop
  Duration host_snoop = Duration::ns(15);    // a host core cache answering its home's snoop
  Duration home = Duration::ns(10);          // home agent / DCOH handling one message
};

struct CoherenceSetup {
  timing::HostProfile host;
  timing::DeviceProfile local;   // host DRAM
  timing::DeviceProfile device;  // the accelerator's (or the shared device's) memory and link
  Topology topology;             // holds the Type 2 device `accel`
  std::string accel;             // empty: the topology's first Type 2 device
  unsigned hosts = 2;            // shared-write
  unsigned accesses = 1024;      // lines per measurement
  unsigned window = 16;          // streaming phases: accesses a requester keeps in flight
  unsigned passes = 1;           // weather: passes of the compute phase over input and output
  CoherenceCosts costs;
};

struct CoherenceRow {
  std::string name;
  double latency_ns = 0;           // mean per access (or the phase's duration, for phases)
  uint64_t count = 0;              // accesses measured
  double per_access_messages = 0;  // coherence messages per access
  std::string note;
};

struct CoherenceReport {
  std::string scenario;
  std::string path;  // the agents and links involved
  std::vector<CoherenceRow> rows;
  std::vector<std::pair<std::string, double>> ratios;  // named ratios to set beside the literature
};

// A program's traffic on the accelerator (cxlsim accel run): what the host copied in and out,
// and what its kernels read and wrote in device memory.
struct OffloadTraffic {
  uint64_t upload_bytes = 0, download_bytes = 0;
  uint64_t device_read_bytes = 0, device_write_bytes = 0;
};

// What `t` costs on the topology's accelerator, through the coherence engine: the phases of the
// weather scenario (upload in host bias, compute, download) with the program's line counts, once
// with bias flips around the compute (device bias while the kernels run) and once in host bias
// throughout (every kernel access to device memory goes through the host's home agent). Each
// phase is timed on a sample of at most s.accesses lines and scaled to its line count; ratios
// total_ns_with_flips and total_ns_host_bias sum the phases.
CoherenceReport cost_offload(const CoherenceSetup& s, const OffloadTraffic& t);

std::vector<std::string> coherence_scenarios();
// Runs `scenario` (one of coherence_scenarios()). Throws ValidationError on bad input.
CoherenceReport run_coherence(const std::string& scenario, const CoherenceSetup& s);

}  // namespace cxlsim::frontend
