// Something that issues requests into the system: a core running a workload, a trace.
#pragma once

#include "timing/event_queue.h"
#include "timing/request.h"

namespace cxlsim::timing {

class System;

class Requester : public EventTarget {
 public:
  // Called once when the run starts, at time `now`.
  virtual void start(System& sys, Duration now) = 0;
  // A request this requester issued has completed (data back at the core). The system
  // recycles `r` after this returns.
  virtual void complete(System& sys, Request& r, Duration now) = 0;
  // Wake-up scheduled by the requester itself (req is null).
  void on_event(Request* req, Duration now) override = 0;
  // The id System::add gave this requester (stamped on its requests).
  [[nodiscard]] uint16_t id() const { return id_; }

 private:
  friend class System;
  uint16_t id_ = 0;
};

}  // namespace cxlsim::timing
