// The coherence protocol as exact state machines without time: a home (the owner of a memory:
// the host's home agent for host memory and HDM-D, a device's coherency engine (DCOH) for
// HDM-DB) with a snoop filter, and caching agents (device caches over CXL.cache, host caches
// over CXL.mem back-invalidation), each a MESI cache. Messages in, messages out, state.
// Who delivers messages, in which order and at what time is the caller's business: the
// exhaustive checker (explorer.h) tries every order the channel rules allow, the transaction
// runner (transaction.h) delivers them one transaction at a time for timing and benchmarks.
//
// One rule set serves both wire protocols (Flavour): a request, snoops of the other holders,
// their responses (with data when modified), then the grant. Only the opcodes and channels
// differ, and the two places where CXL.cache and CXL.mem differ in flow: CXL.cache pulls write
// data (WritePull / GO_WritePull, CXL 3.1 §3.2.4.2.4, §3.2.4.5) while a CXL.mem write-back
// carries it (M2S RwD, §3.3.6). Section and table numbers in this layer are CXL 3.1's.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "coherence/opcodes.h"

namespace cxlsim::coherence {

// What a requester asks its cache to do with one line. The engine picks the opcode (CXL 3.1
// §3.2.4.2 for CXL.cache, §3.3.5 for HDM-DB) from the access and the line's state, keeping the
// buried-state rules (§3.2.5.15 Table 3-28, §3.3.11.1 Table 3-55).
enum class Access : uint8_t {
  kLoad,         // cached read: RdAny (E when alone, else S) / MemRdS
  kLoadShared,   // cached read in S: RdShared / MemRdS
  kStore,        // cached write: hit in E/M, RdOwnNoData from S, else RdOwn / MemRdA
  kStoreFull,    // cached full-line write without reading: RdOwnNoData / MemInvA
  kEvict,        // drop the line: DirtyEvict, CleanEvict, CleanEvictNoData / MemWrI, MemClnEvct
  kReadCurrent,  // uncached read of the current value: RdCurr / MemRdI
  kFlush,        // invalidate the line everywhere, writing dirty data back: CLFlush
  kWrInv,        // uncached full-line writes (CXL.cache only), each its opcode (§3.2.4.2.11-19)
  kWOWrInvF,
  kWOWrInv,
  kItoMWr,
  kWrCur,
  kFlip,  // the device's RdOwnNoData of a line of a page flipping to device bias (§3.2.4.2.13)
  kNone,
};

// Planted bugs: each removes one snoop, invalidation or ordering rule so that tests can show
// the exhaustive checker catches its absence.
enum class Fault : uint8_t {
  kNone,
  kSkipSnpInvOnRdOwn,             // RdOwn / MemRdA does not invalidate the other holders
  kSkipSnpDataOnRead,             // a read does not snoop the owner of a modified line
  kNoBackInvalidateOnEviction,    // snoop filter evictions drop the entry without BISnpInv
  kSnoopPassesGo,                 // a snoop may overtake an earlier GO (breaks CXL 3.1 §3.2.2.1)
  kFlipWithoutSnpInv,             // a bias flip's RdOwnNoData does not invalidate host copies
  kHostAccessWithoutDeviceSnoop,  // the DCOH answers a host access to HDM-D without snooping
                                  // the device's cache
  kForwardUnordered,  // later requests to a line pass a MemRdFwd / MemWrFwd (breaks §3.3.11)
};

inline constexpr uint8_t kMaxAgents = 16;

struct Config {
  Flavour flavour = Flavour::kCache;
  uint8_t agents = 2;        // caching agents 0..agents-1
  uint16_t lines = 1;        // lines 0..lines-1
  uint16_t sf_capacity = 0;  // snoop filter entries; 0: one per line (never evicts)
  // Type 2 HDM-D (CXL 3.1 §2.2.2): the agent that is the device whose memory this is (bias applies
  // to it), or -1. Pages of `lines_per_page` lines start in host bias.
  int device_agent = -1;
  uint16_t lines_per_page = 1;
  Fault fault = Fault::kNone;
};

// One message in flight. `agent` is the caching agent at the far end from the home; the
// channel says the direction.
struct Message {
  Channel ch = Channel::kD2HReq;
  uint8_t op = 0;
  uint8_t agent = 0;
  uint16_t line = 0;
  uint8_t value = 0;        // the line's data when the channel carries data
  bool bogus = false;       // D2H Data: the line was snooped away, drop it (§3.2.3.3, §3.2.5.4)
  bool snoop_data = false;  // M2S RwD answering a BISnp (not a write-back of an eviction)
  bool behind_go = false;   // a snoop sent while a GO to the same agent and line is in flight
  bool operator==(const Message&) const = default;
};

// A cache line at a caching agent, with the one transaction the agent may have open on it.
struct AgentLine {
  Mesi state = Mesi::kI;
  uint8_t value = 0;
  Access pending = Access::kNone;
  bool got_go = false, got_data = false;
  Mesi granted = Mesi::kI;
  uint8_t data = 0;   // data received for the open transaction
  uint8_t write = 0;  // value the open transaction will write
  uint8_t owed = 0;   // HDM-DB: BIRsp opcode + 1 to send when the snoop's write-back completes
  bool operator==(const AgentLine&) const = default;
};

// The home's view of a line: memory, snoop filter entry and the transaction it serves.
struct HomeLine {
  // kResolving: a host access to a device-bias line waits for the device's DCOH (CXL 3.1
  // §3.5.2.2); kForwarding: a MemRdFwd / MemWrFwd to the device is in flight, later requests to
  // the line stay behind it (§3.3.11).
  enum Busy : uint8_t { kIdle, kServing, kAwaitWrite, kEvicting, kParked, kResolving, kForwarding };
  uint8_t memory = 0;
  uint16_t sharers = 0;  // agents that may hold the line (a superset: clean lines drop silently)
  bool owned = false;    // the one sharer may hold it E or M
  bool tracked = false;  // holds a snoop filter entry
  Busy busy = kIdle;
  uint8_t requester = 0;
  Access op = Access::kNone;
  uint16_t waiting = 0;        // agents whose snoop response is outstanding
  uint16_t want_data = 0;      // agents that answered "forwarding data" whose data is outstanding
  uint16_t got_data = 0;       // agents whose snoop data has arrived
  uint16_t keep = 0;           // sharers that keep a copy after their snoop response
  bool keep_owned = false;     // ... and may still hold it E/M (SnpCur)
  bool device_shared = false;  // HDM-D: the DCOH answered Cmp-S (the device keeps a copy)
  bool operator==(const HomeLine&) const = default;
};

struct State {
  std::vector<AgentLine> agent;      // agent * lines + line
  std::vector<HomeLine> home;        // per line
  std::vector<uint8_t> device_bias;  // per page: a Bias value (CXL 3.1 §2.2.2)
  std::vector<uint8_t> flip_left;    // per flipping page: lines whose MemRdFwd has not arrived
  uint16_t sf_used = 0;
  uint16_t sf_clock = 0;   // next line the victim search looks at
  uint16_t parked = 0;     // lines whose request waits for a snoop filter entry
  uint16_t evicting = 0;   // snoop filter evictions in progress
  uint16_t park_hint = 0;  // the line that parked last: where the search for parked lines starts
  bool operator==(const State&) const = default;
};

// What one step produced: messages to send and the reads and writes that took effect
// (a read's value is what the requester observed; writes take effect in this order).
struct Outbox {
  static constexpr int kMax = 4 * kMaxAgents + 8;
  struct Effect {
    bool write = false;
    uint8_t agent = 0;
    uint16_t line = 0;
    uint8_t value = 0;
  };
  Message msg[kMax];
  Effect effect[8];
  int messages = 0, effects = 0;
  bool completed = false;  // a requester's transaction finished in this step
  uint8_t completed_agent = 0;
  void send(const Message& m) {
    if (messages == kMax) throw std::length_error("coherence: outbox full");
    msg[messages++] = m;
  }
  void clear() {
    messages = effects = 0;
    completed = false;
  }
};

enum class Issue : uint8_t { kHit, kSent, kRefused };

// A page's bias (CXL 3.1 §2.2.2): host bias, device bias, or on its way to device bias (the
// device's RdOwnNoData per line are out, §3.2.4.2.13, Figure 3-40).
enum Bias : uint8_t { kHostBias, kDeviceBias, kFlipping };

class Protocol {
 public:
  explicit Protocol(const Config& cfg);
  [[nodiscard]] const Config& config() const { return cfg_; }
  [[nodiscard]] State initial() const;

  // Requester side: `agent` starts `a` on `line` (writes store `value`). kHit: done locally
  // (effects in `out`); kSent: a request is in `out`; kRefused: not allowed now (a transaction
  // is open on the line, the access does not fit the state or flavour, or the device's page is
  // flipping to device bias).
  Issue issue(State& s, uint8_t agent, uint16_t line, Access a, uint8_t value, Outbox& out) const;
  // A clean line leaves the cache without a message (S or E; the snoop filter keeps its
  // superset). False when not allowed.
  bool silent_drop(State& s, uint8_t agent, uint16_t line) const;
  // Whether `m` may be delivered now: requests wait while their line is busy at the home;
  // a snoop may not pass an earlier GO (CXL 3.1 §3.2.2.1, §3.4 rule I11a) nor reach an agent still
  // waiting for the data of a granted line or the completion of its write-back.
  [[nodiscard]] bool deliverable(const State& s, const Message& m) const;
  // Delivers `m` (deliverable) to its receiver.
  void deliver(State& s, const Message& m, Outbox& out) const;
  // A GO to (agent, line) was delivered: snoops sent behind it may now pass.
  static bool releases_snoops(const Message& m);

  // Bias flips (CXL 3.1 §2.2.2.3.1, software-assisted): false when not allowed now. To host bias
  // (one step): the bias table changes; the device keeps its lines (the host's accesses reach its
  // DCOH, which snoops them, §3.5.2.2). To device bias (a flow): the device sends RdOwnNoData
  // for each line of the page it does not own (`out`); the host invalidates its copies and answers
  // each with MemRdFwd (§3.2.4.2.13, Figure 3-40); the page is in device bias once the last
  // MemRdFwd has arrived. Starts only when the device has no transaction open on the page and the
  // home serves none for it; the host's later requests to the page wait for the flip's end.
  bool flip_to_host(State& s, uint16_t page) const;
  bool flip_to_device(State& s, uint16_t page, Outbox& out) const;
  [[nodiscard]] bool in_device_bias(const State& s, uint16_t line) const;
  [[nodiscard]] Bias bias(const State& s, uint16_t line) const;
  // Whether `m` travels from the home toward its agent (channel and flavour, opcodes.h).
  [[nodiscard]] bool toward_agent(const Message& m) const {
    return coherence::toward_agent(m.ch, cfg_.flavour);
  }

  static AgentLine& at(State& s, const Config& c, uint8_t agent, uint16_t line) {
    return s.agent[static_cast<size_t>(agent) * c.lines + line];
  }
  static const AgentLine& at(const State& s, const Config& c, uint8_t agent, uint16_t line) {
    return s.agent[static_cast<size_t>(agent) * c.lines + line];
  }

 private:
  [[nodiscard]] bool cache() const { return cfg_.flavour == Flavour::kCache; }
  void agent_receive(State& s, const Message& m, Outbox& out) const;
  void agent_snoop(State& s, const Message& m, Outbox& out) const;
  void agent_complete(State& s, uint8_t agent, uint16_t line, Outbox& out) const;
  void device_forward(State& s, const Message& m, Outbox& out) const;
  void device_resolve(State& s, const Message& m, Outbox& out) const;
  void home_resolved(State& s, uint16_t line, Outbox& out) const;
  void finish_flip(State& s, uint16_t page) const;
  [[nodiscard]] bool own_memory(uint8_t agent) const {
    return cfg_.device_agent == agent && cfg_.flavour == Flavour::kCache;
  }
  void home_receive(State& s, const Message& m, Outbox& out) const;
  void home_request(State& s, const Message& m, Outbox& out) const;
  void home_start(State& s, uint16_t line, Outbox& out) const;
  void home_snoop(State& s, uint16_t line, Outbox& out) const;
  void home_snoop_done(State& s, uint16_t line, Outbox& out) const;
  void home_grant(State& s, uint16_t line, Outbox& out) const;
  void home_finish(State& s, uint16_t line, Outbox& out) const;
  void start_eviction(State& s, Outbox& out) const;
  void resume_parked(State& s, Outbox& out) const;
  void release_entry(State& s, uint16_t line) const;
  void snoop(State& s, uint16_t line, uint16_t targets, uint8_t op, Outbox& out) const;
  void to_agent(Outbox& out, Channel ch, uint8_t op, uint8_t agent, uint16_t line,
                uint8_t value = 0) const;

  Config cfg_;
};

// The access an opcode-carrying request stands for, and back (for names and tests).
Access access_of(Channel ch, uint8_t op);

}  // namespace cxlsim::coherence
