// Deterministic discrete-event queue. Events at equal times run in the order they were
// scheduled (a sequence number breaks ties), so a run is a pure function of its inputs.
//
// A calendar queue: 32.768 ns buckets over a ring of 512 (about 16.8 us ahead; a small ring
// keeps its bucket headers in cache), a bitmap to skip empty buckets, and an overflow heap for
// events further ahead. The bucket being drained is sorted once by (time, sequence) when it
// becomes current and read front to back; an event pushed into it is inserted in order. Push
// and pop are O(1) amortised for the near-future events a memory system schedules; order is
// exactly (time, sequence).
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
    int64_t t;  // ps
    uint64_t seq;
    EventTarget* target;
    Request* req;
  };

  EventQueue();
  void push(Duration t, EventTarget* target, Request* req) {
    const Event e{t.picoseconds(), seq_++, target, req};
    ++size_;
    const uint64_t b = bucket_of(e.t);
    if (b > cur_bucket_ && b - cur_bucket_ < kBuckets) {  // the common case: in the ring
      const uint64_t i = b & (kBuckets - 1);
      ring_[i].push_back(e);
      nonempty_[i / 64] |= uint64_t{1} << (i % 64);
      ++in_ring_;
      return;
    }
    place_slow(e);
  }
  // Removes the earliest event into `out`; false when empty.
  bool pop(Event& out) { return pop_until(INT64_MAX, out); }
  // Removes the earliest event into `out` if it is at or before `end` (ps); false otherwise.
  bool pop_until(int64_t end, Event& out) {
    if (pos_ == cur_.size() && !refill()) return false;
    const Event& e = cur_[pos_];
    if (e.t > end) return false;
    out = e;
    ++pos_;
    --size_;
    return true;
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] size_t size() const { return size_; }
  // Time of the earliest event; the queue must not be empty.
  Duration next_time() {
    if (pos_ == cur_.size()) refill();
    return Duration::ps(cur_[pos_].t);
  }

 private:
  static constexpr int kShift = 15;          // bucket width 32768 ps
  static constexpr uint64_t kBuckets = 512;  // ring size (power of two)
  static uint64_t bucket_of(int64_t t) { return t < 0 ? 0 : static_cast<uint64_t>(t) >> kShift; }
  struct After {
    bool operator()(const Event& a, const Event& b) const {
      return a.t > b.t || (a.t == b.t && a.seq > b.seq);
    }
  };
  static constexpr After kAfter{};
  void place_slow(const Event& e);  // into the current bucket or the overflow
  void place(const Event& e);
  // Makes cur_[pos_..] the earliest nonempty bucket's events, sorted; false when empty.
  bool refill();

  std::vector<std::vector<Event>> ring_;
  std::vector<uint64_t> nonempty_;  // bit per ring bucket
  std::vector<Event> cur_;          // the bucket being drained, sorted; cur_[pos_] is next
  size_t pos_ = 0;
  std::vector<Event> overflow_;  // min-heap of events beyond the ring
  uint64_t cur_bucket_ = 0;      // absolute bucket index of cur_
  size_t in_ring_ = 0;
  size_t size_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace cxlsim::timing
