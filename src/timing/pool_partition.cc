#include "timing/pool_partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "fabric/fabric.h"
#include "spec/error.h"
#include "timing/coherence_timer.h"
#include "timing/link_training.h"

namespace cxlsim::timing {

namespace {
// Orders a min-heap of answers by (time, sequence).
struct AnswerAfter {
  template <class A>
  bool operator()(const A& a, const A& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};
}  // namespace

PoolPartition::PoolPartition(const HostProfile& host, Bytes local_size, const Topology& topo,
                             const std::function<DeviceProfile(const std::string&)>& device_for,
                             const std::vector<std::string>& host_names)
    : up_(host_names.size()) {
  const size_t hosts = host_names.size();
  const auto fabric =
      Fabric::build(place_windows(topo, local_size), FabricOptions{.map_backing_files = false});
  const Fabric& f = *fabric;
  targets_.emplace_back();  // local DRAM: each host's own
  targets_[0].name = "local-dram";
  // Links as System makes them: named by their upstream port, configured by the profile of the
  // first memdev below it, at the width and speed the topology's link ends train to.
  std::map<std::string, FlitLink*> shared;
  std::vector<std::map<std::string, FlitLink*>> root(hosts);
  auto make_link = [&](const std::string& prefix, const std::vector<std::string>& path, size_t i,
                       const DeviceProfile& p) {
    const LinkConfig cfg = trained_link_config(p.link, f.topology().trained_link_below(path[i]));
    links_.push_back(std::make_unique<FlitLink>(prefix + path[i] + "->" + path[i + 1], cfg));
    (prefix.empty() ? shared_links_ : root_links_).push_back(links_.back().get());
    return links_.back().get();
  };
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    Target t;
    t.name = f.memdev(m).id();
    t.profile = device_for(t.name);
    t.media = std::make_unique<Dram>(t.profile.dram);
    if (f.memdev(m).is_type2()) t.read_ndrs = static_cast<uint8_t>(host_read_ndrs_hdm_d());
    if (t.profile.throughput > Bandwidth()) {
      t.request_ps = t.profile.throughput.transfer_time(Bytes(64)).picoseconds();
    }
    if (t.profile.write_throughput > Bandwidth()) {
      t.write_request_ps = t.profile.write_throughput.transfer_time(Bytes(64)).picoseconds();
    }
    const auto path = f.memdev_path(m);  // host bridge, root port, [switch, dport]*, memdev
    for (size_t h = 0; h < hosts; ++h) {
      auto it = root[h].find(path[1]);
      if (it == root[h].end()) {
        it = root[h].emplace(path[1], make_link(host_names[h] + ":", path, 1, t.profile)).first;
      }
      up_[h].resize(m + 2, nullptr);
      up_[h][m + 1] = it->second;
    }
    for (size_t i = 3; i + 1 < path.size(); i += 2) {
      auto it = shared.find(path[i]);
      if (it == shared.end()) it = shared.emplace(path[i], make_link("", path, i, t.profile)).first;
      t.hops.push_back(Hop{host.switch_latency, it->second, true});
    }
    dcoh_.resize(m + 2);
    const auto spec = std::find_if(topo.type3.begin(), topo.type3.end(),
                                   [&](const Type3Spec& d) { return d.id == t.name; });
    if (spec != topo.type3.end() && spec->shared) {
      if (hosts > coherence::kMaxAgents) {
        throw ValidationError(fmt::format("{} is shared HDM-DB memory: at most {} hosts share it",
                                          t.name, coherence::kMaxAgents));
      }
      std::vector<FlitLink*> roots;
      roots.reserve(hosts);
      for (size_t h = 0; h < hosts; ++h) roots.push_back(up_[h][m + 1]);
      dcoh_[m + 1] =
          std::make_unique<Dcoh>(roots, host.root_port_latency, t.hops, spec->snoop_filter,
                                 DcohCosts{.respond = snoop_response(host)});
      shared_targets_.push_back(m + 1);
    }
    targets_.push_back(std::move(t));
  }
  dcoh_.resize(targets_.size());
  served_.assign(targets_.size(), std::vector<uint64_t>(hosts, 0));
  int64_t least = INT64_MAX;
  for (const auto& per_host : root) {
    for (const auto& [port, link] : per_host) {
      for (Msg m : {Msg::kReqRead, Msg::kReqWriteData, Msg::kRespData, Msg::kRespNoData}) {
        least = std::min(least, link->idle_latency(m).picoseconds());
      }
    }
  }
  min_crossing_ = Duration::ps(least == INT64_MAX ? 0 : least);
}

void PoolPartition::run_until(int64_t end) {
  settle();
  // Requests, the DCOHs' events and the answers from shared HDM-DB memory in time order (at the
  // same time in that order), so that those links are booked close to the partition's clock.
  for (;;) {
    const int64_t request = head_ < pending_.size() ? pending_[head_].t : INT64_MAX;
    size_t d = 0;
    const int64_t event = next_event(&d);
    const int64_t ready = answers_.empty() ? INT64_MAX : answers_.front().t;
    if (std::min({request, event, ready}) > end) break;
    if (request <= event && request <= ready) {
      serve(pending_[head_++]);
    } else if (event <= ready) {
      if (const auto done = dcoh_[d]->step()) send_parked(done->tag, done->answer);
      hand_over(d);
    } else {
      std::pop_heap(answers_.begin(), answers_.end(), AnswerAfter{});
      send_parked(answers_.back().tag, ready);
      answers_.pop_back();
    }
  }
}

void PoolPartition::hand_over(size_t target) {
  for (const Dcoh::Handoff& h : dcoh_[target]->handoffs()) {
    Crossing c;
    c.t = h.t;
    c.host = h.host;
    c.kind = Crossing::Kind::kSnoopSend;
    c.step = h.step;
    c.target = static_cast<uint16_t>(target);
    c.op = h.data ? Op::kWrite : Op::kRead;
    c.flow = h.flow;
    out_.send(c);
  }
  dcoh_[target]->handoffs().clear();
}

void PoolPartition::send_parked(uint32_t tag, int64_t at) {
  const Crossing back = parked_[tag];
  parked_.release(tag);
  answer(back, at, at);
}

int64_t PoolPartition::next_event(size_t* target) const {
  int64_t first = INT64_MAX;
  for (size_t i : shared_targets_) {
    if (const int64_t t = dcoh_[i]->next_event(); t < first) {
      first = t;
      *target = i;
    }
  }
  return first;
}

std::optional<int64_t> PoolPartition::next_arrival() {
  settle();
  size_t d = 0;
  const int64_t first =
      std::min({head_ < pending_.size() ? pending_[head_].t : INT64_MAX, next_event(&d),
                answers_.empty() ? INT64_MAX : answers_.front().t});
  if (first == INT64_MAX) return std::nullopt;
  return first;
}

void PoolPartition::settle() {
  if (incoming_.empty()) return;
  auto before = [](const Crossing& a, const Crossing& b) { return CrossingAfter{}(b, a); };
  std::sort(incoming_.begin(), incoming_.end(), before);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(head_));
  head_ = 0;
  const auto mid = static_cast<ptrdiff_t>(pending_.size());
  pending_.insert(pending_.end(), incoming_.begin(), incoming_.end());
  std::inplace_merge(pending_.begin(), pending_.begin() + mid, pending_.end(), before);
  incoming_.clear();
}

void PoolPartition::serve(const Crossing& c) {
  if (c.target == 0 || c.target >= targets_.size() || c.host >= up_.size()) {
    throw OperationError(
        fmt::format("pool partition: request for target {} of host {}", c.target, c.host));
  }
  Target& t = targets_[c.target];
  if (c.kind == Crossing::Kind::kSnoopSent) {  // a host's part of a DCOH flow
    if (dcoh_[c.target] == nullptr) {
      throw OperationError("pool partition: a snoop answer to no DCOH");
    }
    dcoh_[c.target]->sent(c.flow, c.step, c.t, t);
    hand_over(c.target);
    return;
  }
  const int64_t now = c.t;
  int64_t at = c.t;
  const Msg dm = c.op == Op::kRead ? Msg::kReqRead : Msg::kReqWriteData;
  for (const Hop& h : t.hops) {
    at = h.link->send_ps(Dir::kDown, dm, at + h.before.picoseconds(), now);
  }
  Crossing back = c;
  const int64_t reached = at;
  at = serve_at_device(t, c.op, c.media, at, back.arrived);
  if (c.op == Op::kRead) {
    ++t.stats.reads;
  } else {
    ++t.stats.writes;
  }
  ++served_[c.target][c.host];
  if (Dcoh* d = dcoh_[c.target].get()) {
    const uint32_t tag = parked_.acquire();
    parked_[tag] = back;
    // The answer is sent when it is ready (an event), so that it meets the flows' messages on
    // the links in time order; a flow that runs as events hands it back when it is done.
    if (const auto ready = d->access(c.host, c.op, c.media, reached, at, tag)) {
      answers_.push_back(Answer{*ready, answer_seq_++, tag});
      std::push_heap(answers_.begin(), answers_.end(), AnswerAfter{});
    }
    hand_over(c.target);
    return;
  }
  answer(back, at, now);
}

void PoolPartition::answer(Crossing back, int64_t at, int64_t now) {
  const Target& t = targets_[back.target];
  // The shared hops, then this host's root-port link (its root port's latency is the host's).
  at = answer_up(t, t.hops, back.op, at, now);
  back.t = answer_up(t, {Hop{Duration(), up_[back.host][back.target], false}}, back.op, at, now);
  out_.send(back);
}

BackInvalidationStats PoolPartition::back_invalidation(size_t host) const {
  BackInvalidationStats sum;
  for (const auto& d : dcoh_) {
    if (d) sum += d->stats(host);
  }
  return sum;
}

}  // namespace cxlsim::timing
