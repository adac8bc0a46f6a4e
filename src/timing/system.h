// The simulated machine: host cores' uncore path, an optional last-level cache (host_cache.h,
// when the host profile enables one), a home agent that sends local addresses to
// local DRAM and CXL window addresses through root ports, links and switches to device
// controllers and their media. Event-driven and deterministic: the same inputs give the same
// timeline.
//
// Address map: local DRAM at HPA [0, local_size); each CFMWS window at its base (or, when the
// topology leaves it open, packed after local DRAM on 256 MiB boundaries). CXL addresses are
// routed by the functional fabric (fabric/fabric.h): a host agent (fabric/region.h) creates
// regions by committing HDM decoders, every request goes to the memdev and DPA that
// Fabric::decode() returns, over that memdev's component path (Fabric::memdev_path).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology.h"
#include "timing/dram.h"
#include "timing/event_queue.h"
#include "timing/host_cache.h"
#include "timing/link.h"
#include "timing/partition.h"
#include "timing/profile.h"
#include "timing/request.h"
#include "timing/requester.h"

namespace cxlsim::timing {

// One link on a target's path, with the latency of the element on its host side
// (root port for the first, switch traversal for the others).
struct Hop {
  Duration before;
  FlitLink* link = nullptr;  // owned by System::links()
  bool shared = false;       // carries traffic of more than one target
};

struct TargetStats {
  uint64_t reads = 0, writes = 0;
  Duration latency_sum;  // issue to completion, summed
  Duration credit_wait;  // time requests waited at the host for a credit, summed
};

// A memory target: local DRAM (index 0), a Type 3 memdev or the memory side of a Type 2 device.
struct Target {
  std::string name;
  DeviceProfile profile;
  std::unique_ptr<MediaModel> media;
  std::vector<Hop> hops;
  unsigned outstanding = 0;
  int64_t last_response = 0;  // in-order controllers: when the previous response left (ps)
  int64_t request_ps = 0;     // controller pipeline time per request (profile throughput; 0: none)
  int64_t next_accept = 0;    // when the pipeline takes its next request (ps)
  int64_t write_request_ps = 0;  // the same for writes alone (profile write_throughput; 0: none)
  int64_t next_write_accept = 0;
  TargetStats stats;
  // S2M NDRs the device sends beside the data of each read (HDM-D: the coherence engine's flow
  // for a host read, CXL 3.1 §3.5.2.2, §3.6; 0 for HDM-H, which answers with data alone).
  uint8_t read_ndrs = 0;
  // Requests waiting for a credit, one FIFO per requester, served round robin.
  std::vector<Request*> wait_head, wait_tail;
  std::vector<uint16_t> ring;  // requesters with waiting requests, in arrival order
  size_t ring_head = 0, ring_size = 0;
};

// The device side of a request reaching target t's controller at `at` (ps): frontend latency,
// the controller's request pipelines, media, backend latency, in-order responses. Returns when
// the response leaves the controller; `arrived` gets when the controller took the request.
// Inline: it is on the engine's per-request path (System::dispatch).
inline int64_t serve_at_device(Target& t, Op op, uint64_t media, int64_t at, int64_t& arrived) {
  if (op == Op::kWrite) {
    at += std::max<int64_t>(
        0, (t.profile.frontend_latency + t.profile.write_latency_shift).picoseconds());
    if (t.write_request_ps > 0) {
      at = std::max(at, t.next_write_accept);
      t.next_write_accept = at + t.write_request_ps;
    }
  } else {
    at += t.profile.frontend_latency.picoseconds();
  }
  if (t.request_ps > 0) {
    // The controller's request pipeline passes one line per request_ps, reads and writes alike;
    // requests reach it in dispatch order (the path down is FIFO).
    at = std::max(at, t.next_accept);
    t.next_accept = at + t.request_ps;
  }
  arrived = at;
  at = t.media->access(op, media, Duration::ps(at)).picoseconds();
  at += t.profile.backend_latency.picoseconds();
  if (t.profile.in_order) {
    // Requests reach the controller in order (the path down is FIFO), so this is arrival order.
    at = std::max(at, t.last_response);
    t.last_response = at;
  }
  return at;
}

// The answer of target t to a request of kind `op` leaving its controller at `at` (ps), up `hops`
// (device side last): the data (or the write's Cmp) and, for reads, the NDRs the coherence flow
// adds, which occupy their links' slots behind the data. Returns the data's arrival at the host
// end of the first hop: the NDR travels with it (CXL 3.1 §4.2.3 slot formats H3/G4 carry a DRS
// header beside NDRs), so it does not delay the completion.
inline int64_t answer_up(const Target& t, const std::vector<Hop>& hops, Op op, int64_t at,
                         int64_t now) {
  const Msg um = op == Op::kRead ? Msg::kRespData : Msg::kRespNoData;
  const int ndrs = op == Op::kRead ? t.read_ndrs : 0;
  for (auto h = hops.rbegin(); h != hops.rend(); ++h) {
    const int64_t ready = at;
    at = h->link->send_ps(Dir::kUp, um, ready, now) + h->before.picoseconds();
    for (int k = 0; k < ndrs; ++k) h->link->send_ps(Dir::kUp, Msg::kRespNoData, ready, now);
  }
  return at;
}

// A committed region (Linux's regionN) as the host sees it.
struct CommittedRegion {
  std::string id;     // "regionN"
  std::string cfmws;  // id of the CFMWS window holding it
  uint64_t base = 0, size = 0;
  uint64_t granularity = 256;
  std::vector<uint16_t> memdevs;  // target indices, in interleave position order
};

// The topology with open window bases packed after local DRAM on 256 MiB boundaries.
Topology place_windows(const Topology& topo, Bytes local_size);
// What the host agent creates when no regions are requested: per window, one region over
// every Type 3 memdev below its host bridges (targets in an order Linux accepts,
// find_target_order), and, when the window allows Type 2 memory, a second (ram) one over the
// Type 2 devices below them. Kinds never share a region. Where no such region is possible (the
// count is no valid ways for the window, or no order meets Linux's rules) the devices are
// covered by as few regions as the search allows, widest first (down to one region per device
// for a one-host-bridge window), and a note says so.
struct DefaultRegions {
  std::vector<RegionRequest> requests;
  std::vector<std::string> notes;  // one line per window that fell back, for stderr
};
DefaultRegions plan_default_regions(const Fabric& fabric);
std::vector<RegionRequest> default_regions(const Fabric& fabric);
// A 1-way region on `memdev` (a Type 3 memdev or a Type 2 device) alone, in the first window
// whose only target is its host bridge (and, for a Type 2 device, that allows Type 2 memory).
// Throws ValidationError when no window fits.
RegionRequest memdev_region(const Fabric& fabric, const std::string& memdev);

class System {
 public:
  // `device_for(memdev)` gives the profile of each memdev in the topology. `regions` are
  // created in order (RegionError with Linux's reason when refused); empty: default_regions.
  System(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
         const Topology& topo, const std::function<DeviceProfile(const std::string&)>& device_for,
         const std::vector<RegionRequest>& regions = {});

  // Registers a requester; returns its id. Call before run().
  uint16_t add(Requester* r);
  // Allocates a request for requester `who`; fill hpa and op, then issue().
  Request* alloc(uint16_t who) {
    Request* r = pool_.get();
    r->requester = who;
    return r;
  }
  // Issues at the current time. Throws ValidationError for an unmapped address. With a host
  // cache, a hit completes after the cache's hit latency without reaching memory; a miss goes
  // to memory as a read (a write miss reads for ownership) and installs the line when its data
  // is back, writing a dirty victim back (a request no requester waits for, counted in
  // completed() and in its target's stats). The requester sees its own op on completion.
  void issue(Request* r);
  void schedule(Duration t, EventTarget* target, Request* req) { events_.push(t, target, req); }
  // Runs requesters (starting them first if needed) until simulated time `end`.
  void run_until(Duration end);
  [[nodiscard]] Duration now() const { return now_; }

  // Makes this system one host partition of a multi-host model (multi_host.h), host number
  // `host`: requests to CXL targets cross the root-port link down (this host's transmitter) and
  // are then sent to `out`; the rest of their way (below the root-port link, the device, and the
  // root-port link up) is another partition's, whose answer comes back through receive(). Call
  // before run_until().
  void attach(Outbox* out, uint16_t host) {
    out_ = out;
    host_id_ = host;
  }
  // A response crossing up the root-port link (`c.t` at or after the current time): the request
  // completes after the root port and the way to the core. A Crossing::Kind::kSnoopSend: the
  // host sends that message down its root-port link (after its root port) and to `out`.
  void receive(const Crossing& c);
  // Time of the next event, or nullopt when none is scheduled.
  [[nodiscard]] std::optional<Duration> next_event_time() {
    if (events_.empty()) return std::nullopt;
    return events_.next_time();
  }
  // Time of the last event processed (run_until's bound is not an event).
  [[nodiscard]] Duration last_event_time() const { return last_event_; }

  [[nodiscard]] const HostProfile& host() const { return host_; }
  [[nodiscard]] const std::vector<Target>& targets() const { return targets_; }
  // Committed regions, in creation order.
  [[nodiscard]] const std::vector<CommittedRegion>& regions() const { return regions_; }
  // The functional fabric requests are decoded by.
  [[nodiscard]] const Fabric& fabric() const { return *fabric_; }
  [[nodiscard]] const std::vector<std::unique_ptr<LinkModel>>& links() const { return links_; }
  [[nodiscard]] uint64_t local_size() const { return local_size_; }
  [[nodiscard]] size_t in_flight() const { return pool_.live(); }
  [[nodiscard]] size_t pool_capacity() const { return pool_.capacity(); }
  // Requests completed: requesters' requests (hits included) and the cache's write-backs.
  [[nodiscard]] uint64_t completed() const { return completed_; }
  // The host's last-level cache, or null when the host profile has none enabled.
  [[nodiscard]] const HostCache* cache() const { return cache_.get(); }
  // Latency of one read on an idle path to target t (sum of the latencies on its path).
  [[nodiscard]] Duration idle_read_latency(size_t t) const;
  // Index in targets() of the memory that holds hpa (0: local DRAM), as a request to it is
  // decoded. Throws ValidationError for an unmapped address.
  [[nodiscard]] uint16_t target_of(uint64_t hpa) const;
  // Region that holds hpa, or null.
  [[nodiscard]] const CommittedRegion* region_of(uint64_t hpa) const;

 private:
  class Completion : public EventTarget {
   public:
    explicit Completion(System& s) : s_(s) {}
    void on_event(Request* r, Duration now) override { s_.complete(r, now); }

   private:
    System& s_;
  };

  void decode(Request& r);
  [[nodiscard]] DecodeResult decode_cxl(uint64_t hpa) const;  // throws for an unmapped address
  void send(Request* r);          // to the home agent: decode, then dispatch or wait for a credit
  void add_wait_slot();           // one credit-wait FIFO per target for a new requester
  bool look_up(Request* r);       // true: a cache hit, completion scheduled
  bool cache_return(Request* r);  // data back at the core: fill; false for a write-back
  void write_back(uint64_t line);
  void dispatch(Request* r, Target& t);
  // Whether `r` takes one of the target's request credits: every request, or only reads where
  // the controller's writes go to a separate write queue (held by its room in the media model).
  static bool holds_credit(const Request& r, const Target& t) {
    return r.op == Op::kRead || !t.profile.read_credits_only;
  }
  void complete(Request* r, Duration now);
  void grant(Target& t);

  HostProfile host_;
  uint64_t local_size_;
  std::unique_ptr<Fabric> fabric_;
  std::vector<Target> targets_;
  std::vector<CommittedRegion> regions_;
  std::vector<std::unique_ptr<LinkModel>> links_;
  std::vector<Requester*> requesters_;
  std::unique_ptr<HostCache> cache_;
  uint16_t writeback_slot_ = 0;  // the cache's wait-queue slot, after the requesters'
  EventQueue events_;
  RequestPool pool_;
  Completion completion_{*this};
  Duration now_;
  Duration last_event_;
  bool started_ = false;
  uint64_t completed_ = 0;
  int64_t to_home_, from_home_, rp_;
  Outbox* out_ = nullptr;  // set: a host partition (attach)
  uint16_t host_id_ = 0;
};

}  // namespace cxlsim::timing
