// One access at a time, run to completion: the protocol (protocol.h) with its messages
// delivered in the order they were sent, each logged with the message whose delivery caused
// it. The timing model costs the log (timing/coherence_timer.h); benchmarks count transactions.
// No concurrency here: concurrent requesters are the timing model's queueing, and every
// interleaving is the exhaustive checker's (explorer.h).
#pragma once

#include <cstdint>

#include "coherence/protocol.h"

namespace cxlsim::coherence {

struct Transaction {
  static constexpr int kMaxLog = 1024;  // a page's bias flip: a request and answer per line
  struct Entry {
    Message msg;
    int16_t cause = -1;  // index of the delivered message that sent it; -1: the access itself
  };
  Issue issue = Issue::kRefused;
  bool read = false;  // the access read a value ...
  uint8_t value = 0;  // ... this one
  int count = 0;
  Entry log[kMaxLog];
};

class Runner {
 public:
  explicit Runner(const Config& cfg) : p_(cfg), s_(p_.initial()) {}
  // Runs `a` by `agent` on `line` to completion and logs its messages into `t`.
  // Throws std::logic_error if the messages cannot all be delivered (a protocol bug).
  void run(uint8_t agent, uint16_t line, Access a, uint8_t value, Transaction& t);
  // Silent drop and bias flips, as Protocol's.
  bool silent_drop(uint8_t agent, uint16_t line) { return p_.silent_drop(s_, agent, line); }
  bool flip_to_host(uint16_t page) { return p_.flip_to_host(s_, page); }
  // Starts the flip of `page` to device bias and runs its messages to completion into `t`
  // (t.issue kRefused: not allowed now).
  void flip_to_device(uint16_t page, Transaction& t);

  [[nodiscard]] const Protocol& protocol() const { return p_; }
  [[nodiscard]] const Config& config() const { return p_.config(); }
  [[nodiscard]] const State& state() const { return s_; }
  [[nodiscard]] const AgentLine& line(uint8_t agent, uint16_t l) const {
    return Protocol::at(s_, p_.config(), agent, l);
  }
  [[nodiscard]] uint64_t transactions() const { return transactions_; }
  [[nodiscard]] uint64_t messages() const { return messages_; }

 private:
  // Delivers the messages logged in `t` until none is left in flight.
  void drain(uint8_t agent, Transaction& t);
  // Logs what `out_` holds into `t`, caused by message `cause`.
  void take(uint8_t agent, int16_t cause, Transaction& t);

  Protocol p_;
  State s_;
  Outbox out_;
  bool delivered_[Transaction::kMaxLog] = {};
  uint64_t transactions_ = 0, messages_ = 0;
};

}  // namespace cxlsim::coherence
