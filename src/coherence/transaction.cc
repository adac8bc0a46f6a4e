#include "coherence/transaction.h"

#include <stdexcept>

namespace cxlsim::coherence {

void Runner::run(uint8_t agent, uint16_t line, Access a, uint8_t value, Transaction& t) {
  t.count = 0;
  t.read = false;
  auto take = [&](int16_t cause) {
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
  };
  out_.clear();
  t.issue = p_.issue(s_, agent, line, a, value, out_);
  take(-1);
  ++transactions_;
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
    take(static_cast<int16_t>(k));
  }
}

}  // namespace cxlsim::coherence
