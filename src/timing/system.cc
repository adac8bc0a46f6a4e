#include "timing/system.h"

#include <fmt/format.h>

#include <bit>
#include <map>

#include "spec/error.h"
#include "spec/interleave.h"
#include "timing/route.h"

namespace cxlsim::timing {
namespace {

constexpr uint64_t kWindowAlign = uint64_t{256} << 20;

Msg down_msg(Op op) { return op == Op::kRead ? Msg::kReqRead : Msg::kReqWriteData; }
Msg up_msg(Op op) { return op == Op::kRead ? Msg::kRespData : Msg::kRespNoData; }

}  // namespace

System::System(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
               const Topology& topo, const std::function<DeviceProfile(const std::string&)>& device_for)
    : host_(host),
      local_size_(local_size.value()),
      to_home_(host.core_to_home.picoseconds()),
      from_home_(host.home_to_core.picoseconds()),
      rp_(host.root_port_latency.picoseconds()) {
  targets_.emplace_back();
  targets_[0].name = "local-dram";
  targets_[0].profile = local_dram;
  targets_[0].profile.cxl = false;
  targets_[0].media = std::make_unique<Dram>(local_dram.dram);

  // Memdevs and the links on their paths; a link is named by its upstream port.
  std::vector<std::string> memdevs;
  for (const auto& d : topo.type3) memdevs.push_back(d.id);
  for (const auto& d : topo.type2) memdevs.push_back(d.id);
  std::map<std::string, LinkModel*> link_of;
  std::map<std::string, int> users;
  std::vector<Route> routes;
  for (const auto& id : memdevs) {
    routes.push_back(route_to(topo, id));
    for (const auto& h : routes.back().hops) ++users[h.port];
  }
  for (size_t i = 0; i < memdevs.size(); ++i) {
    Target t;
    t.name = memdevs[i];
    t.profile = device_for(memdevs[i]);
    if (!t.profile.cxl) {
      throw ValidationError(fmt::format("memdev '{}': profile '{}' is not a CXL device profile", t.name, t.profile.name));
    }
    t.media = std::make_unique<Dram>(t.profile.dram);
    for (const auto& h : routes[i].hops) {
      auto it = link_of.find(h.port);
      if (it == link_of.end()) {
        links_.push_back(std::make_unique<FlitLink>(h.port + "->" + h.below, t.profile.link));
        it = link_of.emplace(h.port, links_.back().get()).first;
      }
      Duration before = h.kind == RouteHop::Kind::kRootPort ? host.root_port_latency : host.switch_latency;
      t.hops.push_back(Hop{before, it->second, users[h.port] > 1});
    }
    targets_.push_back(std::move(t));
  }

  uint64_t next_base = (local_size_ + kWindowAlign - 1) / kWindowAlign * kWindowAlign;
  for (const auto& w : topo.windows) {
    Window win;
    win.id = w.id;
    win.base = w.base.value_or(next_base);
    win.size = w.size.value();
    win.granularity = w.granularity.value();
    if (win.base < local_size_) {
      throw ValidationError(fmt::format("window '{}' overlaps local DRAM [0, {:#x})", w.id, local_size_));
    }
    for (const auto& hb : w.targets) {
      std::vector<uint16_t> devs;
      for (size_t i = 0; i < routes.size(); ++i) {
        if (routes[i].host_bridge == hb) devs.push_back(static_cast<uint16_t>(i + 1));
      }
      if (devs.empty()) throw ValidationError(fmt::format("window '{}': host bridge '{}' has no memory device below it", w.id, hb));
      win.bridges.push_back(std::move(devs));
    }
    if (std::has_single_bit(win.granularity)) win.gran_shift = std::countr_zero(win.granularity);
    if (win.bridges.size() == 1 && std::has_single_bit(win.bridges[0].size())) {
      win.dev_mask = win.bridges[0].size();
      win.dev_shift = std::countr_zero(win.bridges[0].size());
    }
    next_base = std::max(next_base, (win.base + win.size + kWindowAlign - 1) / kWindowAlign * kWindowAlign);
    windows_.push_back(std::move(win));
  }
}

uint16_t System::add(Requester* r) {
  r->id_ = static_cast<uint16_t>(requesters_.size());
  requesters_.push_back(r);
  for (auto& t : targets_) {
    t.wait_head.push_back(nullptr);
    t.wait_tail.push_back(nullptr);
    t.ring.push_back(0);
  }
  return static_cast<uint16_t>(requesters_.size() - 1);
}

const Window* System::window_of(uint64_t hpa) const {
  for (const auto& w : windows_) {
    if (hpa >= w.base && hpa - w.base < w.size) return &w;
  }
  return nullptr;
}

void System::decode(Request& r) {
  if (r.hpa < local_size_) {
    r.target = 0;
    r.media = r.hpa;
    return;
  }
  const Window* w = window_of(r.hpa);
  if (w == nullptr) throw ValidationError(fmt::format("address {:#x} is in no memory range", r.hpa));
  const uint64_t off = r.hpa - w->base;
  const uint64_t g = w->granularity;
  const unsigned ways = static_cast<unsigned>(w->bridges.size());
  if (ways == 1 && w->gran_shift >= 0 && w->dev_mask != 0) {
    // One host bridge, power-of-two granularity and device count: shifts and masks only.
    const uint64_t granule = off >> w->gran_shift;
    r.target = w->bridges[0][granule & (w->dev_mask - 1)];
    r.media = ((granule >> w->dev_shift) << w->gran_shift) | (off & (g - 1));
    return;
  }
  const unsigned hb = is_valid_ways(ways) ? interleave_target(off, ways, Bytes(g))
                                          : static_cast<unsigned>((off / g) % ways);
  const auto& devs = w->bridges[hb];
  const uint64_t per_hb = off / (g * ways);  // granule index within this bridge
  const uint64_t k = devs.size();
  r.target = devs[per_hb % k];
  r.media = (per_hb / k) * g + off % g;
}

void System::issue(Request* r) {
  r->issued = now_;
  decode(*r);
  Target& t = targets_[r->target];
  if (t.outstanding < t.profile.queue_depth) {
    dispatch(r, t);
    return;
  }
  const uint16_t who = r->requester;
  r->next = nullptr;
  if (t.wait_head[who] == nullptr) {
    t.wait_head[who] = r;
    t.ring[(t.ring_head + t.ring_size) % t.ring.size()] = who;
    ++t.ring_size;
  } else {
    t.wait_tail[who]->next = r;
  }
  t.wait_tail[who] = r;
}

void System::grant(Target& t) {
  while (t.ring_size > 0 && t.outstanding < t.profile.queue_depth) {
    const uint16_t who = t.ring[t.ring_head];
    t.ring_head = (t.ring_head + 1) % t.ring.size();
    --t.ring_size;
    Request* r = t.wait_head[who];
    t.wait_head[who] = r->next;
    r->next = nullptr;
    if (t.wait_head[who] == nullptr) {
      t.wait_tail[who] = nullptr;
    } else {
      t.ring[(t.ring_head + t.ring_size) % t.ring.size()] = who;
      ++t.ring_size;
    }
    t.stats.credit_wait += now_ - r->issued;
    dispatch(r, t);
  }
}

void System::dispatch(Request* r, Target& t) {
  ++t.outstanding;
  int64_t at = now_.picoseconds() + to_home_;
  const Msg dm = down_msg(r->op);
  for (const Hop& h : t.hops) {
    at = h.link->send(Dir::kDown, dm, Duration::ps(at + h.before.picoseconds()), now_).picoseconds();
  }
  at += t.profile.frontend_latency.picoseconds();
  r->arrived = Duration::ps(at);
  at = t.media->access(r->op, r->media, Duration::ps(at)).picoseconds();
  at += t.profile.backend_latency.picoseconds();
  if (t.profile.in_order) {
    // Requests reach the controller in order (the path down is FIFO), so this is arrival order.
    at = std::max(at, t.last_response);
    t.last_response = at;
  }
  up(r, t, at);
}

void System::up(Request* r, Target& t, int64_t at) {
  // Link calendars take reservations in any order, so the whole way back is computed now and
  // only the arrival at the core is an event.
  const Msg um = up_msg(r->op);
  for (size_t i = t.hops.size(); i-- > 0;) {
    const Hop& h = t.hops[i];
    at = h.link->send(Dir::kUp, um, Duration::ps(at), now_).picoseconds() + h.before.picoseconds();
  }
  events_.push(Duration::ps(at + from_home_), &completion_, r);
}

void System::complete(Request* r, Duration now) {
  Target& t = targets_[r->target];
  --t.outstanding;
  if (r->op == Op::kRead) ++t.stats.reads; else ++t.stats.writes;
  t.stats.latency_sum += now - r->issued;
  ++completed_;
  grant(t);
  requesters_[r->requester]->complete(*this, *r, now);
  pool_.put(r);
}

void System::run_until(Duration end) {
  if (!started_) {
    started_ = true;
    for (Requester* q : requesters_) q->start(*this, now_);
  }
  EventQueue::Event e;
  while (!events_.empty() && events_.next_time() <= end) {
    events_.pop(e);
    now_ = Duration::ps(e.t);
    last_event_ = now_;
    e.target->on_event(e.req, now_);
  }
  if (now_ < end) now_ = end;
}

Duration System::idle_read_latency(size_t ti) const {
  const Target& t = targets_[ti];
  Duration d = host_.core_to_home + host_.home_to_core + t.profile.frontend_latency + t.profile.backend_latency;
  for (const Hop& h : t.hops) {
    d += h.before * 2 + h.link->idle_latency(Msg::kReqRead) + h.link->idle_latency(Msg::kRespData);
  }
  const DramConfig& m = t.profile.dram;
  d += m.tRCD + m.tCL + m.burst();
  return d;
}

}  // namespace cxlsim::timing
