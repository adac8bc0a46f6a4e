// Device and host profiles: the physical parameters the timing model runs on. Profiles are
// TOML (src/timing/profiles/*.toml, embedded in the binary); each value's source is written
// beside it in the file. See docs/calibration.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/units.h"
#include "timing/dram.h"
#include "timing/host_cache.h"
#include "timing/link.h"

namespace cxlsim::timing {

// A memory target: a CXL Type 3 device (or the memory side of a Type 2), or local DRAM.
struct DeviceProfile {
  std::string name;
  std::string description;
  bool cxl = true;                 // false: host-local DRAM (no link)
  LinkConfig link;                 // unused when !cxl
  Duration frontend_latency;       // controller: link receive to media command (or mesh to MC)
  Duration backend_latency;        // controller: media data to link transmit (or MC to mesh)
  unsigned queue_depth = 64;       // requests the host may have outstanding to it (credits)
  bool read_credits_only = false;  // credits count reads; writes wait for write-queue room
  bool in_order = false;  // returns responses in arrival order (a completion reorder buffer)
  // Requests (64 B reads and writes alike) the controller's request pipeline passes per
  // second, as bytes: one line per 64 B / throughput, shared by both directions. Zero: no limit
  // (the media and the link set the peak).
  Bandwidth throughput;
  // Writes only (set by per-expander overrides, frontend/expander_timing.h; not read from TOML):
  // added to a write's frontend_latency (may be negative; the sum is at least zero), and a
  // pipeline writes alone pass at this rate besides `throughput` (zero: no limit).
  Duration write_latency_shift;
  Bandwidth write_throughput;
  DramConfig dram;
};

// What `cxlsim run` adds to a host: the instruction rate and the private caches of a core
// ([app] table; absent: these defaults, Golden Cove's).
struct AppCoreConfig {
  double insns_per_ns = 7.6;  // instructions retired per ns when no load stalls (GHz x IPC)
  Bytes l1d_size = KiB(48);
  unsigned l1d_ways = 12;
  Bytes l2_size = MiB(2);
  unsigned l2_ways = 16;
};

// The host CPU as MLC and trace replay see it.
struct HostProfile {
  std::string name;
  std::string description;
  unsigned cores = 16;
  unsigned lfb = 16;                       // demand misses in flight per core (line fill buffers)
  unsigned max_outstanding = 48;           // misses in flight per core including L2 prefetches
  unsigned prefetch_distance = 20;         // lines the stream prefetcher runs ahead of demand
  Duration ooo_window = Duration::ns(30);  // compute the reorder buffer holds past a stalled load
  unsigned store_buffer = 0;   // stores retired ahead of their data (0: they hold the loop)
  Duration core_to_home;       // L1 miss to the home agent (L2 + LLC miss + mesh)
  Duration home_to_core;       // return path of the data
  Duration root_port_latency;  // home agent to CXL root port (host bridge), one way
  Duration switch_latency;     // per switch traversal, one way (used by topologies)
  Duration inject_unit;        // MLC delay loop: cost of one inject-delay unit
  Duration loop_overhead;      // MLC load loop: cost per line besides the delay
  Duration chase_overhead;     // pointer chase: core time between dependent loads
  double loop_jitter = 0.1;    // per-iteration variation of a thread's loop time (fraction)
  // The last-level cache in front of the home agent ([cache] table; absent: none, not enabled).
  HostCacheConfig cache;
  AppCoreConfig app;  // [app]: cxlsim run's cores
};

// How long the host's caches take to answer a device's snoop (a BISnp, CXL 3.1 §3.3.3) once it
// reached the home agent: one lookup of the last-level cache and its snoop filter, costed as the
// profile's LLC hit latency ([cache] hit_latency_ns, spr-xeon: 33 ns, Chips and Cheese's Sapphire
// Rapids L3 load-to-use, 2023) whether or not the cache model is enabled; a profile that states
// none gets core_to_home + home_to_core, the round trip through the LLC its uncore states.
Duration snoop_response(const HostProfile& h);

// Built-in profile names.
std::vector<std::string> builtin_device_profiles();
std::vector<std::string> builtin_host_profiles();
// Loads a device profile: a built-in name or a path to a TOML file. Throws ParseError.
DeviceProfile load_device_profile(std::string_view name_or_path);
HostProfile load_host_profile(std::string_view name_or_path);
// Parses profile TOML text; `origin` names it in errors.
DeviceProfile parse_device_profile(std::string_view toml_text, std::string_view origin);
HostProfile parse_host_profile(std::string_view toml_text, std::string_view origin);
// The embedded TOML text of a built-in profile, or empty.
std::string_view builtin_profile_text(std::string_view name);

}  // namespace cxlsim::timing
