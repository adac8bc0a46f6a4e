// The simulated machine: host cores' uncore path, a home agent that sends local addresses to
// local DRAM and CXL window addresses through root ports, links and switches to device
// controllers and their media. Event-driven and deterministic: the same inputs give the same
// timeline.
//
// Address map: local DRAM at HPA [0, local_size); each CFMWS window at its base (or, when the
// topology leaves it open, packed after local DRAM on 256 MiB boundaries), interleaved over its
// host bridges (granularity from the window) and then over the memdevs below each bridge.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fabric/topology.h"
#include "timing/event_queue.h"
#include "timing/link.h"
#include "timing/dram.h"
#include "timing/profile.h"
#include "timing/request.h"
#include "timing/requester.h"

namespace cxlsim::timing {

// One link on a target's path, with the latency of the element on its host side
// (root port for the first, switch traversal for the others).
struct Hop {
  Duration before;
  LinkModel* link = nullptr;
  bool shared = false;  // carries traffic of more than one target
};

struct TargetStats {
  uint64_t reads = 0, writes = 0;
  Duration latency_sum;   // issue to completion, summed
  Duration credit_wait;   // time requests waited at the host for a credit, summed
};

// A memory target: local DRAM (index 0) or a memdev.
struct Target {
  std::string name;
  DeviceProfile profile;
  std::unique_ptr<MediaModel> media;
  std::vector<Hop> hops;
  unsigned outstanding = 0;
  int64_t last_response = 0;  // in-order controllers: when the previous response left (ps)
  TargetStats stats;
  // Requests waiting for a credit, one FIFO per requester, served round robin.
  std::vector<Request*> wait_head, wait_tail;
  std::vector<uint16_t> ring;  // requesters with waiting requests, in arrival order
  size_t ring_head = 0, ring_size = 0;
};

struct Window {
  std::string id;
  uint64_t base = 0, size = 0;
  uint64_t granularity = 256;
  std::vector<std::vector<uint16_t>> bridges;  // per host bridge target: memdev target indices
  int gran_shift = -1;                         // log2(granularity) when a power of two
  uint64_t dev_mask = 0;                       // one bridge with 2^k devices: 2^k (fast decode)
  int dev_shift = 0;
};

class System {
 public:
  // `device_for(memdev)` gives the profile of each memdev in the topology.
  System(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
         const Topology& topo, const std::function<DeviceProfile(const std::string&)>& device_for);

  // Registers a requester; returns its id. Call before run().
  uint16_t add(Requester* r);
  // Allocates a request for requester `who`; fill hpa and op, then issue().
  Request* alloc(uint16_t who) {
    Request* r = pool_.get();
    r->requester = who;
    return r;
  }
  // Issues at the current time. Throws ValidationError for an unmapped address.
  void issue(Request* r);
  void schedule(Duration t, EventTarget* target, Request* req) { events_.push(t, target, req); }
  // Runs requesters (starting them first if needed) until simulated time `end`.
  void run_until(Duration end);
  Duration now() const { return now_; }
  // Time of the last event processed (run_until's bound is not an event).
  Duration last_event_time() const { return last_event_; }

  const HostProfile& host() const { return host_; }
  const std::vector<Target>& targets() const { return targets_; }
  const std::vector<Window>& windows() const { return windows_; }
  const std::vector<std::unique_ptr<LinkModel>>& links() const { return links_; }
  uint64_t local_size() const { return local_size_; }
  size_t in_flight() const { return pool_.live(); }
  size_t pool_capacity() const { return pool_.capacity(); }
  uint64_t completed() const { return completed_; }
  // Latency of one read on an idle path to target t (sum of the latencies on its path).
  Duration idle_read_latency(size_t t) const;
  // Window that holds hpa, or null.
  const Window* window_of(uint64_t hpa) const;


 private:
  class Completion : public EventTarget {
   public:
    explicit Completion(System& s) : s_(s) {}
    void on_event(Request* r, Duration now) override { s_.complete(r, now); }
   private:
    System& s_;
  };

  void decode(Request& r);
  void dispatch(Request* r, Target& t);
  void up(Request* r, Target& t, int64_t at);
  void complete(Request* r, Duration now);
  void grant(Target& t);

  HostProfile host_;
  uint64_t local_size_;
  std::vector<Target> targets_;
  std::vector<Window> windows_;
  std::vector<std::unique_ptr<LinkModel>> links_;
  std::vector<Requester*> requesters_;
  EventQueue events_;
  RequestPool pool_;
  Completion completion_{*this};
  Duration now_;
  Duration last_event_;
  bool started_ = false;
  uint64_t completed_ = 0;
  int64_t to_home_, from_home_, rp_;
};

}  // namespace cxlsim::timing
