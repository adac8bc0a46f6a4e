// Coherence traffic in time: the coherence layer (coherence/transaction.h) says which messages
// an access causes and which message caused each; this costs them. Every message crosses the
// links between the home and its agent (the System's FlitLinks: it occupies their slots per
// direction, so coherence traffic contends with itself and with memory traffic on them) and
// costs the latency of the agent that sends it. The home serves one transaction per line at a
// time. No coherence rule lives here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coherence/transaction.h"
#include "timing/system.h"

namespace cxlsim::timing {

// Arrival of a message sent at `ready` over `path` (host side first), downward (host to device)
// or upward, occupying each link's slots for its direction.
Duration cross_path(const std::vector<Hop>& path, bool down, bool data, Duration ready);

// The S2M NDRs a Type 2 device's DCOH sends beside the data when a host core reads its HDM-D
// memory and the device's cache does not hold the line: the coherence engine's flow (CXL 3.1
// §3.5.2.2, Figure 3-27: MemRd, Cmp-E and MemData; §3.6). The System's mlc/replay requests to
// Type 2 memory carry these (no device requester runs there, so the device's cache is empty).
int host_read_ndrs_hdm_d();

// A caching agent: a host's cache (for host memory and HDM-D: next to the home, no links) or a
// device's (for HDM-DB the roles swap: the home is the device, the agents are hosts).
struct CoherentAgent {
  std::string name;
  std::vector<Hop> path;  // host side first; empty: on the home's chip
  Duration request;       // from the requester to its miss leaving the agent
  Duration respond;       // answering a snoop, taking a GO or data (a cache lookup)
  Duration complete;      // from the last message of a transaction to the requester
  Duration hit;           // a hit in its cache
  // Lines its cache holds (a Type 2 device: the topology's cache size / 64); 0: unbounded.
  // A fill into a full set first evicts the set's least recently used line through the
  // coherence layer (CleanEvict / DirtyEvict, or a local write-back in device bias).
  uint32_t capacity = 0;
  unsigned ways = 16;
};

struct CoherentHome {
  bool at_host = true;  // the home is the host's home agent (CXL.cache, HDM-D); else a device
  Duration process;     // handling one message (snoop filter lookup)
  Duration memory;      // reading a line from the home's memory
  // HDM-D: the memory is this agent's device memory (-1: at the home). The home reads it for
  // other agents by M2S MemRd over that agent's path; that agent's own requests are answered by
  // MemRdFwd / MemWrFwd and it reads or writes its memory itself.
  int memory_agent = -1;
  Duration agent_memory;  // reading a line at memory_agent (controller + DRAM)
};

// Costs per transaction of the last access.
struct AccessCost {
  Duration issued, completed;
  int messages = 0;       // coherence messages of the transaction
  int link_messages = 0;  // of those, messages that crossed a link
  int evictions = 0;      // capacity evictions the access caused (their messages not counted)
  coherence::Issue issue = coherence::Issue::kRefused;
};

class CoherenceTimer {
 public:
  CoherenceTimer(const coherence::Config& cfg, std::vector<CoherentAgent> agents,
                 const CoherentHome& home);

  // `agent` issues `a` on `line` at `at`; returns when it completes at the requester.
  AccessCost access(uint8_t agent, uint16_t line, coherence::Access a, uint8_t value, Duration at);
  // Bias flips (CXL 3.1 §2.2.2.3) started at `at`; return when the page may be used in the new
  // bias. To host: the bias table write crosses the device's link and is read back; the device
  // keeps its lines. To device: the device's RdOwnNoData per
  // line it does not own, the host's snoops of its caches and the MemRdFwd answers (Figure 3-40),
  // costed as any transaction's messages.
  Duration flip_to_host(uint16_t page, Duration at);
  Duration flip_to_device(uint16_t page, Duration at);

  [[nodiscard]] const coherence::Runner& runner() const { return runner_; }
  [[nodiscard]] const std::vector<CoherentAgent>& agents() const { return agents_; }
  // Messages sent per channel so far.
  [[nodiscard]] uint64_t sent(coherence::Channel c) const { return sent_[static_cast<int>(c)]; }
  [[nodiscard]] uint64_t evictions() const { return evictions_; }

 private:
  // Replacement of one agent's cache: set-associative, LRU. Tags only: the line's state is
  // the coherence layer's (a line it invalidated is simply skipped as a victim).
  struct Tags {
    uint32_t sets = 0, ways = 0;
    std::vector<int32_t> line;    // sets * ways; -1: empty
    std::vector<uint64_t> stamp;  // last use
    uint64_t clock = 0;
    // Marks `l` used; returns the line it displaces, or -1.
    int32_t touch(uint16_t l);
  };
  // Costs one transaction already run (t_) for `agent`, issued at `at`.
  AccessCost cost(uint8_t agent, uint16_t line, coherence::Access a,
                  const coherence::AgentLine& before, Duration at);
  // Arrival of a message leaving `from_home` side at `ready` over `agent`'s path.
  Duration cross(int agent, bool toward_agent, bool data, Duration ready, int& links);
  Duration memory_read(int requester, Duration start, int& links);

  coherence::Runner runner_;
  std::vector<CoherentAgent> agents_;
  CoherentHome home_;
  std::vector<Duration> line_free_;
  coherence::Transaction t_;
  Duration arrival_[coherence::Transaction::kMaxLog];
  uint64_t sent_[coherence::kChannels] = {};
  std::vector<Tags> tags_;
  uint64_t evictions_ = 0;
};

}  // namespace cxlsim::timing
