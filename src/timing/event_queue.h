// Deterministic discrete-event queue. Events at equal times run in the order they were
// scheduled (a sequence number breaks ties), so a run is a pure function of its inputs.
//
// A calendar queue: 2.048 ns buckets over a ring of 2048 (about 4.2 us ahead), a bitmap to
// skip empty buckets, a small heap for the bucket being drained and an overflow heap for
// events further ahead. Push and pop are O(1) amortised for the near-future events a memory
// system schedules; order is exactly (time, sequence).
#pragma once

#include <cstdint>
#include <vector>

#include "spec/units.h"

namespace cxlsim::timing {

struct Request;

// Anything that can receive an event. `req` may be null for a plain wake-up.
class EventTarget {
 public:
  virtual ~EventTarget() = default;
  virtual void on_event(Request* req, Duration now) = 0;
};

class EventQueue {
 public:
  struct Event {
    int64_t t;       // ps
    uint64_t seq;
    EventTarget* target;
    Request* req;
  };

  EventQueue();
  void push(Duration t, EventTarget* target, Request* req);
  // Removes the earliest event into `out`; false when empty.
  bool pop(Event& out);
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Time of the earliest event; the queue must not be empty.
  Duration next_time() {
    advance();
    return Duration::ps(cur_.front().t);
  }

 private:
  static constexpr int kShift = 11;               // bucket width 2048 ps
  static constexpr uint64_t kBuckets = 2048;      // ring size (power of two)
  struct After {
    bool operator()(const Event& a, const Event& b) const { return a.t > b.t || (a.t == b.t && a.seq > b.seq); }
  };
  static constexpr After after{};
  void place(const Event& e);
  // Makes cur_ hold the earliest bucket's events; false when empty.
  bool advance() { return !cur_.empty() || refill(); }
  bool refill();  // advance() when cur_ is empty

  std::vector<std::vector<Event>> ring_;
  std::vector<uint64_t> nonempty_;  // bit per ring bucket
  std::vector<Event> cur_;          // min-heap of the bucket being drained
  std::vector<Event> overflow_;     // min-heap of events beyond the ring
  uint64_t cur_bucket_ = 0;         // absolute bucket index of cur_
  size_t in_ring_ = 0;
  size_t size_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace cxlsim::timing
