#include "timing/dcoh.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace cxlsim::timing {

using coherence::Access;
using coherence::Channel;

namespace {

constexpr uint64_t kNoLine = UINT64_MAX;

coherence::Config engine_config(size_t hosts, unsigned snoop_filter) {
  if (hosts == 0 || hosts > coherence::kMaxAgents) {
    throw std::invalid_argument("dcoh: 1 to 16 hosts share an HDM-DB device");
  }
  if (snoop_filter == 0 || 2 * snoop_filter > UINT16_MAX) {
    throw std::invalid_argument("dcoh: snoop filter of 1 to 32767 entries");
  }
  coherence::Config c;
  c.flavour = coherence::Flavour::kBackInvalidate;
  c.agents = static_cast<uint8_t>(hosts);
  // Twice the snoop filter's entries: at most half the engine's lines are held by hosts, so a
  // line for a new address is always found (slot_of).
  c.lines = static_cast<uint16_t>(2 * snoop_filter);
  c.sf_capacity = static_cast<uint16_t>(snoop_filter);
  return c;
}

// Orders a min-heap of events by (time, sequence).
struct EventAfter {
  template <class E>
  bool operator()(const E& a, const E& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

}  // namespace

bool has_shared_hdm_db(const Topology& topo) {
  return std::any_of(topo.type3.begin(), topo.type3.end(),
                     [](const Type3Spec& d) { return d.shared; });
}

BackInvalidationStats& BackInvalidationStats::operator+=(const BackInvalidationStats& o) {
  requests += o.requests;
  bisnp_caused += o.bisnp_caused;
  bisnp_received += o.bisnp_received;
  bisnp_inv_received += o.bisnp_inv_received;
  birsp_sent += o.birsp_sent;
  writebacks += o.writebacks;
  bi_evictions += o.bi_evictions;
  return *this;
}

Dcoh::Dcoh(const std::vector<FlitLink*>& roots, Duration root_port, std::vector<Hop> hops,
           unsigned snoop_filter, DcohCosts costs)
    : runner_(engine_config(roots.size(), snoop_filter)),
      roots_(roots),
      root_port_(root_port.picoseconds()),
      hops_(std::move(hops)),
      costs_(costs),
      slot_line_(runner_.config().lines, kNoLine),
      line_free_(runner_.config().lines, 0),
      line_flow_(runner_.config().lines, -1),
      line_last_(runner_.config().lines, -1),
      stats_(roots.size()) {}

uint16_t Dcoh::slot_of(uint64_t line) {
  if (const auto it = slots_.find(line); it != slots_.end()) return it->second;
  // The snoop filter is inclusive (CXL 3.1 §3.3.3): a line it does not track is held by no
  // host, so its engine line carries no state worth keeping (a flow still running on it keeps
  // it busy: the new line's requests queue behind it).
  const size_t n = slot_line_.size();
  for (;; clock_ = (clock_ + 1) % n) {
    if (runner_.state().home[clock_].tracked) continue;
    const auto s = static_cast<uint16_t>(clock_);
    clock_ = (clock_ + 1) % n;
    if (slot_line_[s] != kNoLine) slots_.erase(slot_line_[s]);
    slot_line_[s] = line;
    line_free_[s] = 0;
    slots_.emplace(line, s);
    return s;
  }
}

int64_t Dcoh::up(uint8_t host, bool data, int64_t ready, int64_t now) {
  const Msg m = data ? Msg::kRespData : Msg::kRespNoData;
  int64_t at = ready;
  for (auto h = hops_.rbegin(); h != hops_.rend(); ++h) {
    at = h->link->send_ps(Dir::kUp, m, at, now) + h->before.picoseconds();
  }
  return roots_[host]->send_ps(Dir::kUp, m, at, now) + root_port_;
}

int64_t Dcoh::down(bool data, int64_t at, int64_t now) {
  const Msg m = data ? Msg::kReqWriteData : Msg::kReqRead;
  for (const Hop& h : hops_) at = h.link->send_ps(Dir::kDown, m, at + h.before.picoseconds(), now);
  return at;
}

void Dcoh::record(Flow& f, uint8_t agent) {
  const coherence::Protocol& p = runner_.protocol();
  f.steps.resize(static_cast<size_t>(t_.count));
  for (int i = 0; i < t_.count; ++i) {
    const coherence::Message& m = t_.log[i].msg;
    Step& s = f.steps[static_cast<size_t>(i)];
    s = Step{};
    s.cause = t_.log[i].cause;
    s.agent = m.agent;
    s.from_home = p.toward_agent(m);
    s.data = coherence::carries_data(m.ch);
    s.grant = s.from_home && m.agent == agent && m.line == f.line &&
              (m.ch == Channel::kS2MNDR || m.ch == Channel::kS2MDRS);
    s.writeback = !s.from_home && s.data && s.cause >= 0 ? slot_line_[m.line] : kNoLine;
    // A message leaves its sender after everything the sender received up to its cause.
    for (int j = 0; j <= s.cause; ++j) {
      const Step& e = f.steps[static_cast<size_t>(j)];
      const bool to_sender = e.from_home ? !s.from_home && e.agent == s.agent : s.from_home;
      if (to_sender) ++s.waiting;
    }
  }
}

void Dcoh::arrive(uint32_t f, size_t i, int64_t arrival) {
  Flow& flow = flows_[f];
  Step& s = flow.steps[i];
  s.booked = true;
  s.arrival = arrival;
  for (size_t k = i + 1; k < flow.steps.size(); ++k) {
    Step& d = flow.steps[k];
    const bool from_sender = s.from_home ? !d.from_home && d.agent == s.agent : d.from_home;
    if (d.booked || !from_sender || d.cause < static_cast<int>(i)) continue;
    d.ready = std::max(d.ready, arrival);
    if (--d.waiting > 0) continue;
    d.ready += (d.from_home ? costs_.process : costs_.respond).picoseconds();
    if (!d.from_home) {  // the host's partition sends it
      d.handed = true;
      handoffs_.push_back(Handoff{d.ready, d.agent, d.data, f, static_cast<uint16_t>(k)});
    }
  }
}

void Dcoh::schedule(uint32_t f, int64_t t) {
  Flow& flow = flows_[f];
  if (flow.event != UINT64_MAX && flow.event_t <= t) return;
  flow.event = seq_;
  flow.event_t = t;
  events_.push_back(Event{t, seq_++, f});
  std::push_heap(events_.begin(), events_.end(), EventAfter{});
}

void Dcoh::begin(uint32_t f, int64_t start) {
  Flow& flow = flows_[f];
  for (size_t i = 0; i < flow.steps.size(); ++i) {
    if (flow.steps[i].cause < 0) arrive(f, i, start);
  }
  schedule(f, start);
}

std::optional<int64_t> Dcoh::access(uint16_t host, Op op, uint64_t media, int64_t at,
                                    int64_t device_done, uint32_t tag) {
  const uint16_t line = slot_of(media / 64);
  const auto agent = static_cast<uint8_t>(host);
  BackInvalidationStats& mine = stats_[host];
  ++mine.requests;
  runner_.run(agent, line, op == Op::kRead ? Access::kLoad : Access::kStore, 0, t_);
  if (t_.issue == coherence::Issue::kRefused) throw std::logic_error("dcoh: access refused");
  if (t_.count == 0) return device_done;  // the host holds the line as it needs it
  for (int i = 0; i < t_.count; ++i) {
    const coherence::Message& m = t_.log[i].msg;
    if (m.ch == Channel::kS2MBISnp) {
      ++mine.bisnp_caused;
      ++stats_[m.agent].bisnp_received;
      if (m.op == static_cast<uint8_t>(coherence::S2MBISnp::kBISnpInv)) {
        ++stats_[m.agent].bisnp_inv_received;
      }
      if (m.line != line) {  // a snoop filter victim: count each once
        bool first = true;
        for (int k = 0; k < i; ++k) {
          const coherence::Message& e = t_.log[k].msg;
          first = first && !(e.ch == Channel::kS2MBISnp && e.line == m.line);
        }
        mine.bi_evictions += first ? 1 : 0;
      }
    } else if (m.ch == Channel::kM2SBIRsp) {
      ++stats_[m.agent].birsp_sent;
    } else if (!runner_.protocol().toward_agent(m) && coherence::carries_data(m.ch) &&
               t_.log[i].cause >= 0) {
      ++stats_[m.agent].writebacks;
    }
  }
  const uint32_t f = flows_.acquire();
  Flow& flow = flows_[f];
  flow.tag = tag;
  flow.line = line;
  flow.at = at;
  flow.answer = device_done;
  flow.next_waiting = -1;
  flow.first = 0;
  record(flow, agent);
  const bool grants_only = std::all_of(flow.steps.begin(), flow.steps.end(),
                                       [](const Step& s) { return s.cause < 0 || s.grant; });
  if (line_flow_[line] >= 0) {  // one transaction per line at a time: queue behind the last
    flows_[static_cast<size_t>(line_last_[line])].next_waiting = static_cast<int32_t>(f);
    line_last_[line] = static_cast<int32_t>(f);
    return std::nullopt;
  }
  const int64_t start = std::max(at, line_free_[line]);
  if (grants_only) {  // the request and its answer: no link to book, no event needed
    for (size_t i = 0; i < flow.steps.size(); ++i) {
      if (flow.steps[i].cause < 0) arrive(f, i, start);
    }
    for (size_t i = 0; i < flow.steps.size(); ++i) {
      Step& s = flow.steps[i];
      if (s.booked) continue;
      arrive(f, i, s.ready);
      flow.answer = std::max(flow.answer, s.ready);
    }
    const int64_t answer = flow.answer;
    line_free_[line] = answer;
    flows_.release(f);
    return answer;
  }
  line_flow_[line] = static_cast<int32_t>(f);
  line_last_[line] = static_cast<int32_t>(f);
  begin(f, start);
  return std::nullopt;
}

std::optional<Dcoh::Done> Dcoh::step() {
  std::pop_heap(events_.begin(), events_.end(), EventAfter{});
  const Event e = events_.back();
  events_.pop_back();
  Flow& flow = flows_[e.flow];
  if (e.seq != flow.event) return std::nullopt;  // replaced by an earlier one
  flow.event = UINT64_MAX;
  // Sends every step due now (none is earlier: the event is the flow's earliest ready step) in
  // log order. A step a send readies comes later in the log (its cause is earlier) and is
  // ready later (after that message arrived), unless it is a grant: one pass finds them all.
  int64_t next = INT64_MAX;
  for (size_t i = flow.first; i < flow.steps.size(); ++i) {
    Step& s = flow.steps[i];
    if (s.booked || s.waiting > 0 || s.handed) continue;
    if (s.ready > e.t) {
      next = std::min(next, s.ready);
      continue;
    }
    int64_t arrival = s.ready;
    if (s.grant) {  // the partition's response carries it
      flow.answer = std::max(flow.answer, s.ready);
    } else {
      arrival = up(s.agent, s.data, s.ready, e.t);  // the hosts' own are handed over
    }
    arrive(e.flow, i, arrival);
  }
  while (flow.first < flow.steps.size() && flow.steps[flow.first].booked) ++flow.first;
  if (next != INT64_MAX) {
    schedule(e.flow, next);
    return std::nullopt;
  }
  if (flow.first < flow.steps.size()) return std::nullopt;  // a host's message is under way
  if (flow.answer > e.t) {  // every message sent: done when the answer may leave
    schedule(e.flow, flow.answer);
    return std::nullopt;
  }
  // Done: the line's next queued transaction starts.
  const Done done{flow.tag, flow.answer};
  const uint16_t line = flow.line;
  line_free_[line] = flow.answer;
  const int32_t waiting = flow.next_waiting;
  flows_.release(e.flow);
  line_flow_[line] = waiting;
  if (waiting < 0) {
    line_last_[line] = -1;
  } else {
    const auto w = static_cast<uint32_t>(waiting);
    begin(w, std::max(flows_[w].at, flow.answer));
  }
  return done;
}

void Dcoh::sent(uint32_t flow, uint16_t step, int64_t at, Target& t) {
  if (flow >= flows_.size() || step >= flows_[flow].steps.size() ||
      !flows_[flow].steps[step].handed || flows_[flow].steps[step].booked) {
    throw std::logic_error("dcoh: a host sent a message no flow waits for");
  }
  const Step& s = flows_[flow].steps[step];
  const int64_t arrival = down(s.data, at, at);
  if (s.writeback != kNoLine) {  // a modified line written back: to the media (posted)
    t.media->access(Op::kWrite, s.writeback * 64, Duration::ps(arrival));
  }
  arrive(flow, step, arrival);
  schedule(flow, at);  // it looks for what is due next
}

}  // namespace cxlsim::timing
