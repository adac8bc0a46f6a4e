#include "timing/event_queue.h"

namespace cxlsim::timing {

void EventQueue::push(Duration t, EventTarget* target, Request* req) {
  heap_.push_back(Event{t.picoseconds(), seq_++, target, req});
  sift_up(heap_.size() - 1);
}

bool EventQueue::pop(Event& out) {
  if (heap_.empty()) return false;
  out = heap_.front();
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0);
  return true;
}

void EventQueue::sift_up(size_t i) {
  Event e = heap_[i];
  while (i > 0) {
    size_t p = (i - 1) / 4;
    if (!before(e, heap_[p])) break;
    heap_[i] = heap_[p];
    i = p;
  }
  heap_[i] = e;
}

void EventQueue::sift_down(size_t i) {
  const size_t n = heap_.size();
  Event e = heap_[i];
  for (;;) {
    size_t c = 4 * i + 1;
    if (c >= n) break;
    size_t best = c;
    size_t end = c + 4 < n ? c + 4 : n;
    for (size_t k = c + 1; k < end; ++k) {
      if (before(heap_[k], heap_[best])) best = k;
    }
    if (!before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

}  // namespace cxlsim::timing
