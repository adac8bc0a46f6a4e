// What the partitions of a multi-host model (multi_host.h) exchange: requests crossing the link
// between a host and the shared part of the fabric, and nothing else. A partition advances on
// its own through a window of simulated time and only then hands its outbox over, so a
// partition could run in another process (an MPI rank) with these messages as the only traffic.
#pragma once

#include <cstdint>
#include <vector>

#include "timing/request.h"

namespace cxlsim::timing {

// One request crossing a host's root-port link: down (host to the shared partition: `t` is when
// it is fully received below the host's link) or up (its response: `t` is when it is fully
// received at the host's root port).
struct Crossing {
  int64_t t = 0;      // ps; at least one window after the sender's time (conservative lookahead)
  uint16_t host = 0;  // host partition the request belongs to
  // Besides requests and their answers, the host's part of a shared HDM-DB memdev's
  // back-invalidation flow (dcoh.h): the shared partition asks the host to send an M2S message
  // of the flow (kSnoopSend, up: `t` is when the host has it ready at its home agent; a BIRsp,
  // or a write-back's RwD when `op` is kWrite), and the host answers once the message crossed
  // its root-port link down (kSnoopSent: `t` as for a request). `flow` and `step` name it.
  enum class Kind : uint8_t { kRequest, kSnoopSend, kSnoopSent };
  Kind kind = Kind::kRequest;
  uint16_t step = 0;
  uint64_t seq = 0;  // the sending partition's message count: with (t, host) a total order
  // The host's request. The shared partition never dereferences it and returns it unchanged in
  // the response (across processes it would be an index into the host's table).
  Request* req = nullptr;
  uint16_t target = 0;  // memdev target index (the same in every host: one topology)
  Op op = Op::kRead;
  uint32_t flow = 0;
  uint64_t media = 0;   // DPA on the target
  int64_t arrived = 0;  // response: when the target's controller took the request (ps)
};

// Orders crossings for delivery: by time, then host, then the sender's sequence, so that what a
// partition receives does not depend on the order partitions ran in a window.
struct CrossingAfter {
  bool operator()(const Crossing& a, const Crossing& b) const {
    if (a.t != b.t) return a.t > b.t;
    if (a.host != b.host) return a.host > b.host;
    return a.seq > b.seq;
  }
};

// A partition's messages sent during the current window.
class Outbox {
 public:
  void send(Crossing c) {
    c.seq = seq_++;
    out_.push_back(c);
  }
  // Hands the window's messages over (and empties the box).
  std::vector<Crossing>& pending() { return out_; }

 private:
  std::vector<Crossing> out_;
  uint64_t seq_ = 0;
};

}  // namespace cxlsim::timing
