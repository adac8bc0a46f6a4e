// Several hosts at once over one topology's shared switches and devices (pool_partition.h says
// what is each host's and what is shared). The model is split into partitions that exchange
// nothing but requests crossing a host's root-port link (partition.h): one per host (a System:
// its requesters, cache, home agent, root-port links down, its own event queue) and one for the
// shared part. Synchronisation is conservative, as in SST: every partition advances through a
// window of simulated time no longer than the shortest crossing of a root-port link (the
// lookahead), so nothing sent in a window can arrive in it; crossings are handed over between
// windows and delivered in (time, host, sequence) order. The order partitions run within a
// window does not change the result, so each could run in its own process (an MPI rank).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fabric/region.h"
#include "fabric/topology.h"
#include "timing/partition.h"
#include "timing/pool_partition.h"
#include "timing/profile.h"
#include "timing/system.h"

namespace cxlsim::timing {

// One host: its name (reports) and the regions its host agent creates (empty: the default
// regions). Hosts decode their own addresses; regions on the same memdev share its media.
struct HostSpec {
  std::string name;
  std::vector<RegionRequest> regions;
};

class MultiHost {
 public:
  // Every host runs `host` with `local_dram` of `local_size` over `topo` (each memdev's profile
  // from `device_for`). Throws ValidationError as System does, when no host is given, and for a
  // host cache with a shared HDM-DB device (dcoh.h: not modelled).
  MultiHost(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
            const Topology& topo,
            const std::function<DeviceProfile(const std::string&)>& device_for,
            const std::vector<HostSpec>& hosts);

  [[nodiscard]] size_t hosts() const { return hosts_.size(); }
  // Host i's partition: add its requesters before run_until().
  System& host(size_t i) { return *hosts_[i]; }
  [[nodiscard]] const System& host(size_t i) const { return *hosts_[i]; }
  [[nodiscard]] const std::string& host_name(size_t i) const { return names_[i]; }
  [[nodiscard]] const PoolPartition& pool() const { return pool_; }
  // The window length: the shortest crossing of a root-port link.
  [[nodiscard]] Duration lookahead() const { return lookahead_; }
  // Order the partitions run in within a window: host indices and hosts() for the shared
  // partition, each once (default: hosts in order, then the shared one). Any order gives the same
  // result. Throws ValidationError when `order` is no such permutation.
  void set_order(const std::vector<size_t>& order);

  // Runs every partition until simulated time `end`, window by window. Stretches of time in
  // which no partition has anything to do (no event, nothing in flight between them) are
  // skipped; once nothing at all is left it returns early, every host's clock at `end`.
  void run_until(Duration end);
  [[nodiscard]] uint64_t windows() const { return windows_; }

 private:
  void run_partition(size_t p, int64_t end);
  void exchange(int64_t window_end);
  // The earliest time anything is scheduled in any partition (ps); INT64_MAX when nothing is.
  int64_t earliest_work();

  std::vector<std::unique_ptr<System>> hosts_;
  std::vector<std::string> names_;
  std::vector<Outbox> outboxes_;  // one per host
  PoolPartition pool_;
  Duration lookahead_;
  std::vector<size_t> order_;
  int64_t next_ = 0;  // start of the next window (ps)
  uint64_t windows_ = 0;
};

}  // namespace cxlsim::timing
