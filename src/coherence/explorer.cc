#include "coherence/explorer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <string_view>
#include <tuple>
#include <unordered_set>

namespace cxlsim::coherence {
namespace {

struct Global {
  State s;
  std::vector<Message> net;
  std::vector<uint8_t> ops_left, writes, ghost;
  uint8_t flips_left = 0;
};

enum class Step : uint8_t { kIssue, kDrop, kFlipHost, kFlipDevice, kDeliver };
struct Action {
  Step step = Step::kIssue;
  uint8_t agent = 0;
  uint16_t line = 0;
  Access access = Access::kNone;
  uint8_t value = 0;
  Message msg;
};

std::string_view access_name(Access a) {
  static constexpr std::string_view kNames[] = {
      "Load",  "LoadShared", "Store",   "StoreFull", "Evict", "ReadCurrent", "Flush",
      "WrInv", "WOWrInvF",   "WOWrInv", "ItoMWr",    "WrCur", "Flip",        "-"};
  return kNames[static_cast<size_t>(a)];
}

std::string describe(const Protocol& p, const Action& a) {
  switch (a.step) {
    case Step::kIssue:
      return fmt::format(
          "agent {} {} line {}{}", a.agent, access_name(a.access), a.line,
          a.access == Access::kStore || a.access == Access::kStoreFull || a.access >= Access::kWrInv
              ? fmt::format(" (value {})", a.value)
              : "");
    case Step::kDrop:
      return fmt::format("agent {} drops clean line {} silently", a.agent, a.line);
    case Step::kFlipHost:
      return fmt::format("page {} flips to host bias", a.line);
    case Step::kFlipDevice:
      return fmt::format("page {} flips to device bias", a.line);
    case Step::kDeliver: {
      const Message& m = a.msg;
      const bool down = p.toward_agent(m);
      return fmt::format("{} {} {} {} line {}{}{}", name(m.ch), opcode_name(m.ch, m.op),
                         down ? "-> agent" : "<- agent", m.agent, m.line,
                         carries_data(m.ch) ? fmt::format(" data {}", m.value) : "",
                         m.bogus ? " (bogus)" : "");
    }
  }
  return "";
}

auto key(const Message& m) {
  return std::tuple(m.ch, m.op, m.agent, m.line, m.value, m.bogus, m.snoop_data, m.behind_go);
}

class Search {
 public:
  explicit Search(const Workload& w)
      : w_(w), p_(w.protocol), c_(w.protocol), accesses_(w.accesses) {
    if (accesses_.empty()) accesses_ = {Access::kLoad, Access::kStore, Access::kEvict};
  }

  ExploreResult run() {
    const auto t0 = std::chrono::steady_clock::now();
    Global g;
    g.s = p_.initial();
    g.ops_left.assign(c_.agents, w_.ops_per_agent);
    g.writes.assign(c_.agents, 0);
    g.ghost.assign(c_.lines, 0);
    g.flips_left = w_.flips;
    add(std::move(g), SIZE_MAX, {});
    for (size_t i = 0; i < states_.size() && !result_.violation; ++i) {
      if (states_.size() > w_.max_states) {
        result_.complete = false;
        break;
      }
      expand(i);
    }
    result_.states = states_.size();
    result_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result_;
  }

 private:
  struct Node {
    size_t parent;
    Action action;
  };

  void fail(size_t at, const std::string& what) {
    if (result_.violation) return;
    Violation v{what, {}};
    std::vector<std::string> steps;
    for (size_t i = at; i != SIZE_MAX && nodes_[i].parent != SIZE_MAX; i = nodes_[i].parent) {
      steps.push_back(describe(p_, nodes_[i].action));
    }
    std::reverse(steps.begin(), steps.end());
    v.trace = std::move(steps);
    result_.violation = std::move(v);
  }

  // Canonical bytes of a state: fields that cannot matter any more are zeroed, messages sorted
  // (the network is a multiset; the only order that matters is marked on the snoops).
  std::string encode(Global& g) const {
    std::string b;
    b.reserve(256);
    for (AgentLine& l : g.s.agent) {
      if (l.pending == Access::kNone) {
        l.got_go = l.got_data = false;
        l.granted = Mesi::kI;
        l.write = 0;
      }
      if (!l.got_data) l.data = 0;
      if (l.state == Mesi::kI) l.value = 0;
      b +=
          {static_cast<char>(l.state),  static_cast<char>(l.value),    static_cast<char>(l.pending),
           static_cast<char>(l.got_go), static_cast<char>(l.got_data), static_cast<char>(l.granted),
           static_cast<char>(l.data),   static_cast<char>(l.write),    static_cast<char>(l.owed)};
    }
    for (HomeLine& h : g.s.home) {
      if (h.busy == HomeLine::kIdle) {
        h.requester = 0;
        h.op = Access::kNone;
      }
      b += {static_cast<char>(h.memory),       static_cast<char>(h.sharers),
            static_cast<char>(h.sharers >> 8), static_cast<char>(h.owned),
            static_cast<char>(h.tracked),      static_cast<char>(h.busy),
            static_cast<char>(h.requester),    static_cast<char>(h.op),
            static_cast<char>(h.waiting),      static_cast<char>(h.waiting >> 8),
            static_cast<char>(h.want_data),    static_cast<char>(h.want_data >> 8),
            static_cast<char>(h.got_data),     static_cast<char>(h.got_data >> 8),
            static_cast<char>(h.keep),         static_cast<char>(h.keep >> 8),
            static_cast<char>(h.keep_owned),   static_cast<char>(h.device_shared)};
    }
    for (uint8_t d : g.s.device_bias) b += static_cast<char>(d);
    for (uint8_t d : g.s.flip_left) b += static_cast<char>(d);
    b += {static_cast<char>(g.s.sf_used), static_cast<char>(g.s.sf_clock),
          static_cast<char>(g.s.parked), static_cast<char>(g.s.evicting),
          static_cast<char>(g.s.park_hint)};
    std::sort(g.net.begin(), g.net.end(),
              [](const Message& x, const Message& y) { return key(x) < key(y); });
    b += static_cast<char>(g.net.size());
    for (const Message& m : g.net) {
      b += {static_cast<char>(m.ch),
            static_cast<char>(m.op),
            static_cast<char>(m.agent),
            static_cast<char>(m.line),
            static_cast<char>(m.line >> 8),
            static_cast<char>(m.value),
            static_cast<char>(m.bogus | (m.snoop_data << 1) | (m.behind_go << 2))};
    }
    for (uint8_t v : g.ops_left) b += static_cast<char>(v);
    for (uint8_t v : g.writes) b += static_cast<char>(v);
    for (uint8_t v : g.ghost) b += static_cast<char>(v);
    b += static_cast<char>(g.flips_left);
    return b;
  }

  void add(Global g, size_t parent, const Action& a) {
    ++result_.transitions;
    if (!index_.insert(encode(g)).second) return;
    nodes_.push_back({parent, a});
    result_.max_in_flight = std::max(result_.max_in_flight, g.net.size());
    states_.push_back(std::move(g));
    check(states_.size() - 1);
  }

  void check(size_t i) {
    const Global& g = states_[i];
    for (uint16_t l = 0; l < c_.lines; ++l) {
      int owners = 0, valid = 0;
      bool modified = false;
      for (uint8_t a = 0; a < c_.agents; ++a) {
        const AgentLine& x = Protocol::at(g.s, c_, a, l);
        if (x.state == Mesi::kM) modified = true;
        // A line being evicted keeps its state only to answer snoops; its cache may neither
        // read nor write it any more, so it is no copy for SWMR.
        if (x.state == Mesi::kI || x.pending == Access::kEvict) continue;
        ++valid;
        if (x.state == Mesi::kM || x.state == Mesi::kE) ++owners;
        if (x.value != g.ghost[l]) {
          return fail(
              i, fmt::format("data value: agent {} holds line {} with {}, the last write was {}", a,
                             l, x.value, g.ghost[l]));
        }
      }
      if (owners > 1 || (owners == 1 && valid > 1)) {
        return fail(
            i, fmt::format("SWMR: line {} is held exclusively by one cache and valid in {} caches",
                           l, valid));
      }
      bool dirty_in_flight = false;
      for (const Message& m : g.net) {
        if (m.line == l && !p_.toward_agent(m) && carries_data(m.ch) && !m.bogus) {
          dirty_in_flight = true;
        }
      }
      const HomeLine& h = g.s.home[l];
      if (!modified && !dirty_in_flight && h.busy != HomeLine::kAwaitWrite &&
          h.memory != g.ghost[l]) {
        return fail(i, fmt::format("data value: memory holds {} for line {}, the last write was {}",
                                   h.memory, l, g.ghost[l]));
      }
    }
  }

  // Applies one step's effects to the ghost; false (and a violation) when a read saw a stale value.
  bool apply(size_t parent, Global& g, const Outbox& out, const Action& a) {
    for (int e = 0; e < out.effects; ++e) {
      const auto& x = out.effect[e];
      if (x.write) {
        g.ghost[x.line] = x.value;
      } else if (x.value != g.ghost[x.line]) {
        nodes_.push_back({parent, a});
        fail(nodes_.size() - 1,
             fmt::format("data value: agent {} read {} from line {}, the last write was {}",
                         x.agent, x.value, x.line, g.ghost[x.line]));
        return false;
      }
    }
    for (int k = 0; k < out.messages; ++k) {
      Message m = out.msg[k];
      if (m.ch == Channel::kH2DReq || m.ch == Channel::kS2MBISnp) {
        for (const Message& o : g.net) {
          if (Protocol::releases_snoops(o) && o.agent == m.agent && o.line == m.line) {
            m.behind_go = true;
          }
        }
      }
      g.net.push_back(m);
    }
    return true;
  }

  void expand(size_t i) {
    size_t successors = 0;
    auto next = [&](Global&& g, const Outbox& out, const Action& a) {
      ++successors;
      if (apply(i, g, out, a)) add(std::move(g), i, a);
    };
    Outbox out;
    const Global& cur = states_[i];
    for (uint8_t a = 0; a < c_.agents && !result_.violation; ++a) {
      for (uint16_t l = 0; l < c_.lines; ++l) {
        if (cur.ops_left[a] > 0) {
          for (Access acc : accesses_) {
            Global g = states_[i];
            out.clear();
            const auto value = static_cast<uint8_t>(1 + a * w_.ops_per_agent + g.writes[a]);
            if (p_.issue(g.s, a, l, acc, value, out) == Issue::kRefused) continue;
            --g.ops_left[a];
            ++g.writes[a];
            next(std::move(g), out, {Step::kIssue, a, l, acc, value, {}});
          }
        }
        if (w_.silent_drops) {
          Global g = states_[i];
          if (p_.silent_drop(g.s, a, l)) {
            out.clear();
            next(std::move(g), out, {Step::kDrop, a, l, Access::kNone, 0, {}});
          }
        }
      }
    }
    // Flips to device bias are bounded; a page may always return to host bias (software
    // gives it back before the host uses it), so the host is never locked out.
    const auto pages = static_cast<uint16_t>(states_[i].s.device_bias.size());
    for (uint16_t page = 0; page < pages; ++page) {
      for (bool to_device : {false, true}) {
        if (to_device && states_[i].flips_left == 0) continue;
        {
          Global g = states_[i];
          out.clear();
          if (!(to_device ? p_.flip_to_device(g.s, page, out) : p_.flip_to_host(g.s, page))) {
            continue;
          }
          if (to_device) --g.flips_left;
          next(std::move(g), out,
               {to_device ? Step::kFlipDevice : Step::kFlipHost, 0, page, Access::kNone, 0, {}});
        }
      }
    }
    const std::vector<Message> net = states_[i].net;
    for (size_t k = 0; k < net.size() && !result_.violation; ++k) {
      if (k > 0 && net[k] == net[k - 1]) continue;  // identical messages: one choice
      if (!p_.deliverable(states_[i].s, net[k])) continue;
      Global g = states_[i];
      g.net.erase(g.net.begin() + static_cast<std::ptrdiff_t>(k));
      if (Protocol::releases_snoops(net[k])) {
        for (Message& o : g.net) {
          if ((o.ch == Channel::kH2DReq || o.ch == Channel::kS2MBISnp) && o.agent == net[k].agent &&
              o.line == net[k].line) {
            o.behind_go = false;
          }
        }
      }
      out.clear();
      p_.deliver(g.s, net[k], out);
      next(std::move(g), out, {Step::kDeliver, 0, 0, Access::kNone, 0, net[k]});
    }
    if (successors == 0 && !result_.violation) {
      const Global& g = states_[i];
      bool done = g.net.empty();
      for (uint8_t v : g.ops_left) done = done && v == 0;
      for (const AgentLine& l : g.s.agent) done = done && l.pending == Access::kNone && l.owed == 0;
      for (const HomeLine& h : g.s.home) done = done && h.busy == HomeLine::kIdle;
      if (!done) {
        return fail(i, fmt::format("deadlock: no step is possible with {} messages in flight",
                                   g.net.size()));
      }
      ++result_.final_states;
    }
  }

  const Workload& w_;
  Protocol p_;
  Config c_;
  std::vector<Access> accesses_;
  std::deque<Global> states_;
  std::vector<Node> nodes_;
  std::unordered_set<std::string> index_;
  ExploreResult result_;
};

}  // namespace

ExploreResult explore(const Workload& w) { return Search(w).run(); }

std::vector<NamedWorkload> check_systems() {
  auto make = [](Flavour f, uint8_t agents, uint16_t lines, uint8_t ops) {
    Workload w;
    w.protocol.flavour = f;
    w.protocol.agents = agents;
    w.protocol.lines = lines;
    w.ops_per_agent = ops;
    return w;
  };
  auto type2 = [&](uint8_t ops) {  // agent 0: a host core's cache, agent 1: the device
    Workload w = make(Flavour::kCache, 2, 2, ops);
    w.protocol.device_agent = 1;
    w.protocol.lines_per_page = 2;
    w.flips = 1;
    return w;
  };
  std::vector<NamedWorkload> out;
  out.push_back({"CXL.cache, 2 devices, 2 lines, 2 accesses each", make(Flavour::kCache, 2, 2, 2)});
  out.push_back({"CXL.cache, 3 devices, 1 line, 2 accesses each", make(Flavour::kCache, 3, 1, 2)});
  Workload uncached = make(Flavour::kCache, 2, 1, 2);
  uncached.accesses = {Access::kLoadShared, Access::kStoreFull, Access::kReadCurrent,
                       Access::kFlush,      Access::kWrInv,     Access::kWOWrInv,
                       Access::kItoMWr,     Access::kEvict};
  out.push_back({"CXL.cache, uncached reads/writes, flushes", uncached});
  Workload sf = make(Flavour::kCache, 2, 2, 2);
  sf.protocol.sf_capacity = 1;
  out.push_back({"CXL.cache, snoop filter of 1 entry", sf});
  out.push_back({"HDM-DB, 3 hosts, 1 line", make(Flavour::kBackInvalidate, 3, 1, 2)});
  Workload bi = make(Flavour::kBackInvalidate, 2, 2, 2);
  bi.protocol.sf_capacity = 1;
  out.push_back({"HDM-DB, 2 hosts, 2 lines, snoop filter of 1 entry", bi});
  out.push_back({"Type 2 HDM-D, host + device, bias flips", type2(2)});
  Workload t2u = type2(2);
  t2u.accesses = {Access::kStore, Access::kReadCurrent, Access::kWOWrInv};
  out.push_back({"Type 2 HDM-D, RdCurr and WOWrInv, bias flips", t2u});
  return out;
}

}  // namespace cxlsim::coherence
