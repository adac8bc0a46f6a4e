// Trace replay on the timing model, `cxlsim replay --model requests` (the default model is
// app_replay.h): streams a trace through one requester that keeps up to
// `max_outstanding` line requests in flight (and never issues a record before its timestamp),
// places pages with a policy, and reports per-component statistics (targets count memory-side
// requests: with a host cache, fills and write-backs), the cache's hits and misses, a latency
// histogram and bandwidth over time. Memory stays bounded by pages touched and requests in flight.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fabric/region.h"
#include "fabric/topology.h"
#include "frontend/histogram.h"
#include "frontend/placement.h"
#include "frontend/replay_reader.h"
#include "timing/core_caches.h"
#include "timing/dcoh.h"
#include "timing/host_cache.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

struct ReplayConfig {
  timing::HostProfile host;
  timing::DeviceProfile local_dram;
  Topology topology;
  std::function<timing::DeviceProfile(const std::string&)> device_for;
  // Regions the host agent creates (empty: timing::default_regions); CXL pages go to the first.
  std::vector<RegionRequest> regions;
  PlacementPolicy placement;
  unsigned max_outstanding = 16;
  // Filter the trace through a core's private L1D and L2 (host.app, timing/core_caches.h, as
  // `cxlsim run` does): only L2 misses (a store's as a read for ownership) and dirty L2 victims
  // (as writes) reach the requester; accesses to a line already fetched merge into it.
  bool private_caches = false;
  // replay_hosts: hosts with the same first region place their pages in all of it (the same
  // lines: shared memory) instead of each in a disjoint part.
  bool same_lines = false;
  std::function<void(uint64_t done, uint64_t total)> progress;  // bytes of trace read
};

struct ComponentStat {
  std::string name;
  std::string kind;  // "target", "link-down", "link-up", "media"
  uint64_t requests = 0;
  uint64_t bytes = 0;
  double utilisation = 0;  // busy fraction of the run
  double queueing_ns = 0;  // mean wait per request
  std::string link{};      // links: trained width and speed, "x16 32GT/s"; else empty
};

struct ReplayResult {
  uint64_t records = 0, requests = 0, reads = 0, writes = 0;
  uint64_t l2_hits = 0;  // lines the private caches served (private_caches only)
  double elapsed_ns = 0;
  LatencyHistogram latency;
  double bin_ns = 0;                   // width of each bandwidth bin
  std::vector<double> bandwidth_gbps;  // bytes completed per bin / bin width
  std::vector<ComponentStat> components;
  uint64_t dram_pages = 0, cxl_pages = 0;
  uint64_t spilled_pages =
      0;  // pages the policy sent to CXL that went to DRAM: the region was full
  timing::HostCacheConfig cache;       // the host cache the run had (cache.enabled false: none)
  timing::HostCacheStats cache_stats;  // its hits, misses and write-backs
};

ReplayResult replay(TraceReader& trace, const ReplayConfig& cfg);

// One host's trace in a multi-host replay.
struct HostTrace {
  std::string name;
  TraceReader* trace = nullptr;
  std::vector<RegionRequest> regions;  // this host's own; empty: the config's
};
struct HostsReplayResult {
  // Per host, in the order given: its requests, latency, bandwidth and pages; its components
  // are its own (targets: its requests and credit waits; its local DRAM's media; its root-port
  // links' down direction).
  std::vector<ReplayResult> hosts;
  // The shared partition (timing/pool_partition.h): each memdev's media, the links below switch
  // downstream ports, each host's root-port link up.
  std::vector<ComponentStat> shared;
  double elapsed_ns = 0;  // until the last host finished
  // Per host, its back-invalidation traffic on shared HDM-DB memdevs (timing/dcoh.h); empty
  // when the topology has none.
  std::vector<timing::BackInvalidationStats> back_invalidation;
};
// Replays one trace per host at once over one fabric (timing/multi_host.h): every host has its
// own requester as replay() has and commits its regions (its own, else `cfg.regions`), and places
// its pages as `cfg.placement` says in its first region; hosts with the same first region each
// get an equal, disjoint part of it (they share the devices, not the lines; with
// `cfg.same_lines` each places its pages in all of it). `cfg.progress` is
// not called. Throws as replay() does, and ValidationError for no trace.
HostsReplayResult replay_hosts(const std::vector<HostTrace>& traces, const ReplayConfig& cfg);

}  // namespace cxlsim::frontend
