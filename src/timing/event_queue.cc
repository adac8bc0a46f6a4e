#include "timing/event_queue.h"

#include <algorithm>
#include <bit>

namespace cxlsim::timing {

EventQueue::EventQueue() : ring_(kBuckets), nonempty_(kBuckets / 64, 0) {
  for (auto& b : ring_) b.reserve(16);
  cur_.reserve(64);
}

void EventQueue::place(const Event& e) {
  const uint64_t b = e.t < 0 ? 0 : static_cast<uint64_t>(e.t) >> kShift;
  if (b <= cur_bucket_) {
    cur_.push_back(e);
    std::push_heap(cur_.begin(), cur_.end(), after);
  } else if (b < cur_bucket_ + kBuckets) {
    const uint64_t i = b % kBuckets;
    ring_[i].push_back(e);
    nonempty_[i / 64] |= uint64_t{1} << (i % 64);
    ++in_ring_;
  } else {
    overflow_.push_back(e);
    std::push_heap(overflow_.begin(), overflow_.end(), after);
  }
}

void EventQueue::push(Duration t, EventTarget* target, Request* req) {
  place(Event{t.picoseconds(), seq_++, target, req});
  ++size_;
}

bool EventQueue::refill() {
  while (cur_.empty()) {
    if (in_ring_ == 0) {
      if (overflow_.empty()) return false;
      // Jump to the overflow's first bucket.
      cur_bucket_ = (static_cast<uint64_t>(overflow_.front().t) >> kShift) - 1;
    } else {
      // Next nonempty ring bucket after cur_bucket_.
      uint64_t b = cur_bucket_ + 1;
      for (;;) {
        const uint64_t i = b % kBuckets;
        const uint64_t word = nonempty_[i / 64] >> (i % 64);
        if (word) {
          b += static_cast<uint64_t>(std::countr_zero(word));
          break;
        }
        b += 64 - (i % 64);
      }
      cur_bucket_ = b - 1;
    }
    ++cur_bucket_;
    // Pull the bucket and any overflow events that now fall inside the ring.
    const uint64_t i = cur_bucket_ % kBuckets;
    if (nonempty_[i / 64] >> (i % 64) & 1) {
      std::vector<Event>& v = ring_[i];
      in_ring_ -= v.size();
      cur_.swap(v);
      v.clear();
      if (v.capacity() < 16) v.reserve(16);
      std::make_heap(cur_.begin(), cur_.end(), after);
      nonempty_[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
    while (!overflow_.empty() && (static_cast<uint64_t>(overflow_.front().t) >> kShift) < cur_bucket_ + kBuckets) {
      std::pop_heap(overflow_.begin(), overflow_.end(), after);
      Event e = overflow_.back();
      overflow_.pop_back();
      place(e);
    }
  }
  return true;
}


bool EventQueue::pop(Event& out) {
  if (!advance()) return false;
  std::pop_heap(cur_.begin(), cur_.end(), after);
  out = cur_.back();
  cur_.pop_back();
  --size_;
  return true;
}

}  // namespace cxlsim::timing
