#include "timing/event_queue.h"

#include <algorithm>
#include <bit>

namespace cxlsim::timing {

EventQueue::EventQueue() : ring_(kBuckets), nonempty_(kBuckets / 64, 0) {
  for (auto& b : ring_) b.reserve(8);
  cur_.reserve(64);
}

void EventQueue::place_slow(const Event& e) {
  const uint64_t b = bucket_of(e.t);
  if (b <= cur_bucket_) {
    // Into the bucket being drained, after every event that precedes it.
    auto it = cur_.end();
    const auto first = cur_.begin() + static_cast<std::ptrdiff_t>(pos_);
    while (it != first && kAfter(*(it - 1), e)) --it;
    cur_.insert(it, e);
  } else {
    overflow_.push_back(e);
    std::push_heap(overflow_.begin(), overflow_.end(), kAfter);
  }
}

void EventQueue::place(const Event& e) {
  const uint64_t b = bucket_of(e.t);
  if (b > cur_bucket_ && b - cur_bucket_ < kBuckets) {
    const uint64_t i = b & (kBuckets - 1);
    ring_[i].push_back(e);
    nonempty_[i / 64] |= uint64_t{1} << (i % 64);
    ++in_ring_;
  } else {
    place_slow(e);
  }
}

namespace {
// Sorts a bucket by (time, sequence). Buckets are small and mostly in order already.
template <class Less>
void sort_bucket(std::vector<EventQueue::Event>& v, Less less) {
  if (v.size() > 128) {
    std::sort(v.begin(), v.end(), less);
    return;
  }
  for (size_t i = 1; i < v.size(); ++i) {
    if (!less(v[i], v[i - 1])) continue;
    const EventQueue::Event e = v[i];
    size_t j = i;
    do {
      v[j] = v[j - 1];
      --j;
    } while (j > 0 && less(e, v[j - 1]));
    v[j] = e;
  }
}
}  // namespace

bool EventQueue::refill() {
  cur_.clear();
  pos_ = 0;
  while (cur_.empty()) {
    if (in_ring_ == 0) {
      if (overflow_.empty()) return false;
      // Jump to the overflow's first bucket.
      cur_bucket_ = bucket_of(overflow_.front().t) - 1;
    } else {
      // Next nonempty ring bucket after cur_bucket_.
      uint64_t b = cur_bucket_ + 1;
      for (;;) {
        const uint64_t i = b & (kBuckets - 1);
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
    // Take the bucket, then any overflow events that now fall inside the ring (those in this
    // bucket are inserted in order).
    const uint64_t i = cur_bucket_ & (kBuckets - 1);
    if (nonempty_[i / 64] >> (i % 64) & 1) {
      std::vector<Event>& v = ring_[i];
      in_ring_ -= v.size();
      cur_.swap(v);
      nonempty_[i / 64] &= ~(uint64_t{1} << (i % 64));
      sort_bucket(cur_, [](const Event& a, const Event& b) { return kAfter(b, a); });
    }
    while (!overflow_.empty() && bucket_of(overflow_.front().t) < cur_bucket_ + kBuckets) {
      std::pop_heap(overflow_.begin(), overflow_.end(), kAfter);
      const Event e = overflow_.back();
      overflow_.pop_back();
      place(e);
    }
  }
  return true;
}

}  // namespace cxlsim::timing
