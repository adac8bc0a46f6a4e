#include "timing/system.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <map>

#include "fabric/region_order.h"
#include "spec/error.h"
#include "timing/coherence_timer.h"
#include "timing/link_training.h"

namespace cxlsim::timing {
namespace {

constexpr uint64_t kWindowAlign = uint64_t{256} << 20;

Msg down_msg(Op op) { return op == Op::kRead ? Msg::kReqRead : Msg::kReqWriteData; }

}  // namespace

Topology place_windows(const Topology& topo, Bytes local_size) {
  Topology t = topo;
  uint64_t next = (local_size.value() + kWindowAlign - 1) / kWindowAlign * kWindowAlign;
  for (auto& w : t.windows) {
    if (!w.base) w.base = next;
    if (*w.base < local_size.value()) {
      throw ValidationError(
          fmt::format("window '{}' overlaps local DRAM [0, {:#x})", w.id, local_size.value()));
    }
    next =
        std::max(next, (*w.base + w.size.value() + kWindowAlign - 1) / kWindowAlign * kWindowAlign);
  }
  return t;
}

namespace {

// Memdevs of `kind` whose path starts at one of the window's host bridges, in memdev order.
std::vector<size_t> memdevs_below(const Fabric& f, const Cfmws& w, DeviceKind kind) {
  std::vector<size_t> out;
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    if (f.memdev(m).kind() != kind) continue;
    const std::string hb = f.memdev_path(m).front();
    for (const Port* p : w.targets()) {
      if (p->id() == hb) out.push_back(m);
    }
  }
  return out;
}

RegionMode mode_for(const Fabric& f, const std::vector<size_t>& memdevs) {
  for (size_t m : memdevs) {
    if (f.memdev(m).volatile_size().value() == 0) return RegionMode::kPmem;
  }
  return RegionMode::kRam;
}

}  // namespace

namespace {

// Regions over `devs` (memdevs of one kind below window `w`) in `mode`: one over all of them
// when Linux allows it, else the widest the search finds, repeated over the rest.
void plan_window(const Fabric& f, size_t w, const std::vector<size_t>& devs, RegionMode mode,
                 DeviceKind kind, DefaultRegions& out) {
  const Cfmws& c = f.windows()[w];
  std::vector<size_t> left = devs;
  std::vector<RegionRequest> planned;
  const auto allowed = allowed_region_ways(c.ways());
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    for (auto ways = allowed.rbegin(); ways != allowed.rend(); ++ways) {
      if (*ways > left.size()) continue;
      TargetOrderQuery q;
      q.window = w;
      q.ways = *ways;
      q.granularity = c.granularity();
      q.memdev_ok = [&](size_t m) {
        const Memdev& md = f.memdev(m);
        const Bytes free = mode == RegionMode::kPmem ? md.persistent_size() : md.volatile_size();
        return std::find(left.begin(), left.end(), m) != left.end() && free.value() >= kWindowAlign;
      };
      const auto order = find_target_order(f, q);
      if (!order) continue;
      RegionRequest r;
      r.window = w;
      r.ways = *ways;
      r.mode = mode;
      r.kind = kind;
      for (size_t m : *order) {
        r.targets.push_back(f.memdev(m).id());
        left.erase(std::find(left.begin(), left.end(), m));
      }
      planned.push_back(std::move(r));
      progress = true;
      break;
    }
  }
  if (!(planned.size() == 1 && planned[0].ways == devs.size())) {
    const char* what = kind == DeviceKind::kType2 ? "Type 2 devices" : "memdevs";
    std::string why =
        std::find(allowed.begin(), allowed.end(), devs.size()) == allowed.end()
            ? fmt::format("region ways must be {}", allowed_region_ways_text(c.ways()))
            : "no order of them meets Linux's position rules";
    std::string made;
    for (const RegionRequest& r : planned) {
      made += fmt::format("{}{}-way over {}", made.empty() ? "" : ", ", r.ways,
                          fmt::join(r.targets, ":"));
    }
    std::string note =
        fmt::format("window {}: no {} region over its {} {} ({}); default regions: {}", c.id(),
                    to_string(mode), devs.size(), what, why, made.empty() ? "none" : made);
    if (!left.empty()) {
      std::vector<std::string> ids;
      ids.reserve(left.size());
      for (size_t m : left) ids.push_back(f.memdev(m).id());
      note += fmt::format("; without a region: {}", fmt::join(ids, ", "));
    }
    out.notes.push_back(std::move(note));
  }
  for (auto& r : planned) out.requests.push_back(std::move(r));
}

}  // namespace

DefaultRegions plan_default_regions(const Fabric& fabric) {
  DefaultRegions out;
  for (size_t w = 0; w < fabric.windows().size(); ++w) {
    const Cfmws& c = fabric.windows()[w];
    // Type 3 memdevs below the window, in windows that allow Type 3 memory.
    if (const auto devs = memdevs_below(fabric, c, DeviceKind::kType3);
        c.spec().restrictions.type3 && !devs.empty()) {
      plan_window(fabric, w, devs, mode_for(fabric, devs), DeviceKind::kType3, out);
    }
    // Type 2 device memory only in windows that allow it, never mixed with Type 3.
    if (!c.spec().restrictions.type2) continue;
    if (const auto devs = memdevs_below(fabric, c, DeviceKind::kType2); !devs.empty()) {
      plan_window(fabric, w, devs, RegionMode::kRam, DeviceKind::kType2, out);
    }
  }
  return out;
}

std::vector<RegionRequest> default_regions(const Fabric& fabric) {
  return plan_default_regions(fabric).requests;
}

RegionRequest memdev_region(const Fabric& fabric, const std::string& memdev) {
  const size_t m = resolve_memdev(fabric.topology(), memdev);
  const bool type2 = fabric.memdev(m).is_type2();
  const std::string hb = fabric.memdev_path(m).front();
  for (size_t w = 0; w < fabric.windows().size(); ++w) {
    const Cfmws& c = fabric.windows()[w];
    if (c.targets().size() == 1 && c.targets()[0]->id() == hb &&
        (type2 ? c.spec().restrictions.type2 : c.spec().restrictions.type3)) {
      RegionRequest r;
      r.window = w;
      r.ways = 1;
      r.targets = {fabric.memdev(m).id()};
      r.mode = mode_for(fabric, {m});
      return r;
    }
  }
  throw ValidationError(fmt::format(
      "{} '{}': no window{} targets its host bridge '{}' alone", type2 ? "type2" : "memdev", memdev,
      type2 ? " allowing Type 2 memory (restriction type2)" : "", hb));
}

System::System(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
               const Topology& topo,
               const std::function<DeviceProfile(const std::string&)>& device_for,
               const std::vector<RegionRequest>& regions)
    : host_(host),
      local_size_(local_size.value()),
      fabric_(Fabric::build(place_windows(topo, local_size),
                            FabricOptions{.map_backing_files = false})),
      to_home_(host.core_to_home.picoseconds()),
      from_home_(host.home_to_core.picoseconds()),
      rp_(host.root_port_latency.picoseconds()) {
  if (host.cache.enabled) cache_ = std::make_unique<HostCache>(host.cache);
  targets_.emplace_back();
  targets_[0].name = "local-dram";
  targets_[0].profile = local_dram;
  targets_[0].profile.cxl = false;
  targets_[0].media = std::make_unique<Dram>(local_dram.dram);

  // Target i + 1 is fabric memdev i (Type 3 memdevs, then the memory side of Type 2 devices,
  // modelled by the device profile device_for gives for them). Each link is named by its upstream
  // port (the root port or downstream port in the memdev's path: host bridge, root port, [switch,
  // dport]*, memdev).
  const Fabric& f = *fabric_;
  std::vector<std::vector<std::string>> paths;
  std::map<std::string, int> users;
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    paths.push_back(f.memdev_path(m));
    for (size_t i = 1; i + 1 < paths.back().size(); i += 2) ++users[paths.back()[i]];
  }
  std::map<std::string, FlitLink*> link_of;
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    Target t;
    t.name = f.memdev(m).id();
    t.profile = device_for(t.name);
    if (!t.profile.cxl) {
      throw ValidationError(fmt::format("{} '{}': profile '{}' is not a CXL device profile",
                                        f.memdev(m).is_type2() ? "type2" : "memdev", t.name,
                                        t.profile.name));
    }
    t.media = std::make_unique<Dram>(t.profile.dram);
    if (f.memdev(m).is_type2()) t.read_ndrs = static_cast<uint8_t>(host_read_ndrs_hdm_d());
    const auto& path = paths[m];
    for (size_t i = 1; i + 1 < path.size(); i += 2) {
      auto it = link_of.find(path[i]);
      if (it == link_of.end()) {
        // The device profile's link at the width/speed the topology's link ends trained to.
        const LinkConfig cfg =
            trained_link_config(t.profile.link, f.topology().trained_link_below(path[i]));
        auto link = std::make_unique<FlitLink>(path[i] + "->" + path[i + 1], cfg);
        it = link_of.emplace(path[i], link.get()).first;
        links_.push_back(std::move(link));
      }
      const Duration before = i == 1 ? host.root_port_latency : host.switch_latency;
      t.hops.push_back(Hop{before, it->second, users[path[i]] > 1});
    }
    targets_.push_back(std::move(t));
  }

  for (Target& t : targets_) {
    if (t.profile.throughput > Bandwidth()) {
      t.request_ps = t.profile.throughput.transfer_time(Bytes(64)).picoseconds();
    }
    if (t.profile.write_throughput > Bandwidth()) {
      t.write_request_ps = t.profile.write_throughput.transfer_time(Bytes(64)).picoseconds();
    }
  }

  // The host agent commits the regions; decode follows from the registers alone.
  RegionManager agent(*fabric_);
  for (const RegionRequest& req : regions.empty() ? default_regions(f) : regions) {
    const Region& reg = agent.create(req);
    CommittedRegion win;
    win.id = fmt::format("region{}", reg.id);
    win.cfmws = f.windows().at(reg.window).id();
    win.base = reg.base.value();
    win.size = reg.size.value();
    win.granularity = reg.granularity.value();
    for (const RegionTarget& rt : reg.targets) {
      win.memdevs.push_back(static_cast<uint16_t>(rt.memdev + 1));
    }
    regions_.push_back(std::move(win));
  }
}

uint16_t System::add(Requester* r) {
  r->id_ = static_cast<uint16_t>(requesters_.size());
  requesters_.push_back(r);
  add_wait_slot();
  return static_cast<uint16_t>(requesters_.size() - 1);
}

void System::add_wait_slot() {
  for (auto& t : targets_) {
    t.wait_head.push_back(nullptr);
    t.wait_tail.push_back(nullptr);
    t.ring.push_back(0);
  }
}

const CommittedRegion* System::region_of(uint64_t hpa) const {
  for (const auto& w : regions_) {
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
  const auto d = decode_cxl(r.hpa);
  r.target = static_cast<uint16_t>(d.memdev + 1);
  r.media = d.dpa.value();
}

uint16_t System::target_of(uint64_t hpa) const {
  return hpa < local_size_ ? 0 : static_cast<uint16_t>(decode_cxl(hpa).memdev + 1);
}

DecodeResult System::decode_cxl(uint64_t hpa) const {
  const auto d = fabric_->decode(Hpa(hpa));
  if (!d) {
    throw ValidationError(
        fmt::format("address {:#x} is in no local memory nor committed CXL region", hpa));
  }
  return *d;
}

void System::issue(Request* r) {
  r->issued = now_;
  if (cache_ && look_up(r)) return;
  send(r);
}

bool System::look_up(Request* r) {
  if (cache_->lookup(r->hpa, r->op)) {
    r->route = Route::kHit;
    events_.push(now_ + cache_->config().hit_latency, &completion_, r);
    return true;
  }
  r->route = r->op == Op::kWrite ? Route::kOwnership : Route::kFill;
  r->op = Op::kRead;
  return false;
}

bool System::cache_return(Request* r) {
  switch (r->route) {
    case Route::kWriteback:
      return false;
    case Route::kFill:
    case Route::kOwnership: {
      const bool own = r->route == Route::kOwnership;
      if (own) r->op = Op::kWrite;
      if (auto victim = cache_->fill(r->hpa, own)) write_back(*victim);
      return true;
    }
    case Route::kMemory:
    case Route::kHit:
      break;
  }
  return true;
}

void System::write_back(uint64_t line) {
  Request* w = pool_.get();
  w->requester = writeback_slot_;
  w->hpa = line;
  w->op = Op::kWrite;
  w->route = Route::kWriteback;
  w->tag = 0;
  w->issued = now_;
  send(w);
}

void System::send(Request* r) {
  decode(*r);
  Target& t = targets_[r->target];
  if (!holds_credit(*r, t) || t.outstanding < t.profile.queue_depth) {
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
  if (holds_credit(*r, t)) ++t.outstanding;
  const int64_t now = now_.picoseconds();
  int64_t at = now + to_home_;
  const Msg dm = down_msg(r->op);
  if (out_ != nullptr && r->target != 0) {
    // A host partition: this host's root-port link down, then the shared partition's part.
    const Hop& h = t.hops.front();
    at = h.link->send_ps(Dir::kDown, dm, at + h.before.picoseconds(), now);
    out_->send(Crossing{
        .t = at, .host = host_id_, .req = r, .target = r->target, .op = r->op, .media = r->media});
    return;
  }
  for (const Hop *h = t.hops.data(), *end = h + t.hops.size(); h != end; ++h) {
    at = h->link->send_ps(Dir::kDown, dm, at + h->before.picoseconds(), now);
  }
  int64_t arrived = 0;
  at = serve_at_device(t, r->op, r->media, at, arrived);
  r->arrived = Duration::ps(arrived);
  // The way back. Link calendars take reservations in any order, so the whole way back is
  // computed now and only the arrival at the core is an event.
  at = answer_up(t, t.hops, r->op, at, now);
  events_.push(Duration::ps(at + from_home_), &completion_, r);
}

void System::receive(const Crossing& c) {
  if (c.kind == Crossing::Kind::kSnoopSend) {  // the host's M2S message of a DCOH flow: down
    const Hop& h = targets_[c.target].hops.front();
    Crossing sent = c;
    sent.kind = Crossing::Kind::kSnoopSent;
    sent.t = h.link->send_ps(Dir::kDown, c.op == Op::kWrite ? Msg::kReqWriteData : Msg::kReqRead,
                             c.t + h.before.picoseconds(), now_.picoseconds());
    out_->send(sent);
    return;
  }
  Request* r = c.req;
  r->arrived = Duration::ps(c.arrived);
  const int64_t at = c.t + targets_[c.target].hops.front().before.picoseconds();
  events_.push(Duration::ps(at + from_home_), &completion_, r);
}

void System::complete(Request* r, Duration now) {
  if (!cache_ || r->route != Route::kHit) {
    Target& t = targets_[r->target];
    if (holds_credit(*r, t)) --t.outstanding;
    if (r->op == Op::kRead) {
      ++t.stats.reads;
    } else {
      ++t.stats.writes;
    }
    t.stats.latency_sum += now - r->issued;
    if (t.ring_size > 0) grant(t);  // requests wait only when credits ran out
  }
  ++completed_;
  if (cache_ && !cache_return(r)) {
    pool_.put(r);  // a write-back: no requester waits for it
    return;
  }
  requesters_[r->requester]->complete(*this, *r, now);
  pool_.put(r);
}

void System::run_until(Duration end) {
  if (!started_) {
    started_ = true;
    if (cache_) {
      writeback_slot_ = static_cast<uint16_t>(requesters_.size());
      add_wait_slot();
    }
    for (Requester* q : requesters_) q->start(*this, now_);
  }
  EventQueue::Event e{};
  while (events_.pop_until(end.picoseconds(), e)) {
    now_ = Duration::ps(e.t);
    last_event_ = now_;
    if (e.target == &completion_) {
      complete(e.req, now_);  // most events: skip the virtual hop through Completion
    } else {
      e.target->on_event(e.req, now_);
    }
  }
  if (now_ < end) now_ = end;
}

Duration System::idle_read_latency(size_t ti) const {
  const Target& t = targets_[ti];
  Duration d = host_.core_to_home + host_.home_to_core + t.profile.frontend_latency +
               t.profile.backend_latency;
  for (const Hop& h : t.hops) {
    d += h.before * 2 + h.link->idle_latency(Msg::kReqRead) + h.link->idle_latency(Msg::kRespData);
  }
  const DramConfig& m = t.profile.dram;
  d += m.tRCD + m.tCL + m.burst();
  if (m.powerdown_idle > Duration()) d += m.tXP;  // an idle sub-channel has powered down
  return d;
}

}  // namespace cxlsim::timing
