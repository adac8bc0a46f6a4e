// Deterministic discrete-event queue. Events at equal times run in the order they were
// scheduled (a sequence number breaks ties), so a run is a pure function of its inputs.
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

  void push(Duration t, EventTarget* target, Request* req);
  // Removes the earliest event into `out`; false when empty.
  bool pop(Event& out);
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Duration next_time() const { return Duration::ps(heap_.front().t); }
  void clear() { heap_.clear(); }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.t < b.t || (a.t == b.t && a.seq < b.seq);
  }
  void sift_up(size_t i);
  void sift_down(size_t i);
  std::vector<Event> heap_;  // 4-ary min-heap
  uint64_t seq_ = 0;
};

}  // namespace cxlsim::timing
