// Exhaustive check of the protocol (protocol.h): a breadth-first search over every global
// state a small system can reach: each agent's cache lines, the home's lines and snoop filter,
// and every message in flight, with requesters issuing a bounded number of accesses in any
// order and messages delivered in every order the channel rules allow (CXL 3.1 §3.2.2.1,
// §3.3.2: channels are independent and unordered, except that a snoop may not pass an earlier
// GO to the same agent and line, §3.4 rule I11a; the same order holds for HDM-DB's Cmp and
// BISnp, which the BIConflict/BIConflictAck handshake of §3.5.1.3 establishes). In every
// reachable state it checks
//   - single writer, multiple readers: a line in M or E at one cache is valid at no other;
//   - data values: every valid copy holds the last value written, memory does whenever no
//     cache holds the line modified and no dirty data is in flight, and every read returns
//     the last value written when it takes effect;
//   - freedom from deadlock: every state without a successor has all accesses done, every
//     transaction complete and nothing in flight. Every access and message is consumed by a
//     step (silent drops and flips to device bias are bounded; a flip to host bias follows one), so
//     the state graph has no cycle and each run ends in such a state: every request completes.
// A violation comes back with the trace of steps that reaches it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "coherence/protocol.h"

namespace cxlsim::coherence {

struct Workload {
  Config protocol;
  uint8_t ops_per_agent = 2;      // accesses each agent issues
  std::vector<Access> accesses;   // empty: Load, Store and Evict
  bool silent_drops = true;       // clean lines may leave a cache without a message
  uint8_t flips = 0;              // flips to device bias the search may make (Type 2 configs)
  size_t max_states = 4'000'000;  // the search stops (complete = false) beyond this
};

struct Violation {
  std::string what;
  std::vector<std::string> trace;  // the steps from the initial state, one per line
};

struct ExploreResult {
  size_t states = 0;
  size_t transitions = 0;
  size_t final_states = 0;  // states where everything completed
  size_t max_in_flight = 0;
  bool complete = true;  // every reachable state was visited
  double seconds = 0;
  std::optional<Violation> violation;
};

ExploreResult explore(const Workload& w);

// The systems `cxlsim coherence check` and the tests search (docs/coherence.md's table).
struct NamedWorkload {
  std::string name;
  Workload workload;
};
std::vector<NamedWorkload> check_systems();

}  // namespace cxlsim::coherence
