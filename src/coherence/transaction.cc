#include "coherence/transaction.h"

#include <stdexcept>

namespace cxlsim::coherence {

void Runner::take(uint8_t agent, int16_t cause, Transaction& t) {
  for (int e = 0; e < out_.effects; ++e) {
    if (!out_.effect[e].write && out_.effect[e].agent == agent) {
      t.read = true;
      t.value = out_.effect[e].value;
    }
  }
  if (t.count + out_.messages > Transaction::kMaxLog) {
    throw std::logic_error("coherence: transaction log full");
  }
  for (int k = 0; k < out_.messages; ++k) {
    delivered_[t.count] = false;
    t.log[t.count++] = {out_.msg[k], cause};
  }
}

void Runner::run(uint8_t agent, uint16_t line, Access a, uint8_t value, Transaction& t) {
  t.count = 0;
  t.read = false;
  out_.clear();
  t.issue = p_.issue(s_, agent, line, a, value, out_);
  take(agent, -1, t);
  ++transactions_;
  drain(agent, t);
}

void Runner::flip_to_device(uint16_t page, Transaction& t) {
  t.count = 0;
  t.read = false;
  out_.clear();
  t.issue = p_.flip_to_device(s_, page, out_) ? Issue::kSent : Issue::kRefused;
  const auto dev = static_cast<uint8_t>(p_.config().device_agent);
  take(dev, -1, t);
  drain(dev, t);
}

void Runner::drain(uint8_t agent, Transaction& t) {
  // Deliver the oldest deliverable message until none is left in flight.
  int first = 0;
  for (;;) {
    while (first < t.count && delivered_[first]) ++first;
    if (first == t.count) return;
    int k = first;
    while (k < t.count && (delivered_[k] || !p_.deliverable(s_, t.log[k].msg))) ++k;
    if (k == t.count) throw std::logic_error("coherence: transaction cannot complete");
    delivered_[k] = true;
    out_.clear();
    p_.deliver(s_, t.log[k].msg, out_);
    ++messages_;
    take(agent, static_cast<int16_t>(k), t);
  }
}

}  // namespace cxlsim::coherence
