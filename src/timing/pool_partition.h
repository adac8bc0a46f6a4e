// The shared part of a multi-host model (multi_host.h): what several hosts reach below their own
// root-port links. Every host has its own copy of the topology's host side (cores, caches, home
// agent, root ports and the link below each root port: its own switch upstream port, or its own
// head of a multi-headed device); the links below switch downstream ports, the devices'
// controllers and their media are one, shared by all hosts. Which device a request reaches comes
// from the topology (the memdev its host decoded it to); what the hosts share follows from the
// memdev paths alone.
//
// A partition of its own: it receives requests that crossed a host's root-port link, serves them
// in (time, host, sequence) order and answers through its outbox, one crossing of the host's
// root-port link up later. It touches no host's state.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fabric/topology.h"
#include "timing/dcoh.h"
#include "timing/link.h"
#include "timing/partition.h"
#include "timing/profile.h"
#include "timing/slot_pool.h"
#include "timing/system.h"

namespace cxlsim::timing {

class PoolPartition {
 public:
  // `topo` as each host's System gets it (place_windows with `local_size` is applied the same
  // way); `device_for` gives each memdev's profile; the hosts named `hosts` send to it.
  PoolPartition(const HostProfile& host, Bytes local_size, const Topology& topo,
                const std::function<DeviceProfile(const std::string&)>& device_for,
                const std::vector<std::string>& hosts);

  // A request that crossed a host's root-port link down (from a host's outbox).
  void deliver(const Crossing& c) { incoming_.push_back(c); }
  // Serves every delivered request that reached it at or before `end` (ps) and runs the DCOHs'
  // events due by then, in time order.
  void run_until(int64_t end);
  // When it next has work (ps): the earliest delivered request reaches it or a DCOH's event is
  // due; nullopt when there is none.
  [[nodiscard]] std::optional<int64_t> next_arrival();
  // Responses sent since the last hand-over.
  Outbox& outbox() { return out_; }

  // The memdevs' device side, in the hosts' target order from index 1 (index 0, local DRAM, is
  // each host's own and unused here). Stats count every host's requests.
  [[nodiscard]] const std::vector<Target>& targets() const { return targets_; }
  // Requests served per target per host (reads and writes together).
  [[nodiscard]] uint64_t served(size_t target, size_t host) const { return served_[target][host]; }
  // Links below switch downstream ports, shared by every host.
  [[nodiscard]] const std::vector<const FlitLink*>& shared_links() const { return shared_links_; }
  // Each host's root-port links, named "HOST:PORT->BELOW"; only their up direction is used here
  // (the transmitters at the switch or device end: the hosts' partitions send down).
  [[nodiscard]] const std::vector<const FlitLink*>& root_port_links() const { return root_links_; }
  // The DCOH of each shared HDM-DB memdev (Type3Spec::shared), by target index; null for the
  // others (each host's own part of them: no coherence between hosts).
  [[nodiscard]] const Dcoh* dcoh(size_t target) const { return dcoh_[target].get(); }
  // Host `host`'s back-invalidation traffic over every shared memdev.
  [[nodiscard]] BackInvalidationStats back_invalidation(size_t host) const;
  [[nodiscard]] bool has_shared() const {
    return std::any_of(dcoh_.begin(), dcoh_.end(), [](const auto& d) { return d != nullptr; });
  }
  // The shortest time any message takes over a host's root-port link, either way: the
  // conservative lookahead between this partition and the hosts.
  [[nodiscard]] Duration min_crossing() const { return min_crossing_; }

 private:
  void serve(const Crossing& c);
  // Sends request `back`'s answer, ready at the device at `at`, up to its host.
  void answer(Crossing back, int64_t at, int64_t now);
  // Sends target `target`'s DCOH's handoffs to their hosts.
  void hand_over(size_t target);
  // Sends the parked answer `tag`, ready at the device at `at` (the partition's clock).
  void send_parked(uint32_t tag, int64_t at);
  // The earliest DCOH event (ps; INT64_MAX: none) and its target.
  int64_t next_event(size_t* target) const;
  // Sorts the crossings delivered since the last call into the pending ones.
  void settle();

  std::vector<Target> targets_;
  // up_[host][target]: the host's root-port link above the target (its up transmitter).
  std::vector<std::vector<FlitLink*>> up_;
  std::vector<std::unique_ptr<FlitLink>> links_;
  std::vector<const FlitLink*> shared_links_, root_links_;
  std::vector<std::vector<uint64_t>> served_;
  std::vector<std::unique_ptr<Dcoh>> dcoh_;
  std::vector<size_t> shared_targets_;  // the targets with a DCOH
  // Answers from shared HDM-DB memory waiting to be sent (Dcoh::access's tag indexes them), and
  // the free slots.
  SlotPool<Crossing> parked_;
  // Those ready at a known time (the others wait for their flow): a min-heap by (t, seq).
  struct Answer {
    int64_t t = 0;
    uint64_t seq = 0;
    uint32_t tag = 0;
  };
  std::vector<Answer> answers_;
  uint64_t answer_seq_ = 0;
  // Delivered requests in (time, host, sequence) order from pending_[head_] on; a window's
  // deliveries arrive mostly in order, so sorting them and merging beats a heap.
  std::vector<Crossing> pending_, incoming_;
  size_t head_ = 0;
  Outbox out_;
  Duration min_crossing_;
};

}  // namespace cxlsim::timing
