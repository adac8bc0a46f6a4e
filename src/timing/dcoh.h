// The device coherency engine (DCOH) of a shared HDM-DB memdev (Type3Spec::shared) in a
// multi-host model's shared partition (pool_partition.h): every host request to the device's
// memory runs through the coherence engine (coherence/transaction.h, Flavour::kBackInvalidate,
// one caching agent per host, the device's snoop filter bounded by the topology's
// `snoop_filter`). The engine decides a transaction's messages at once; their timing runs as
// events at the partition's clock: each of the flow's messages to and from the other hosts
// (S2M BISnpData / BISnpInv / BISnpCur, M2S BIRsp, the M2S RwD write-back of a modified line and
// its S2M Cmp) is sent when it is ready, on the links the requests and answers use (the shared
// links below the switch both ways, the snooped host's root-port link both ways), so both kinds
// of traffic delay each other, and every link is booked close to the partition's clock as a
// FlitLink expects. A host's M2S message is sent by its own partition, whose transmitter the
// root-port link's down direction is: Dcoh hands it over (handoffs(): the partition sends it as
// a Crossing) when it is ready and continues when it has crossed (sent()). The requester's own
// M2S request and its S2M answer (Cmp-S/E and MemData)
// are the request and response the partition already carries; the answer leaves the device only
// after the snoops it waits for are answered. The engine serves one transaction per line at a
// time. No coherence rule lives here.
//
// The hosts have no cache model in front of the shared memory: every request reaches the
// device, and a host's engine state (I/S/E/M per line) is what its caches hold as the device's
// snoop filter sees it: lines stay with a host until another host's access or a snoop filter
// eviction back-invalidates them (CXL 3.1 §3.3.3, §3.5.1.2). A host's own clean evictions
// (MemClnEvct) are not generated.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "coherence/transaction.h"
#include "timing/slot_pool.h"
#include "timing/system.h"

namespace cxlsim::timing {

struct DcohCosts {
  // The DCOH handling one message (snoop filter lookup); no profile states it (the same
  // assumption as frontend::CoherenceCosts::home).
  Duration process = Duration::ns(10);
  // A host's caches answering a BISnp once it reached the home agent: snoop_response() of the
  // host profile (profile.h).
  Duration respond;
};

// Whether `topo` has shared HDM-DB memory (a Type 3 device with `shared = true`): its requests
// run through a Dcoh, which lives in a multi-host model's shared partition (pool_partition.h),
// so a single-host run on it is a multi-host run of one host.
bool has_shared_hdm_db(const Topology& topo);

// One host's share of the back-invalidation traffic.
struct BackInvalidationStats {
  uint64_t requests = 0;            // its requests to shared HDM-DB memory
  uint64_t bisnp_caused = 0;        // BISnp* the device sent (to any host) to serve its requests
  uint64_t bisnp_received = 0;      // BISnp* sent to it (by any host's request)
  uint64_t bisnp_inv_received = 0;  // of those, BISnpInv
  uint64_t birsp_sent = 0;          // BIRsp* it answered with
  uint64_t writebacks = 0;          // M2S RwD MemWr of a modified line it wrote back for a snoop
  uint64_t bi_evictions = 0;        // snoop filter entries its requests evicted
  BackInvalidationStats& operator+=(const BackInvalidationStats& o);
};

class Dcoh {
 public:
  // `roots[h]`: host h's root-port link above this memdev (the shared partition's copy: its up
  // direction; the host's partition sends down);
  // `root_port` its root port's latency; `hops` the memdev's links below the root port
  // (Target::hops), host side first. At most coherence::kMaxAgents hosts;
  // 1 <= snoop_filter <= Type3Spec::kMaxSnoopFilter.
  Dcoh(const std::vector<FlitLink*>& roots, Duration root_port, std::vector<Hop> hops,
       unsigned snoop_filter, DcohCosts costs);

  // Host `host`'s request `op` for DPA `media` reached the device at `at` (ps, the partition's
  // clock); its memory access, started then, is done at `device_done`. Runs the access through
  // the engine (a read is a cached load, MemRd,S; a write a cached store, MemRd,A). Returns when
  // the answer may leave the device when nothing but the request and its answer is sent and the
  // line is not busy; otherwise nullopt: the flow runs as events (next_event(), step()), which
  // hand `tag` back with the answer's time.
  std::optional<int64_t> access(uint16_t host, Op op, uint64_t media, int64_t at,
                                int64_t device_done, uint32_t tag);

  // When the next event of a running flow is due (ps); INT64_MAX when none is.
  [[nodiscard]] int64_t next_event() const {
    return events_.empty() ? INT64_MAX : events_.front().t;
  }
  // A flow whose answer may leave the device at `answer`.
  struct Done {
    uint32_t tag = 0;
    int64_t answer = 0;
  };
  // Runs the event due at next_event(): sends the flow's messages due then; returns the flow's
  // tag when it is done.
  std::optional<Done> step();

  // A host's M2S message its partition is to send down its root-port link: ready at its home
  // agent at `t` (at least one root-port crossing after the event that readied it).
  struct Handoff {
    int64_t t = 0;
    uint8_t host = 0;
    bool data = false;  // an M2S RwD (a write-back); else a BIRsp
    uint32_t flow = 0;
    uint16_t step = 0;
  };
  // Those readied since the caller last emptied it.
  std::vector<Handoff>& handoffs() { return handoffs_; }
  // Handoff `step` of `flow` crossed its host's root-port link down at `at` (the partition's
  // clock): it continues below it to the device (a write-back also reaches `t`'s media).
  void sent(uint32_t flow, uint16_t step, int64_t at, Target& t);

  [[nodiscard]] const BackInvalidationStats& stats(size_t host) const { return stats_[host]; }
  [[nodiscard]] const coherence::Runner& runner() const { return runner_; }

 private:
  // One message of a flow, from the engine's log.
  struct Step {
    int16_t cause = -1;      // the step whose receipt sent it; -1: the request
    uint8_t agent = 0;       // the host it goes to or comes from
    bool from_home = false;  // S2M (device to host)
    bool data = false;       // carries a line
    bool grant = false;      // the requester's answer: carried by the partition's response
    bool booked = false;     // sent: `arrival` is known
    bool handed = false;     // a host's message its partition sends (handoffs())
    uint16_t waiting = 0;    // earlier steps its sender must receive before it is ready
    uint64_t writeback = 0;  // DPA line a modified line's M2S RwD writes (kNoLine: none)
    int64_t ready = 0;       // when its sender sends it (once waiting == 0)
    int64_t arrival = 0;     // when its receiver has it
  };
  struct Flow {
    std::vector<Step> steps;
    uint32_t tag = 0;
    uint16_t line = 0;            // engine line
    int64_t at = 0;               // the request reached the device
    int64_t answer = 0;           // the answer may leave (at least device_done)
    int32_t next_waiting = -1;    // the flow queued behind this one on its line
    size_t first = 0;             // steps before it are all sent
    uint64_t event = UINT64_MAX;  // the sequence of its pending event (UINT64_MAX: none)
    int64_t event_t = 0;          // and its time
  };
  struct Event {
    int64_t t = 0;
    uint64_t seq = 0;
    uint32_t flow = 0;
  };

  // The engine line holding DPA line `line`: its own, or a line no host holds (untracked in
  // the inclusive snoop filter) taken over for it.
  uint16_t slot_of(uint64_t line);
  // Copies the engine's log of `agent`'s transaction just run into flow `f`'s steps.
  void record(Flow& f, uint8_t agent);
  // The request of flow `f` reached the device's engine at `start`: its steps become ready.
  void begin(uint32_t f, int64_t start);
  // Marks step `i` of flow `f` received at `arrival` and readies the steps waiting for it.
  void arrive(uint32_t f, size_t i, int64_t arrival);
  // Flow `f` has work at `t`; an event already due earlier stays (it looks again).
  void schedule(uint32_t f, int64_t t);
  int64_t up(uint8_t host, bool data, int64_t ready, int64_t now);
  // The way below the root-port link of an M2S message that crossed it at `at`.
  int64_t down(bool data, int64_t at, int64_t now);

  coherence::Runner runner_;
  std::vector<FlitLink*> roots_;  // per host: its root-port link above the device
  int64_t root_port_ = 0;
  std::vector<Hop> hops_;  // the links below the root port, host side first
  DcohCosts costs_;
  std::unordered_map<uint64_t, uint16_t> slots_;  // DPA line -> engine line
  std::vector<uint64_t> slot_line_;               // engine line -> DPA line (UINT64_MAX: none)
  std::vector<int64_t> line_free_;                // engine line: when its last transaction ended
  std::vector<int32_t> line_flow_;                // engine line: the flow running on it, -1: none
  std::vector<int32_t> line_last_;                // engine line: the last flow queued on it
  size_t clock_ = 0;
  coherence::Transaction t_;
  SlotPool<Flow> flows_;
  std::vector<Event> events_;  // a min-heap by (t, seq); an event a later one replaced is stale
  std::vector<Handoff> handoffs_;
  uint64_t seq_ = 0;
  std::vector<BackInvalidationStats> stats_;
};

}  // namespace cxlsim::timing
