#include "timing/coherence_timer.h"

#include <algorithm>
#include <stdexcept>

namespace cxlsim::timing {

using coherence::Access;
using coherence::Channel;
using coherence::Mesi;

CoherenceTimer::CoherenceTimer(const coherence::Config& cfg, std::vector<CoherentAgent> agents,
                               const CoherentHome& home)
    : runner_(cfg), agents_(std::move(agents)), home_(home), line_free_(cfg.lines) {
  if (agents_.size() != cfg.agents) {
    throw std::invalid_argument("coherence timer: one CoherentAgent per agent");
  }
  for (const CoherentAgent& a : agents_) {
    Tags t;
    if (a.capacity != 0) {
      t.ways = std::max(1u, std::min(a.ways, a.capacity));
      t.sets = std::max(1u, a.capacity / t.ways);
      t.line.assign(static_cast<size_t>(t.sets) * t.ways, -1);
      t.stamp.assign(t.line.size(), 0);
    }
    tags_.push_back(std::move(t));
  }
}

int32_t CoherenceTimer::Tags::touch(uint16_t l) {
  if (sets == 0) return -1;
  const size_t base = static_cast<size_t>(l % sets) * ways;
  size_t victim = base;
  for (size_t w = base; w < base + ways; ++w) {
    if (line[w] == l) {
      stamp[w] = ++clock;
      return -1;
    }
    if (stamp[w] < stamp[victim]) victim = w;
  }
  const int32_t old = line[victim];
  line[victim] = l;
  stamp[victim] = ++clock;
  return old;
}

int host_read_ndrs_hdm_d() {
  coherence::Config c;
  c.agents = 2;  // a host core's cache and the device
  c.device_agent = 1;
  coherence::Runner r(c);
  coherence::Transaction t;
  r.run(0, 0, Access::kLoad, 0, t);
  int ndrs = 0;
  for (int i = 0; i < t.count; ++i) ndrs += t.log[i].msg.ch == Channel::kS2MNDR ? 1 : 0;
  return ndrs;
}

Duration cross_path(const std::vector<Hop>& path, bool down, bool data, Duration ready) {
  Duration t = ready;
  if (down) {
    for (const Hop& h : path) {
      t = h.link->send(Dir::kDown, data ? Msg::kReqWriteData : Msg::kReqRead, t + h.before);
    }
  } else {
    for (auto h = path.rbegin(); h != path.rend(); ++h) {
      t = h->link->send(Dir::kUp, data ? Msg::kRespData : Msg::kRespNoData, t) + h->before;
    }
  }
  return t;
}

Duration CoherenceTimer::cross(int agent, bool toward_agent, bool data, Duration ready,
                               int& links) {
  const std::vector<Hop>& path = agents_[static_cast<size_t>(agent)].path;
  links += static_cast<int>(path.size());
  // Host to device is down: toward the agent when the home is the host, toward the home when
  // the home is a device (HDM-DB).
  return cross_path(path, toward_agent == home_.at_host, data, ready);
}

AccessCost CoherenceTimer::access(uint8_t agent, uint16_t line, Access a, uint8_t value,
                                  Duration at) {
  int evicted = 0;
  const bool fills = a == Access::kLoad || a == Access::kLoadShared || a == Access::kStore ||
                     a == Access::kStoreFull;
  if (tags_[agent].sets != 0 && fills) {
    const int32_t victim = tags_[agent].touch(line);
    if (victim >= 0 && runner_.line(agent, static_cast<uint16_t>(victim)).state != Mesi::kI) {
      // Capacity eviction: its messages occupy the links, off the access's critical path.
      const auto v = static_cast<uint16_t>(victim);
      const coherence::AgentLine vb = runner_.line(agent, v);
      runner_.run(agent, v, Access::kEvict, 0, t_);
      cost(agent, v, Access::kEvict, vb, at);
      ++evicted;
      ++evictions_;
    }
  }
  const coherence::AgentLine before = runner_.line(agent, line);
  runner_.run(agent, line, a, value, t_);
  AccessCost c = cost(agent, line, a, before, at);
  c.evictions = evicted;
  return c;
}

AccessCost CoherenceTimer::cost(uint8_t agent, uint16_t line, Access a,
                                const coherence::AgentLine& before, Duration at) {
  AccessCost c;
  c.issue = t_.issue;
  c.issued = c.completed = at;
  c.messages = t_.count;
  const CoherentAgent& req = agents_[agent];
  if (t_.count == 0) {
    if (t_.issue == coherence::Issue::kRefused) return c;
    c.completed = at + req.hit;
    // Device bias (CXL 3.1 §2.2.2.2): a miss is served by the device's own memory, without the
    // host.
    const bool reads = a != Access::kEvict && a != Access::kStoreFull;
    if (home_.memory_agent == agent && before.state == Mesi::kI && reads) {
      c.completed += home_.agent_memory;
    }
    return c;
  }
  const coherence::Protocol& p = runner_.protocol();
  auto receiver = [&p](const coherence::Message& m) { return p.toward_agent(m) ? m.agent : -1; };
  // The device reads its memory after a MemRdFwd for these (CXL 3.1 Figure 3-35).
  const bool fwd_reads = a == Access::kLoad || a == Access::kLoadShared || a == Access::kStore ||
                         a == Access::kReadCurrent;
  // Latest arrival at each receiver (home: slot kMaxAgents) among the messages up to `seen`.
  Duration latest[coherence::kMaxAgents + 1];
  int seen = -1;
  bool forwarded = false;  // the transaction carries a cache's data: the home needs no memory read
  Duration done = at, home_busy = line_free_[line];
  for (int i = 0; i < t_.count; ++i) {
    const coherence::Message& m = t_.log[i].msg;
    const int cause = t_.log[i].cause;
    const bool from_home = p.toward_agent(m);
    const int sender = from_home ? -1 : m.agent;
    Duration ready;
    if (cause < 0) {
      ready = at + req.request;
    } else {
      for (; seen < cause; ++seen) {
        const int r = receiver(t_.log[seen + 1].msg);
        Duration& l = latest[r < 0 ? coherence::kMaxAgents : r];
        l = std::max(l, arrival_[seen + 1]);
      }
      ready = latest[sender < 0 ? coherence::kMaxAgents : sender];
      ready += from_home ? home_.process : agents_[m.agent].respond;
      // HDM-D: the DCOH answers a host access with data from the device's memory.
      if (m.ch == Channel::kS2MDRS && m.agent == home_.memory_agent) ready += home_.agent_memory;
    }
    if (!from_home && m.snoop_data) forwarded = true;
    Duration arrive;
    if (from_home && coherence::carries_data(m.ch) && !forwarded) {
      if (home_.memory_agent < 0) {  // read started when the request arrived, beside the snoops
        arrive =
            cross(m.agent, true, true, std::max(ready, arrival_[0] + home_.process + home_.memory),
                  c.link_messages);
      } else {  // HDM-D: M2S MemRd to the device, which reads its memory, S2M MemData back
        const Duration mem =
            cross(home_.memory_agent, true, false, ready, c.link_messages) + home_.agent_memory;
        arrive = cross(m.agent, true, true,
                       cross(home_.memory_agent, false, true, mem, c.link_messages) + home_.process,
                       c.link_messages);
      }
    } else {
      arrive = cross(m.agent, from_home, coherence::carries_data(m.ch), ready, c.link_messages);
      if (m.ch == Channel::kM2SReq && from_home &&
          m.op == static_cast<uint8_t>(coherence::M2SReq::kMemRdFwd) && fwd_reads) {
        arrive += home_.agent_memory;
      }
    }
    if (i == 0 && cause < 0) {
      arrive = std::max(arrive, line_free_[line]);  // one transaction per line at the home
    }
    arrival_[i] = arrive;
    ++sent_[static_cast<int>(m.ch)];
    if (from_home) home_busy = std::max(home_busy, ready);
    if (!from_home) home_busy = std::max(home_busy, arrive);
    if (!from_home && coherence::carries_data(m.ch) && home_.memory_agent >= 0 &&
        m.agent != home_.memory_agent) {
      // HDM-D: written-back data goes on to the device's memory (posted).
      home_busy = std::max(home_busy, cross(home_.memory_agent, true, true, arrive + home_.process,
                                            c.link_messages));
    }
    if (receiver(m) == agent) done = std::max(done, arrive);
  }
  line_free_[line] = home_busy;
  c.completed = std::max(done, at) + req.complete;
  return c;
}

Duration CoherenceTimer::flip_to_host(uint16_t page, Duration at) {
  const int dev = runner_.config().device_agent;
  if (dev < 0) throw std::logic_error("coherence timer: no device to flip bias for");
  if (!runner_.flip_to_host(page)) {
    throw std::logic_error("coherence timer: page cannot flip to host bias now");
  }
  // The bias table write (software's MMIO write to the device) and its read-back; the device
  // keeps its lines (CXL 3.1 §3.5.2.2: the host's accesses reach its DCOH).
  int links = 0;
  return cross(dev, false, false, cross(dev, true, false, at + home_.process, links), links);
}

Duration CoherenceTimer::flip_to_device(uint16_t page, Duration at) {
  const int dev = runner_.config().device_agent;
  if (dev < 0) throw std::logic_error("coherence timer: no device to flip bias for");
  const auto first = static_cast<uint16_t>(page * runner_.config().lines_per_page);
  const coherence::AgentLine before = runner_.line(static_cast<uint8_t>(dev), first);
  runner_.flip_to_device(page, t_);
  if (t_.issue == coherence::Issue::kRefused) {
    throw std::logic_error("coherence timer: page cannot flip to device bias now");
  }
  // CXL 3.1 Figure 3-40: the device's RdOwnNoData per line, the host's snoops, MemRdFwd back.
  return cost(static_cast<uint8_t>(dev), first, Access::kFlip, before, at).completed;
}

}  // namespace cxlsim::timing
