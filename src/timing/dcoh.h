// The device coherency engine (DCOH) of a shared HDM-DB memdev (Type3Spec::shared) in a
// multi-host model's shared partition (pool_partition.h): every host request to the device's
// memory runs through the coherence engine (coherence/transaction.h, Flavour::kBackInvalidate,
// one caching agent per host, the device's snoop filter bounded by the topology's
// `snoop_filter`), and the flow's messages to and from the other hosts (S2M BISnpData /
// BISnpInv / BISnpCur, M2S BIRsp, the M2S RwD write-back of a modified line and its S2M Cmp)
// are costed on those hosts' links, slot by slot (each link's serialisation per message class)
// and in latency (its port, propagation and flit), on transmitters of their own: one calendar
// per link and direction that keeps every idle gap, so that the flow's messages queue behind
// each other but not behind the requests and data the partition sends over the same links.
// (The partition costs a request's whole way when it serves it; a snoop's messages reserved that
// far ahead on the links the requests use would delay every later request behind them, as a
// FlitLink keeps only a few idle gaps, and those requests' snoops further still.) The requester's
// own M2S request and its S2M answer (Cmp-S/E and MemData) are the request and response the
// partition already carries; the answer leaves the device only after the snoops it waits for are
// answered. The engine serves one transaction per line at a time. No coherence rule lives here.
//
// The hosts have no cache model in front of the shared memory: every request reaches the
// device, and a host's engine state (I/S/E/M per line) is what its caches hold as the device's
// snoop filter sees it: lines stay with a host until another host's access or a snoop filter
// eviction back-invalidates them (CXL 3.1 §3.3.3, §3.5.1.2). A host's own clean evictions
// (MemClnEvct) are not generated.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "coherence/transaction.h"
#include "timing/system.h"

namespace cxlsim::timing {

// Latencies no profile states (the same assumptions as frontend::CoherenceCosts).
struct DcohCosts {
  Duration process = Duration::ns(10);  // the DCOH handling one message (snoop filter lookup)
  Duration respond = Duration::ns(15);  // a host's caches answering a BISnp
};

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
  // `roots[h]`: host h's root-port link above this memdev; `root_port` its root port's
  // latency; `hops` the links below the root port (the shared ones), host side first: the flow
  // runs on calendars of its own with their timings. At most coherence::kMaxAgents hosts;
  // 1 <= snoop_filter <= Type3Spec::kMaxSnoopFilter.
  Dcoh(const std::vector<FlitLink*>& roots, Duration root_port, const std::vector<Hop>& hops,
       unsigned snoop_filter, DcohCosts costs = {});

  // Host `host`'s request `op` for DPA `media` reached the device at `at` (ps); its memory
  // access, started then, is done at `device_done`. Runs the access through the engine (a read
  // is a cached load, MemRd,S; a write a cached store, MemRd,A), costs the messages
  // to and from the other hosts (write-backs also reach `t`'s media), and returns when the
  // answer may leave the device. `now`: the partition's time (link reservations before it are
  // final).
  int64_t access(uint16_t host, Op op, uint64_t media, int64_t at, int64_t device_done, int64_t now,
                 Target& t);

  [[nodiscard]] const BackInvalidationStats& stats(size_t host) const { return stats_[host]; }
  [[nodiscard]] const coherence::Runner& runner() const { return runner_; }

 private:
  // The engine line holding DPA line `line`: its own, or a line no host holds (untracked in
  // the inclusive snoop filter) taken over for it.
  uint16_t slot_of(uint64_t line);
  int64_t up(uint8_t host, bool data, int64_t ready, int64_t now);
  int64_t down(uint8_t host, bool data, int64_t ready, int64_t now);

  // One direction of a link for the flow's messages: busy intervals [start, end), every gap kept.
  class Calendar {
   public:
    // Start of a `ser`-long transmission reaching the port at `t`; intervals ended by `now`
    // (no later call sends before it) are dropped.
    int64_t reserve(int64_t t, int64_t ser, int64_t now);

   private:
    // Sorted by start from busy_[head_] on (intervals do not overlap, so by end too); most
    // reservations come in time order, so they append.
    std::vector<std::pair<int64_t, int64_t>> busy_;
    size_t head_ = 0;
  };
  // A link of the flow's paths: its timings and a calendar per direction.
  struct Wire {
    const FlitLink* link = nullptr;
    int64_t before = 0;  // latency of the element on its host side (root port, switch)
    Calendar down, up;
  };
  int64_t send(Wire& w, bool down, Msg m, int64_t at, int64_t now);

  coherence::Runner runner_;
  std::vector<Wire> roots_;  // per host: its root-port link above the device
  std::vector<Wire> hops_;   // the links below the root port, host side first
  DcohCosts costs_;
  std::unordered_map<uint64_t, uint16_t> slots_;  // DPA line -> engine line
  std::vector<uint64_t> slot_line_;               // engine line -> DPA line (UINT64_MAX: none)
  std::vector<int64_t> line_free_;                // engine line: when its last transaction ended
  size_t clock_ = 0;
  coherence::Transaction t_;
  int64_t arrival_[coherence::Transaction::kMaxLog] = {};
  std::vector<BackInvalidationStats> stats_;
};

}  // namespace cxlsim::timing
