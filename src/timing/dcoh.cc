#include "timing/dcoh.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

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

}  // namespace

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

Dcoh::Dcoh(const std::vector<FlitLink*>& roots, Duration root_port, const std::vector<Hop>& hops,
           unsigned snoop_filter, DcohCosts costs)
    : runner_(engine_config(roots.size(), snoop_filter)),
      costs_(costs),
      slot_line_(runner_.config().lines, kNoLine),
      line_free_(runner_.config().lines, 0),
      stats_(roots.size()) {
  for (const FlitLink* r : roots) roots_.push_back(Wire{r, root_port.picoseconds(), {}, {}});
  for (const Hop& h : hops) hops_.push_back(Wire{h.link, h.before.picoseconds(), {}, {}});
}

int64_t Dcoh::Calendar::reserve(int64_t t, int64_t ser, int64_t now) {
  while (head_ < busy_.size() && busy_[head_].second <= now) ++head_;
  if (head_ >= 64 && 2 * head_ >= busy_.size()) {
    busy_.erase(busy_.begin(), busy_.begin() + static_cast<ptrdiff_t>(head_));
    head_ = 0;
  }
  const auto first = busy_.begin() + static_cast<ptrdiff_t>(head_);
  auto it =
      std::upper_bound(first, busy_.end(), t,
                       [](int64_t v, const std::pair<int64_t, int64_t>& b) { return v < b.first; });
  if (it != first && std::prev(it)->second > t) t = std::prev(it)->second;
  for (; it != busy_.end() && it->first < t + ser; ++it) t = std::max(t, it->second);
  busy_.insert(it, {t, t + ser});
  return t;
}

int64_t Dcoh::send(Wire& w, bool down, Msg m, int64_t at, int64_t now) {
  const int64_t ser = w.link->serialisation_ps(m);
  return (down ? w.down : w.up).reserve(at, ser, now) + ser + w.link->fixed_ps();
}

uint16_t Dcoh::slot_of(uint64_t line) {
  if (const auto it = slots_.find(line); it != slots_.end()) return it->second;
  // The snoop filter is inclusive (CXL 3.1 §3.3.3): a line it does not track is held by no
  // host, so its engine line carries no state worth keeping.
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
    at = send(*h, false, m, at, now) + h->before;
  }
  Wire& root = roots_[host];
  return send(root, false, m, at, now) + root.before;
}

int64_t Dcoh::down(uint8_t host, bool data, int64_t ready, int64_t now) {
  const Msg m = data ? Msg::kReqWriteData : Msg::kReqRead;
  Wire& root = roots_[host];
  int64_t at = send(root, true, m, ready + root.before, now);
  for (Wire& h : hops_) at = send(h, true, m, at + h.before, now);
  return at;
}

int64_t Dcoh::access(uint16_t host, Op op, uint64_t media, int64_t at, int64_t device_done,
                     int64_t now, Target& t) {
  const uint16_t line = slot_of(media / 64);
  const auto agent = static_cast<uint8_t>(host);
  BackInvalidationStats& mine = stats_[host];
  ++mine.requests;
  runner_.run(agent, line, op == Op::kRead ? Access::kLoad : Access::kStore, 0, t_);
  if (t_.issue == coherence::Issue::kRefused) throw std::logic_error("dcoh: access refused");
  if (t_.count == 0) return device_done;  // the host holds the line as it needs it
  const coherence::Protocol& p = runner_.protocol();
  constexpr int kHome = coherence::kMaxAgents;
  auto receiver = [&p](const coherence::Message& m) { return p.toward_agent(m) ? m.agent : kHome; };
  // Latest arrival at each receiver among the messages up to the one last looked at: a message
  // leaves its sender after everything the sender received up to its cause.
  int64_t latest[coherence::kMaxAgents + 1] = {};
  int seen = -1;
  const int64_t start = std::max(at, line_free_[line]);  // one transaction per line at a time
  int64_t answer = device_done;
  for (int i = 0; i < t_.count; ++i) {
    const coherence::Message& m = t_.log[i].msg;
    const int cause = t_.log[i].cause;
    if (cause < 0) {  // the request itself: it crossed to the device as the partition's request
      arrival_[i] = start;
      continue;
    }
    for (; seen < cause; ++seen) {
      int64_t& l = latest[receiver(t_.log[seen + 1].msg)];
      l = std::max(l, arrival_[seen + 1]);
    }
    const bool from_home = p.toward_agent(m);
    const int64_t ready = latest[from_home ? kHome : m.agent] +
                          (from_home ? costs_.process : costs_.respond).picoseconds();
    const bool grant = from_home && m.agent == agent && m.line == line &&
                       (m.ch == Channel::kS2MNDR || m.ch == Channel::kS2MDRS);
    if (grant) {  // the partition's response carries it
      arrival_[i] = ready;
      answer = std::max(answer, ready);
      continue;
    }
    const bool data = coherence::carries_data(m.ch);
    arrival_[i] = from_home ? up(m.agent, data, ready, now) : down(m.agent, data, ready, now);
    if (!from_home && data) {  // a modified line written back: to the device's memory (posted)
      t.media->access(Op::kWrite, slot_line_[m.line] * 64, Duration::ps(arrival_[i]));
      ++stats_[m.agent].writebacks;
    }
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
    }
  }
  line_free_[line] = answer;
  return answer;
}

}  // namespace cxlsim::timing
