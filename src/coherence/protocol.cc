#include "coherence/protocol.h"

#include <bit>
#include <stdexcept>

namespace cxlsim::coherence {
namespace {

template <class Opcode>
constexpr uint8_t op(Opcode o) {
  return static_cast<uint8_t>(o);
}

constexpr uint16_t bit(uint8_t agent) { return static_cast<uint16_t>(1u << agent); }

bool grants_copy(Access a) {
  return a == Access::kLoad || a == Access::kLoadShared || a == Access::kStore ||
         a == Access::kStoreFull;
}

// Snoop kinds, flavour-independent: what the home needs from a holder.
enum class Snoop : uint8_t { kData, kInv, kCur };

uint8_t snoop_op(Flavour f, Snoop k) {
  if (f == Flavour::kCache) {
    return k == Snoop::kData  ? op(H2DReq::kSnpData)
           : k == Snoop::kInv ? op(H2DReq::kSnpInv)
                              : op(H2DReq::kSnpCur);
  }
  return k == Snoop::kData  ? op(S2MBISnp::kBISnpData)
         : k == Snoop::kInv ? op(S2MBISnp::kBISnpInv)
                            : op(S2MBISnp::kBISnpCur);
}

Snoop snoop_kind(const Message& m) {
  if (m.ch == Channel::kH2DReq) {
    switch (static_cast<H2DReq>(m.op)) {
      case H2DReq::kSnpData:
        return Snoop::kData;
      case H2DReq::kSnpInv:
        return Snoop::kInv;
      case H2DReq::kSnpCur:
        return Snoop::kCur;
    }
  }
  switch (static_cast<S2MBISnp>(m.op)) {
    case S2MBISnp::kBISnpData:
      return Snoop::kData;
    case S2MBISnp::kBISnpInv:
      return Snoop::kInv;
    case S2MBISnp::kBISnpCur:
      break;
  }
  return Snoop::kCur;
}

// The request opcode for `a` from a line in `s` (CXL 3.1 §3.2.4.2, §3.3.5); false: served locally
// or not allowed (see Protocol::issue).
struct Request {
  Channel ch;
  uint8_t op;
};

}  // namespace

Access access_of(Channel ch, uint8_t o) {
  if (ch == Channel::kD2HReq) {
    switch (static_cast<D2HReq>(o)) {
      case D2HReq::kRdCurr:
        return Access::kReadCurrent;
      case D2HReq::kRdOwn:
        return Access::kStore;
      case D2HReq::kRdShared:
        return Access::kLoadShared;
      case D2HReq::kRdAny:
        return Access::kLoad;
      case D2HReq::kRdOwnNoData:
        return Access::kStoreFull;
      case D2HReq::kItoMWr:
        return Access::kItoMWr;
      case D2HReq::kWrCur:
        return Access::kWrCur;
      case D2HReq::kCLFlush:
        return Access::kFlush;
      case D2HReq::kCleanEvict:
      case D2HReq::kDirtyEvict:
      case D2HReq::kCleanEvictNoData:
        return Access::kEvict;
      case D2HReq::kWOWrInv:
        return Access::kWOWrInv;
      case D2HReq::kWOWrInvF:
        return Access::kWOWrInvF;
      case D2HReq::kWrInv:
        return Access::kWrInv;
      case D2HReq::kCacheFlushed:
        return Access::kNone;
    }
  }
  if (ch == Channel::kM2SReq) {
    switch (static_cast<M2SReq>(o)) {
      case M2SReq::kMemRdA:
        return Access::kStore;
      case M2SReq::kMemRdS:
        return Access::kLoadShared;
      case M2SReq::kMemRdI:
        return Access::kReadCurrent;
      case M2SReq::kMemInvA:
        return Access::kStoreFull;
      case M2SReq::kMemClnEvct:
        return Access::kEvict;
      case M2SReq::kMemRdFwd:
      case M2SReq::kMemWrFwd:
        return Access::kNone;
    }
  }
  if (ch == Channel::kM2SRwD) return Access::kEvict;
  return Access::kNone;
}

Protocol::Protocol(const Config& cfg) : cfg_(cfg) {
  if (cfg.agents == 0 || cfg.agents > kMaxAgents) {
    throw std::invalid_argument("coherence: 1..16 agents");
  }
  if (cfg.lines == 0 || cfg.lines_per_page == 0) throw std::invalid_argument("coherence: no lines");
  if (cfg.device_agent >= cfg.agents) {
    throw std::invalid_argument("coherence: device agent out of range");
  }
  if (cfg.device_agent >= 0 && cfg.flavour != Flavour::kCache) {
    throw std::invalid_argument("coherence: bias applies to HDM-D (CXL.cache flavour)");
  }
}

State Protocol::initial() const {
  State s;
  s.agent.resize(static_cast<size_t>(cfg_.agents) * cfg_.lines);
  s.home.resize(cfg_.lines);
  s.device_bias.resize((cfg_.lines + cfg_.lines_per_page - 1) / cfg_.lines_per_page);
  s.flip_left.resize(s.device_bias.size());
  return s;
}

Bias Protocol::bias(const State& s, uint16_t line) const {
  if (cfg_.device_agent < 0) return kHostBias;
  return static_cast<Bias>(s.device_bias[line / cfg_.lines_per_page]);
}

bool Protocol::in_device_bias(const State& s, uint16_t line) const {
  return bias(s, line) == kDeviceBias;
}

// ---- requester side ---------------------------------------------------------------------

Issue Protocol::issue(State& s, uint8_t agent, uint16_t line, Access a, uint8_t value,
                      Outbox& out) const {
  AgentLine& l = at(s, cfg_, agent, line);
  if (l.pending != Access::kNone || l.owed != 0) return Issue::kRefused;
  auto hit_read = [&] {
    out.effect[out.effects++] = {false, agent, line, l.value};
    return Issue::kHit;
  };
  auto hit_write = [&] {
    l.state = Mesi::kM;
    l.value = value;
    out.effect[out.effects++] = {true, agent, line, value};
    return Issue::kHit;
  };
  // CXL 3.1 §2.2.2.2: in device bias the device reads and writes its memory without asking the
  // host; the host holds no line of the page. A host access goes to the home, which asks the
  // device's DCOH (home_start). While its page flips the device's Transition Agent owns the line.
  if (own_memory(agent) && bias(s, line) == kFlipping) return Issue::kRefused;
  if (own_memory(agent) && a == Access::kEvict) {
    // CXL 3.1 §3.2.5.12, Figure 3-39: an eviction of a line of the device's own memory completes
    // inside the device, whatever the bias (the host does not track the device's cache, §3.2.5.6).
    if (l.state == Mesi::kI) return Issue::kRefused;
    if (l.state == Mesi::kM) s.home[line].memory = l.value;
    l.state = Mesi::kI;
    return Issue::kHit;
  }
  if (own_memory(agent) && in_device_bias(s, line)) {
    HomeLine& h = s.home[line];
    switch (a) {
      case Access::kLoad:
      case Access::kLoadShared:
      case Access::kReadCurrent:
        if (l.state == Mesi::kI) {
          l.state = a == Access::kReadCurrent ? Mesi::kI : Mesi::kE;
          l.value = h.memory;
        }
        return hit_read();
      case Access::kStore:
      case Access::kStoreFull:
        return hit_write();
      default:
        return Issue::kRefused;
    }
  }
  Request r{cache() ? Channel::kD2HReq : Channel::kM2SReq, 0};
  switch (a) {
    case Access::kLoad:
    case Access::kLoadShared:
    case Access::kReadCurrent:
      if (l.state != Mesi::kI) return hit_read();
      if (a == Access::kReadCurrent) {
        r.op = cache() ? op(D2HReq::kRdCurr) : op(M2SReq::kMemRdI);
      } else if (a == Access::kLoad) {
        r.op = cache() ? op(D2HReq::kRdAny) : op(M2SReq::kMemRdS);
      } else {
        r.op = cache() ? op(D2HReq::kRdShared) : op(M2SReq::kMemRdS);
      }
      break;
    case Access::kStore:
    case Access::kStoreFull:
      if (l.state == Mesi::kM || l.state == Mesi::kE) return hit_write();
      // CXL 3.1 §3.2.5.15, Table 3-28: no Read from a line buried in S; RdOwnNoData upgrades.
      if (cache() && l.state == Mesi::kS) a = Access::kStoreFull;
      if (a == Access::kStore) {
        r.op = cache() ? op(D2HReq::kRdOwn) : op(M2SReq::kMemRdA);
      } else {
        r.op = cache() ? op(D2HReq::kRdOwnNoData) : op(M2SReq::kMemInvA);
      }
      break;
    case Access::kEvict:
      if (l.state == Mesi::kI) return Issue::kRefused;
      if (cache()) {
        r.op = l.state == Mesi::kM   ? op(D2HReq::kDirtyEvict)
               : l.state == Mesi::kE ? op(D2HReq::kCleanEvict)
                                     : op(D2HReq::kCleanEvictNoData);
      } else if (l.state == Mesi::kM) {
        // CXL 3.1 §3.3.6, Table 3-42: the write-back carries its data; the host keeps the line
        // (answering no snoop) until the device's Cmp.
        r = {Channel::kM2SRwD, op(M2SRwD::kMemWrI)};
      } else {
        r.op = op(M2SReq::kMemClnEvct);
      }
      break;
    case Access::kFlush:
    case Access::kWrInv:
    case Access::kWOWrInvF:
    case Access::kWOWrInv:
    case Access::kItoMWr:
    case Access::kWrCur:
      // CXL.cache only; the device holds no copy of a line it flushes or writes uncached.
      if (!cache() || l.state != Mesi::kI) return Issue::kRefused;
      r.op = a == Access::kFlush      ? op(D2HReq::kCLFlush)
             : a == Access::kWrInv    ? op(D2HReq::kWrInv)
             : a == Access::kWOWrInvF ? op(D2HReq::kWOWrInvF)
             : a == Access::kWOWrInv  ? op(D2HReq::kWOWrInv)
             : a == Access::kItoMWr   ? op(D2HReq::kItoMWr)
                                      : op(D2HReq::kWrCur);
      break;
    case Access::kFlip:  // started by flip_to_device only
    case Access::kNone:
      return Issue::kRefused;
  }
  l.pending = a;
  l.got_go = l.got_data = false;
  l.write = value;
  Message m{r.ch, r.op, agent, line};
  if (r.ch == Channel::kM2SRwD) m.value = l.value;
  out.send(m);
  return Issue::kSent;
}

bool Protocol::silent_drop(State& s, uint8_t agent, uint16_t line) const {
  AgentLine& l = at(s, cfg_, agent, line);
  if (l.pending != Access::kNone || l.owed != 0) return false;
  if (l.state != Mesi::kS && l.state != Mesi::kE) return false;
  l.state = Mesi::kI;
  return true;
}

// ---- delivery ---------------------------------------------------------------------------

bool Protocol::releases_snoops(const Message& m) {
  return m.ch == Channel::kH2DRsp || m.ch == Channel::kS2MNDR;
}

bool Protocol::deliverable(const State& s, const Message& m) const {
  switch (m.ch) {
    case Channel::kD2HReq:
    case Channel::kM2SReq:
      if (toward_agent(m)) return true;  // HDM-D: the host's M2S to its device
      // The home serves one transaction per line; later requests wait (CXL 3.1 §3.2.2.1: the
      // host blocks a request until it has collected the snoop responses for the line). The
      // host's requests to a page flipping to device bias wait for the flip's end.
      return s.home[m.line].busy == HomeLine::kIdle &&
             (own_memory(m.agent) || bias(s, m.line) != kFlipping);
    case Channel::kH2DReq:
    case Channel::kS2MBISnp: {
      if (m.behind_go && cfg_.fault != Fault::kSnoopPassesGo) return false;
      const AgentLine& l = at(s, cfg_, m.agent, m.line);
      // A granted line whose data has not arrived answers snoops only once it has; an HDM-DB
      // write-back answers none until its Cmp (CXL 3.1 §3.5.1.3: the host resolves the conflict
      // first).
      if (l.got_go && !l.got_data && l.pending != Access::kStoreFull) return false;
      if (m.ch == Channel::kS2MBISnp && l.pending == Access::kEvict && l.state == Mesi::kM) {
        return false;
      }
      return true;
    }
    default:
      return true;
  }
}

void Protocol::deliver(State& s, const Message& m, Outbox& out) const {
  if (toward_agent(m)) {
    agent_receive(s, m, out);
  } else {
    home_receive(s, m, out);
  }
}

void Protocol::to_agent(Outbox& out, Channel ch, uint8_t o, uint8_t agent, uint16_t line,
                        uint8_t value) const {
  Message m{ch, o, agent, line};
  m.value = value;
  out.send(m);
}

// ---- caching agent ----------------------------------------------------------------------

void Protocol::agent_complete(State& s, uint8_t agent, uint16_t line, Outbox& out) const {
  AgentLine& l = at(s, cfg_, agent, line);
  switch (l.pending) {
    case Access::kLoad:
    case Access::kLoadShared:
      l.state = l.granted;
      l.value = l.data;
      out.effect[out.effects++] = {false, agent, line, l.data};
      break;
    case Access::kStore:
    case Access::kStoreFull:
      l.state = Mesi::kM;
      l.value = l.write;
      out.effect[out.effects++] = {true, agent, line, l.write};
      break;
    default:
      break;  // reads of the current value took effect at the home; writes do there too
  }
  l.pending = Access::kNone;
  l.got_go = l.got_data = false;
  out.completed = true;
  out.completed_agent = agent;
}

void Protocol::agent_receive(State& s, const Message& m, Outbox& out) const {
  AgentLine& l = at(s, cfg_, m.agent, m.line);
  switch (m.ch) {
    case Channel::kH2DReq:
    case Channel::kS2MBISnp:
      agent_snoop(s, m, out);
      return;
    case Channel::kM2SReq:  // HDM-D: the host home agent to the device's DCOH
      if (m.op == op(M2SReq::kMemRdFwd) || m.op == op(M2SReq::kMemWrFwd)) {
        device_forward(s, m, out);
      } else {
        device_resolve(s, m, out);
      }
      return;
    case Channel::kH2DData:
    case Channel::kS2MDRS:
      l.got_data = true;
      l.data = m.value;
      break;
    case Channel::kH2DRsp:
      switch (static_cast<H2DRsp>(m.op)) {
        case H2DRsp::kGoI:
        case H2DRsp::kGoS:
        case H2DRsp::kGoE:
        case H2DRsp::kGoM:
          l.got_go = true;
          l.granted = static_cast<Mesi>(m.op);  // GO-I/S/E/M are declared in MESI order
          if (l.pending == Access::kEvict) l.state = Mesi::kI;  // CleanEvictNoData
          break;
        case H2DRsp::kGoWritePull: {
          // CXL 3.1 §3.2.4.5.3: GO and the pull at once; the write is globally observed. An
          // evict whose line a snoop took meanwhile sends its data marked bogus (§3.2.5.4).
          Message d{Channel::kD2HData, 0, m.agent, m.line};
          if (l.pending == Access::kEvict) {
            d.value = l.value;
            d.bogus = l.state != Mesi::kM;
            l.state = Mesi::kI;
          } else {
            d.value = l.write;
          }
          out.send(d);
          agent_complete(s, m.agent, m.line, out);
          return;
        }
        case H2DRsp::kGoWritePullDrop:
          l.state = Mesi::kI;
          agent_complete(s, m.agent, m.line, out);
          return;
        case H2DRsp::kWritePull:
        case H2DRsp::kFastGoWritePull: {
          // WrInv's WritePull, WOWrInv*'s Fast_GO_WritePull: send the data, then wait for the GO-I
          // or ExtCmp that says the write completed.
          Message d{Channel::kD2HData, 0, m.agent, m.line};
          d.value = l.write;
          out.send(d);
          return;
        }
        case H2DRsp::kExtCmp:
          l.got_go = true;
          break;
        default:
          break;
      }
      break;
    case Channel::kS2MNDR:
      if (static_cast<S2MNDR>(m.op) == S2MNDR::kCmp && l.pending == Access::kReadCurrent) {
        l.got_go = true;  // MemRd,SnpCur: Cmp and MemData, in either order
        break;
      }
      if (static_cast<S2MNDR>(m.op) == S2MNDR::kCmp) {
        if (l.owed != 0) {  // a snoop's write-back completed: now answer the snoop
          out.send({Channel::kM2SBIRsp, static_cast<uint8_t>(l.owed - 1), m.agent, m.line});
          l.owed = 0;
          return;
        }
        l.state = Mesi::kI;  // MemWr or MemClnEvct completed
        agent_complete(s, m.agent, m.line, out);
        return;
      }
      l.got_go = true;
      l.granted = static_cast<S2MNDR>(m.op) == S2MNDR::kCmpS ? Mesi::kS : Mesi::kE;
      break;
    default:
      return;
  }
  // Reads complete with both the GO and the data; RdOwnNoData/MemInv with the GO alone; RdCurr,
  // MemRd,I with the data alone; CLFlush and CleanEvictNoData with GO-I.
  const Access p = l.pending;
  const bool done = p == Access::kStoreFull     ? l.got_go
                    : p == Access::kReadCurrent ? l.got_data && (cache() || l.got_go)
                    : p == Access::kNone        ? false
                    : p == Access::kLoad || p == Access::kLoadShared || p == Access::kStore
                        ? l.got_go && l.got_data
                        : l.got_go;
  if (done) agent_complete(s, m.agent, m.line, out);
}

void Protocol::agent_snoop(State& s, const Message& m, Outbox& out) const {
  AgentLine& l = at(s, cfg_, m.agent, m.line);
  const Snoop k = snoop_kind(m);
  const Mesi st = l.state;
  if (k == Snoop::kCur && (st == Mesi::kE || st == Mesi::kM)) {
    // An owner that keeps the line may write it right after answering: a RdCurr / MemRd,I
    // reads the value the owner had when it answered.
    out.effect[out.effects++] = {false, m.agent, m.line, l.value};
  }
  if (cache()) {
    // CXL 3.1 §3.2.4.3, Table 3-26: the response names the state kept; a modified line's data
    // goes on D2H Data (§3.2.4.4).
    D2HRsp r = D2HRsp::kRspIHitI;
    bool data = false;
    if (st == Mesi::kM) {
      data = true;
      r = k == Snoop::kInv    ? D2HRsp::kRspIFwdM
          : k == Snoop::kData ? D2HRsp::kRspSFwdM
                              : D2HRsp::kRspVFwdV;
      l.state = k == Snoop::kInv ? Mesi::kI : k == Snoop::kData ? Mesi::kS : Mesi::kM;
    } else if (st != Mesi::kI) {
      r = k == Snoop::kInv    ? D2HRsp::kRspIHitSE
          : k == Snoop::kData ? D2HRsp::kRspSHitSE
                              : D2HRsp::kRspVHitV;
      l.state = k == Snoop::kInv ? Mesi::kI : k == Snoop::kData ? Mesi::kS : st;
    }
    out.send({Channel::kD2HRsp, op(r), m.agent, m.line});
    if (data) {
      Message d{Channel::kD2HData, 0, m.agent, m.line};
      d.value = l.value;
      d.snoop_data = true;
      out.send(d);
    }
    return;
  }
  // HDM-DB (CXL 3.1 §3.3.7 Table 3-45, §3.3.8 Table 3-47): BIRsp names the state kept (I, S or
  // E). A modified line is first written back (M2S RwD MemWr, §3.5.1.2 Figure 3-21); its BIRsp
  // follows the device's Cmp.
  M2SBIRsp r = M2SBIRsp::kBIRspI;
  Mesi next = Mesi::kI;
  if (st != Mesi::kI) {
    next = k == Snoop::kInv    ? Mesi::kI
           : k == Snoop::kData ? Mesi::kS
                               : (st == Mesi::kM ? Mesi::kE : st);
    r = next == Mesi::kI   ? M2SBIRsp::kBIRspI
        : next == Mesi::kS ? M2SBIRsp::kBIRspS
                           : M2SBIRsp::kBIRspE;
  }
  if (st == Mesi::kM) {
    Message w{Channel::kM2SRwD, op(M2SRwD::kMemWrI), m.agent, m.line};
    w.value = l.value;
    w.snoop_data = true;
    out.send(w);
    l.owed = static_cast<uint8_t>(op(r) + 1);
  } else {
    out.send({Channel::kM2SBIRsp, op(r), m.agent, m.line});
  }
  l.state = next;
}

// ---- the device's DCOH for its own HDM-D memory --------------------------------------------

void Protocol::device_forward(State& s, const Message& m, Outbox& out) const {
  AgentLine& l = at(s, cfg_, m.agent, m.line);
  HomeLine& h = s.home[m.line];
  switch (l.pending) {
    case Access::kFlip: {
      // CXL 3.1 Figure 3-40: the device owns the line once MemRdFwd arrives; it had no data or a
      // clean shared copy.
      if (l.state == Mesi::kS) l.state = Mesi::kE;
      l.pending = Access::kNone;
      const auto page = static_cast<uint16_t>(m.line / cfg_.lines_per_page);
      if (--s.flip_left[page] == 0) finish_flip(s, page);
      break;
    }
    case Access::kWOWrInv:
    case Access::kWOWrInvF:
      h.memory = l.write;  // the device writes its memory (Figure 3-37)
      out.effect[out.effects++] = {true, m.agent, m.line, l.write};
      agent_complete(s, m.agent, m.line, out);
      break;
    default:  // reads and ownership: the device reads its memory (Figure 3-35)
      l.got_go = l.got_data = true;
      l.granted = static_cast<Mesi>(m.value);
      l.data = h.memory;
      agent_complete(s, m.agent, m.line, out);
      break;
  }
  if (h.busy == HomeLine::kForwarding) home_finish(s, m.line, out);
}

void Protocol::device_resolve(State& s, const Message& m, Outbox& out) const {
  // CXL 3.1 §3.5.2.2, Figures 3-27 to 3-31: the DCOH snoops the device's cache as the request's
  // snoop type says and answers Cmp-S / Cmp-E (Cmp for the uncached read) and MemData (no data
  // for MemInv, Figure 3-30).
  const auto page = static_cast<uint16_t>(m.line / cfg_.lines_per_page);
  AgentLine& l = at(s, cfg_, m.agent, m.line);
  HomeLine& h = s.home[m.line];
  Message d{Channel::kS2MDRS, op(S2MDRS::kMemData), m.agent, m.line};
  d.snoop_data = true;  // the device's answer: the home reads no memory
  S2MNDR cmp = S2MNDR::kCmpE;
  const bool skip = cfg_.fault == Fault::kHostAccessWithoutDeviceSnoop;
  if (m.op == op(M2SReq::kMemRdI)) {
    // SnpCur: the device keeps its copy (and the page its bias) and gives the current data.
    d.value = l.state == Mesi::kI || skip ? h.memory : l.value;
    out.effect[out.effects++] = {false, h.requester, m.line, d.value};
    cmp = S2MNDR::kCmp;
  } else {
    // A cacheable host copy ends device bias for the page (§2.2.2.2: the host may be made to give
    // up ownership later by a flip; §2.2.2.3.2: the device adapts the bias to the requester).
    if (s.device_bias[page] == kDeviceBias) s.device_bias[page] = kHostBias;
    const bool shared = m.op == op(M2SReq::kMemRdS);  // SnpData: the device may keep S
    if (!skip && l.state != Mesi::kI) {
      if (l.state == Mesi::kM) h.memory = l.value;  // written back inside the device
      l.state = shared ? Mesi::kS : Mesi::kI;
    }
    if (l.state == Mesi::kS) cmp = S2MNDR::kCmpS;
    d.value = h.memory;
  }
  out.send({Channel::kS2MNDR, op(cmp), m.agent, m.line});
  if (m.op != op(M2SReq::kMemInvA)) out.send(d);
}

void Protocol::finish_flip(State& s, uint16_t page) const {
  s.device_bias[page] = kDeviceBias;
  const auto first = static_cast<uint16_t>(page * cfg_.lines_per_page);
  for (uint16_t l = first; l < cfg_.lines && l < first + cfg_.lines_per_page; ++l) {
    HomeLine& h = s.home[l];
    h.sharers = 0;  // the host's copies are gone (the host never tracks the device's, §3.2.5.6)
    h.owned = false;
    if (h.tracked) release_entry(s, l);
  }
}

// ---- home -------------------------------------------------------------------------------

void Protocol::home_resolved(State& s, uint16_t line, Outbox& out) const {
  if (s.home[line].op == Access::kReadCurrent) {  // the data went on at the DRS
    home_finish(s, line, out);
  } else {  // the device's cache is resolved: now the host's caches
    home_snoop(s, line, out);
  }
}

void Protocol::home_receive(State& s, const Message& m, Outbox& out) const {
  HomeLine& h = s.home[m.line];
  const uint16_t b = bit(m.agent);
  switch (m.ch) {
    case Channel::kD2HReq:
    case Channel::kM2SReq:
      home_request(s, m, out);
      return;
    case Channel::kM2SRwD:
      // CXL 3.1 §3.3.3, §3.3.11: a write-back is always accepted (RwD may not wait behind a
      // BISnp or M2S Req).
      h.memory = m.value;
      if (!m.snoop_data) {
        h.sharers = static_cast<uint16_t>(h.sharers & ~b);
        if (h.sharers == 0) h.owned = false;
        if (h.sharers == 0 && h.busy == HomeLine::kIdle && h.tracked) {
          release_entry(s, m.line);
          out.send({Channel::kS2MNDR, op(S2MNDR::kCmp), m.agent, m.line});
          resume_parked(s, out);
          return;
        }
      }
      out.send({Channel::kS2MNDR, op(S2MNDR::kCmp), m.agent, m.line});
      return;
    case Channel::kD2HData:
      if (m.snoop_data) {
        h.memory = m.value;
        h.got_data = static_cast<uint16_t>(h.got_data | b);
        break;
      }
      // Data pulled by GO_WritePull: a dirty evict's write-back or an uncached write.
      if (!m.bogus) h.memory = m.value;
      if (h.op == Access::kEvict) {
        h.sharers = static_cast<uint16_t>(h.sharers & ~b);
      } else {
        out.effect[out.effects++] = {true, m.agent, m.line, m.value};
      }
      if (h.op == Access::kWrInv) {  // CXL 3.1 §3.2.4.2.19: GO-I once the write is done
        to_agent(out, Channel::kH2DRsp, op(H2DRsp::kGoI), m.agent, m.line);
      } else if (h.op == Access::kWOWrInv || h.op == Access::kWOWrInvF) {  // §3.2.4.2.17
        to_agent(out, Channel::kH2DRsp, op(H2DRsp::kExtCmp), m.agent, m.line);
      }
      home_finish(s, m.line, out);
      return;
    case Channel::kD2HRsp: {
      const auto r = static_cast<D2HRsp>(m.op);
      h.waiting = static_cast<uint16_t>(h.waiting & ~b);
      if (r == D2HRsp::kRspSHitSE || r == D2HRsp::kRspSFwdM || r == D2HRsp::kRspVHitV ||
          r == D2HRsp::kRspVFwdV) {
        h.keep = static_cast<uint16_t>(h.keep | b);
      }
      if (r == D2HRsp::kRspVFwdV || (r == D2HRsp::kRspVHitV && h.owned)) h.keep_owned = true;
      if (r == D2HRsp::kRspSFwdM || r == D2HRsp::kRspIFwdM || r == D2HRsp::kRspVFwdV) {
        h.want_data = static_cast<uint16_t>(h.want_data | b);
      }
      break;
    }
    case Channel::kS2MNDR:  // HDM-D: the device's DCOH answered a host access (device_resolve)
      h.waiting = static_cast<uint16_t>(h.waiting & ~b);
      h.device_shared = m.op == op(S2MNDR::kCmpS);
      break;
    case Channel::kS2MDRS:
      h.got_data = static_cast<uint16_t>(h.got_data | b);
      // An uncached read gets the device's current copy; others read memory, now updated.
      if (h.op == Access::kReadCurrent) {
        to_agent(out, Channel::kH2DData, 0, h.requester, m.line, m.value);
      }
      break;
    case Channel::kM2SBIRsp: {
      const auto r = static_cast<M2SBIRsp>(m.op);
      h.waiting = static_cast<uint16_t>(h.waiting & ~b);
      if (r != M2SBIRsp::kBIRspI) h.keep = static_cast<uint16_t>(h.keep | b);
      if (r == M2SBIRsp::kBIRspE) h.keep_owned = true;
      break;
    }
    default:
      return;
  }
  if (h.waiting == 0 && (h.want_data & ~h.got_data) == 0) {
    if (h.busy == HomeLine::kServing || h.busy == HomeLine::kEvicting) {
      home_snoop_done(s, m.line, out);
    } else if (h.busy == HomeLine::kResolving) {
      home_resolved(s, m.line, out);
    }
  }
}

void Protocol::home_request(State& s, const Message& m, Outbox& out) const {
  HomeLine& h = s.home[m.line];
  const Access a = access_of(m.ch, m.op);
  const uint16_t b = bit(m.agent);
  if (a == Access::kEvict) {
    const bool dirty = m.ch == Channel::kD2HReq && static_cast<D2HReq>(m.op) == D2HReq::kDirtyEvict;
    if (dirty) {  // CXL 3.1 §3.2.4.2.15: GO_WritePull, the data, then the line is memory's
      h.busy = HomeLine::kAwaitWrite;
      h.requester = m.agent;
      h.op = a;
      to_agent(out, Channel::kH2DRsp, op(H2DRsp::kGoWritePull), m.agent, m.line);
      return;
    }
    h.sharers = static_cast<uint16_t>(h.sharers & ~b);
    if (h.sharers == 0) h.owned = false;
    if (m.ch == Channel::kM2SReq) {
      to_agent(out, Channel::kS2MNDR, op(S2MNDR::kCmp), m.agent, m.line);
    } else if (static_cast<D2HReq>(m.op) == D2HReq::kCleanEvict) {
      to_agent(out, Channel::kH2DRsp, op(H2DRsp::kGoWritePullDrop), m.agent, m.line);
    } else {
      to_agent(out, Channel::kH2DRsp, op(H2DRsp::kGoI), m.agent, m.line);
    }
    if (h.sharers == 0 && h.tracked) {
      release_entry(s, m.line);
      resume_parked(s, out);
    }
    return;
  }
  h.requester = m.agent;
  h.op = a;
  if (grants_copy(a) && !h.tracked) {
    if (cfg_.sf_capacity != 0 && s.sf_used >= cfg_.sf_capacity) {
      // The snoop filter is full: the request waits while an entry is back-invalidated.
      h.busy = HomeLine::kParked;
      ++s.parked;
      s.park_hint = m.line;
      if (s.evicting < s.parked) start_eviction(s, out);
      return;
    }
    h.tracked = true;
    ++s.sf_used;
  }
  home_start(s, m.line, out);
}

void Protocol::snoop(State& s, uint16_t line, uint16_t targets, uint8_t o, Outbox& out) const {
  (void)s;
  const Channel ch = cache() ? Channel::kH2DReq : Channel::kS2MBISnp;
  for (uint16_t t = targets; t != 0; t = static_cast<uint16_t>(t & (t - 1))) {
    to_agent(out, ch, o, static_cast<uint8_t>(std::countr_zero(t)), line);
  }
}

void Protocol::home_start(State& s, uint16_t line, Outbox& out) const {
  HomeLine& h = s.home[line];
  const bool host_owned = h.owned && h.sharers != 0;
  if (cfg_.device_agent >= 0 && !own_memory(h.requester) && !host_owned) {
    // CXL 3.1 §3.5.2.2: a host access to HDM-D goes to the device's DCOH as an M2S Req whatever
    // the bias (Figures 3-27 to 3-31: MemRd with SnpData / SnpInv / SnpCur, MemInv); the host
    // does not track the device's cache (§3.2.5.6), the DCOH snoops it. When a host cache owns
    // the line the device holds none of it and the home serves the request from its caches.
    const auto dev = static_cast<uint8_t>(cfg_.device_agent);
    const M2SReq r = h.op == Access::kLoad || h.op == Access::kLoadShared ? M2SReq::kMemRdS
                     : h.op == Access::kReadCurrent                       ? M2SReq::kMemRdI
                     : h.op == Access::kStore                             ? M2SReq::kMemRdA
                                                                          : M2SReq::kMemInvA;
    h.busy = HomeLine::kResolving;
    h.waiting = bit(dev);
    // Figure 3-30: MemInv (ownership without data) is answered by Cmp-E alone.
    h.want_data = r == M2SReq::kMemInvA ? 0 : bit(dev);
    h.got_data = 0;
    h.device_shared = false;
    to_agent(out, Channel::kM2SReq, op(r), dev, line);
    return;
  }
  home_snoop(s, line, out);
}

void Protocol::home_snoop(State& s, uint16_t line, Outbox& out) const {
  HomeLine& h = s.home[line];
  h.busy = HomeLine::kServing;
  const auto others = static_cast<uint16_t>(h.sharers & ~bit(h.requester));
  uint16_t targets = 0;
  Snoop k = Snoop::kInv;
  switch (h.op) {
    case Access::kLoad:
    case Access::kLoadShared:
      // CXL 3.1 §3.2.4.4.1 SnpData: an owner (E or M) must give up exclusivity and its data.
      if (h.owned) targets = others;
      k = Snoop::kData;
      if (cfg_.fault == Fault::kSkipSnpDataOnRead) targets = 0;
      break;
    case Access::kReadCurrent:
      if (h.owned) targets = others;
      k = Snoop::kCur;
      break;
    default:  // RdOwn, RdOwnNoData, CLFlush, uncached writes: every other copy goes
      targets = others;
      k = Snoop::kInv;
      // CXL 3.1 §3.2.4.2.13, Figure 3-40: a bias flip's RdOwnNoData invalidates the host's copies.
      if (cfg_.fault == Fault::kFlipWithoutSnpInv && own_memory(h.requester) &&
          bias(s, line) == kFlipping) {
        targets = 0;
      }
      break;
  }
  h.keep = static_cast<uint16_t>(h.sharers & ~targets & ~bit(h.requester));
  h.keep_owned = false;
  h.want_data = h.got_data = 0;
  h.waiting = targets;
  if (cfg_.fault == Fault::kSkipSnpInvOnRdOwn && h.op == Access::kStore) h.waiting = 0;
  snoop(s, line, h.waiting, snoop_op(cfg_.flavour, k), out);
  if (h.waiting == 0) home_snoop_done(s, line, out);
}

void Protocol::home_snoop_done(State& s, uint16_t line, Outbox& out) const {
  HomeLine& h = s.home[line];
  if (h.busy == HomeLine::kEvicting) {  // the entry's holders are gone: free it
    h.sharers = h.keep;
    h.owned = h.keep_owned;
    h.busy = HomeLine::kIdle;
    --s.evicting;
    if (h.sharers == 0) release_entry(s, line);
    resume_parked(s, out);
    return;
  }
  const uint8_t req = h.requester;
  const Access a = h.op;
  // HDM-D in host bias (CXL 3.1 Table 3-24, §3.5.2.3): the device's request to its own memory is
  // completed by MemRdFwd (reads, ownership, RdCurr: the device then reads its memory) or MemWrFwd
  // (weakly ordered writes: the device then writes it) on CXL.mem; later requests to the line
  // stay behind it (§3.3.11).
  auto forward = [&](M2SReq r, Mesi granted) {
    Message f{Channel::kM2SReq, op(r), req, line};
    f.value = static_cast<uint8_t>(granted);  // the MetaValue: the state the device may keep
    out.send(f);
    if (cfg_.fault == Fault::kForwardUnordered) {
      home_finish(s, line, out);
    } else {
      h.busy = HomeLine::kForwarding;
    }
  };
  if (grants_copy(a)) {
    // CXL 3.1 §3.2.4.2.7-9, Table 3-23 / Table 3-39: GO-S (Cmp-S) when anyone else keeps a
    // copy (§3.2.4.4.1); RdAny, RdOwn and RdOwnNoData get GO-E (Cmp-E).
    const bool shared =
        a == Access::kLoadShared || (a == Access::kLoad && (h.keep != 0 || h.device_shared));
    h.sharers = static_cast<uint16_t>(h.keep | bit(req));
    h.owned = !shared;
    if (own_memory(req)) {
      h.sharers = h.keep;  // the host tracks its own caches only (§3.2.5.6)
      h.owned = false;
      forward(M2SReq::kMemRdFwd, shared ? Mesi::kS : Mesi::kE);
      return;
    }
    if (cache()) {
      to_agent(out, Channel::kH2DRsp, shared ? op(H2DRsp::kGoS) : op(H2DRsp::kGoE), req, line);
      if (a != Access::kStoreFull) to_agent(out, Channel::kH2DData, 0, req, line, h.memory);
    } else {
      to_agent(out, Channel::kS2MNDR, shared ? op(S2MNDR::kCmpS) : op(S2MNDR::kCmpE), req, line);
      if (a != Access::kStoreFull) {
        to_agent(out, Channel::kS2MDRS, op(S2MDRS::kMemData), req, line, h.memory);
      }
    }
    home_finish(s, line, out);
    return;
  }
  h.sharers = h.keep;
  h.owned = h.keep_owned;
  if (a == Access::kReadCurrent) {  // without an owner the value read is the current one now
    if (!h.keep_owned) out.effect[out.effects++] = {false, req, line, h.memory};
    if (own_memory(req)) {
      forward(M2SReq::kMemRdFwd, Mesi::kI);
      return;
    }
    // CXL 3.1 §3.2.4.2.6: RdCurr gets data and no GO. Table 3-39: MemRd,SnpCur gets Cmp and
    // MemData (HDM-DB answers a read with both an NDR and a DRS, §3.6).
    if (!cache()) to_agent(out, Channel::kS2MNDR, op(S2MNDR::kCmp), req, line);
    to_agent(out, cache() ? Channel::kH2DData : Channel::kS2MDRS, 0, req, line, h.memory);
    home_finish(s, line, out);
  } else if (a == Access::kFlush && own_memory(req)) {
    forward(M2SReq::kMemRdFwd, Mesi::kI);  // CXL 3.1 Table 3-24: CLFlush gets MemRdFwd
  } else if (a == Access::kFlush) {
    to_agent(out, Channel::kH2DRsp, op(H2DRsp::kGoI), req, line);
    home_finish(s, line, out);
  } else if (own_memory(req) && (a == Access::kWOWrInv || a == Access::kWOWrInvF)) {
    forward(M2SReq::kMemWrFwd, Mesi::kI);  // CXL 3.1 Figure 3-37: MemWrFwd completes WOWrInv*
  } else {  // uncached write: the data is pulled (CXL 3.1 Table 3-23)
    h.busy = HomeLine::kAwaitWrite;
    const H2DRsp pull = a == Access::kWrInv ? H2DRsp::kWritePull  // GO-I after the data
                        : a == Access::kWOWrInv || a == Access::kWOWrInvF
                            ? H2DRsp::kFastGoWritePull  // ExtCmp after the data
                            : H2DRsp::kGoWritePull;     // ItoMWr, WrCur: observed now
    to_agent(out, Channel::kH2DRsp, op(pull), req, line);
  }
}

void Protocol::home_finish(State& s, uint16_t line, Outbox& out) const {
  HomeLine& h = s.home[line];
  h.busy = HomeLine::kIdle;
  h.op = Access::kNone;
  h.waiting = h.want_data = h.got_data = h.keep = 0;
  h.keep_owned = h.device_shared = false;
  if (h.sharers == 0) {
    h.owned = false;
    if (h.tracked) release_entry(s, line);
  }
  if (s.parked != 0) resume_parked(s, out);
}

void Protocol::release_entry(State& s, uint16_t line) const {
  s.home[line].tracked = false;
  --s.sf_used;
}

void Protocol::start_eviction(State& s, Outbox& out) const {
  for (uint16_t i = 0; i < cfg_.lines; ++i) {
    const auto v = static_cast<uint16_t>((s.sf_clock + i) % cfg_.lines);
    HomeLine& h = s.home[v];
    if (!h.tracked || h.busy != HomeLine::kIdle) continue;
    s.sf_clock = static_cast<uint16_t>((v + 1) % cfg_.lines);
    ++s.evicting;
    h.busy = HomeLine::kEvicting;
    h.keep = 0;
    h.keep_owned = false;
    h.want_data = h.got_data = 0;
    // CXL 3.1 §3.3.3, §3.5.1.2: an inclusive snoop filter evicts an entry by back-invalidating
    // its holders.
    h.waiting = cfg_.fault == Fault::kNoBackInvalidateOnEviction ? 0 : h.sharers;
    snoop(s, v, h.waiting, snoop_op(cfg_.flavour, Snoop::kInv), out);
    if (h.waiting == 0) home_snoop_done(s, v, out);
    return;
  }
}

void Protocol::resume_parked(State& s, Outbox& out) const {
  while (s.parked != 0) {
    if (s.sf_used >= cfg_.sf_capacity) {
      if (s.evicting < s.parked) start_eviction(s, out);
      return;
    }
    for (uint16_t i = 0; i < cfg_.lines; ++i) {
      const auto l = static_cast<uint16_t>((s.park_hint + i) % cfg_.lines);
      HomeLine& h = s.home[l];
      if (h.busy != HomeLine::kParked) continue;
      --s.parked;
      h.tracked = true;
      ++s.sf_used;
      home_start(s, l, out);
      break;
    }
  }
}

// ---- bias -------------------------------------------------------------------------------

bool Protocol::flip_to_host(State& s, uint16_t page) const {
  if (cfg_.device_agent < 0 || s.device_bias[page] != kDeviceBias) return false;
  // CXL 3.1 Appendix A.2 (software flips pages to host bias; no data copies or cache flushes),
  // §2.2.2.1, §3.5.2.2: in host bias the device's misses go to the host and the host's accesses
  // reach the DCOH, which snoops the device's cache; the device keeps its lines.
  s.device_bias[page] = kHostBias;
  return true;
}

bool Protocol::flip_to_device(State& s, uint16_t page, Outbox& out) const {
  if (cfg_.device_agent < 0 || s.device_bias[page] != kHostBias) return false;
  const auto dev = static_cast<uint8_t>(cfg_.device_agent);
  const auto first = static_cast<uint16_t>(page * cfg_.lines_per_page);
  for (uint16_t l = first; l < cfg_.lines && l < first + cfg_.lines_per_page; ++l) {
    if (s.home[l].busy != HomeLine::kIdle || at(s, cfg_, dev, l).pending != Access::kNone) {
      return false;
    }
  }
  // CXL 3.1 §2.2.2 (the Transition Agent), §3.2.4.2.13, Figure 3-40: RdOwnNoData for each line
  // the device does not own; the host snoops its caches out and answers MemRdFwd.
  s.device_bias[page] = kFlipping;
  uint8_t left = 0;
  for (uint16_t l = first; l < cfg_.lines && l < first + cfg_.lines_per_page; ++l) {
    AgentLine& d = at(s, cfg_, dev, l);
    if (d.state == Mesi::kE || d.state == Mesi::kM) continue;
    d.pending = Access::kFlip;
    d.got_go = d.got_data = false;
    out.send({Channel::kD2HReq, op(D2HReq::kRdOwnNoData), dev, l});
    ++left;
  }
  s.flip_left[page] = left;
  if (left == 0) finish_flip(s, page);
  return true;
}

}  // namespace cxlsim::coherence
