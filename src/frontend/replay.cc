#include "frontend/replay.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <tuple>

#include "spec/error.h"
#include "timing/link_training.h"
#include "timing/multi_host.h"
#include "timing/requester.h"
#include "timing/system.h"

namespace cxlsim::frontend {
using namespace cxlsim::timing;

namespace {

constexpr uint64_t kLocalSize = uint64_t{64} << 30;
constexpr size_t kMaxBins = 512;

// Bytes completed over time in at most kMaxBins bins; bins double in width when full.
class BandwidthSeries {
 public:
  void add(double t_ns, uint64_t bytes) {
    while (t_ns >= width_ * kMaxBins) {
      for (size_t i = 0; i < kMaxBins / 2; ++i) bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
      std::fill(bins_.begin() + kMaxBins / 2, bins_.end(), 0);
      width_ *= 2;
    }
    const auto i = static_cast<size_t>(t_ns / width_);
    bins_[i] += bytes;
    last_ = std::max(last_, i);
  }
  [[nodiscard]] double width() const { return width_; }
  [[nodiscard]] std::vector<double> gbps() const {
    std::vector<double> out;
    for (size_t i = 0; i <= last_; ++i) out.push_back(static_cast<double>(bins_[i]) / width_);
    return out;
  }

 private:
  std::vector<uint64_t> bins_ = std::vector<uint64_t>(kMaxBins, 0);
  double width_ = 1000.0;  // ns
  size_t last_ = 0;
};

class TraceCore final : public Requester {
 public:
  TraceCore(TraceReader& r, Placement& p, const ReplayConfig& cfg, ReplayResult& out)
      : reader_(r),
        place_(p),
        cfg_(cfg),
        out_(out),
        caches_(cfg.host.app.l1d_size.value(), cfg.host.app.l1d_ways, cfg.host.app.l2_size.value(),
                cfg.host.app.l2_ways) {}

  void start(System& sys, Duration now) override {
    sys_ = &sys;
    pump(now);
  }
  void complete(System&, Request& r, Duration now) override {
    --outstanding_;
    out_.latency.add((now - r.issued).nanoseconds());
    bw_.add(now.nanoseconds(), 64);
    pump(now);
  }
  void on_event(Request*, Duration now) override {
    waiting_ = false;
    pump(now);
  }
  [[nodiscard]] const BandwidthSeries& bandwidth() const { return bw_; }

 private:
  // Issues lines while slots are free and the next record's time has come.
  void pump(Duration now) {
    while (outstanding_ < cfg_.max_outstanding) {
      if (lines_left_ == 0 && !load_record()) return;
      if (rec_.timestamp_ps != kNoTimestamp &&
          static_cast<int64_t>(rec_.timestamp_ps) > now.picoseconds()) {
        if (!waiting_) {
          waiting_ = true;
          sys_->schedule(Duration::ps(static_cast<int64_t>(rec_.timestamp_ps)), this, nullptr);
        }
        return;
      }
      const uint64_t addr = line_addr_;
      line_addr_ += 64;
      --lines_left_;
      if (!cfg_.private_caches) {
        send(addr, rec_.write ? Op::kWrite : Op::kRead);
        continue;
      }
      const CoreCacheOutcome o = caches_.access(addr >> 6, rec_.write);
      for (unsigned i = 0; i < o.writebacks; ++i) send(o.writeback[i] << 6, Op::kWrite);
      if (o.miss) {
        send(addr, Op::kRead);  // a store's miss reads the line for ownership
      } else {
        ++out_.l2_hits;
      }
    }
  }
  void send(uint64_t addr, Op op) {
    Request* r = sys_->alloc(id());
    r->op = op;
    r->hpa = place_.map(addr) & ~uint64_t{63};
    ++outstanding_;
    ++out_.requests;
    if (op == Op::kWrite) {
      ++out_.writes;
    } else {
      ++out_.reads;
    }
    sys_->issue(r);
  }
  bool load_record() {
    if (!reader_.next(rec_)) return false;
    ++out_.records;
    const uint64_t first = rec_.address & ~uint64_t{63};
    const uint64_t last = (rec_.address + rec_.size - 1) & ~uint64_t{63};
    line_addr_ = first;
    lines_left_ = (last - first) / 64 + 1;
    if (cfg_.progress && (out_.records & 0xFFFF) == 0) {
      cfg_.progress(reader_.position(), reader_.total());
    }
    return true;
  }

  TraceReader& reader_;
  Placement& place_;
  const ReplayConfig& cfg_;
  ReplayResult& out_;
  System* sys_ = nullptr;
  TraceRecord rec_;
  uint64_t line_addr_ = 0, lines_left_ = 0;
  unsigned outstanding_ = 0;
  bool waiting_ = false;
  BandwidthSeries bw_;
  CoreCaches caches_;
};

double ratio(Duration a, double b) { return b > 0 ? a.nanoseconds() / b : 0.0; }

}  // namespace

namespace {

std::function<DeviceProfile(const std::string&)> device_for_of(const ReplayConfig& cfg) {
  if (cfg.device_for) return cfg.device_for;
  return [](const std::string&) -> DeviceProfile {
    throw ValidationError("topology has memory devices but no device profile");
  };
}

// Both directions of `l` as components, over `elapsed` ns.
void add_link(const LinkModel& l, double el, std::vector<ComponentStat>& out,
              std::initializer_list<Dir> dirs = {Dir::kDown, Dir::kUp}) {
  const auto* flit = dynamic_cast<const FlitLink*>(&l);
  const std::string width_speed = flit ? link_width_speed(flit->config()) : "";
  for (Dir d : dirs) {
    const LinkStats& s = l.stats(d);
    out.push_back(
        {l.name() + (d == Dir::kDown ? " down" : " up"), d == Dir::kDown ? "link-down" : "link-up",
         s.messages, s.payload_bytes, ratio(s.busy, el),
         s.messages ? ratio(s.queueing, static_cast<double>(s.messages)) : 0.0, width_speed});
  }
}

// A target's media as a component over `el` ns.
void add_media(const Target& t, double el, std::vector<ComponentStat>& out) {
  const MediaStats& m = t.media->stats();
  const uint64_t mn = m.reads + m.writes;
  out.push_back({t.name + " media", "media", mn, mn * 64, ratio(m.busy, el * t.media->channels()),
                 mn ? ratio(m.queueing, static_cast<double>(mn)) : 0.0});
}

// What one host's run gives: time, bandwidth series, pages, its cache and its targets (with
// their media when `media`, that is when the host's system holds them).
void host_result(const System& sys, const TraceCore& core, const Placement& place, bool media,
                 ReplayResult& out) {
  out.bin_ns = core.bandwidth().width();
  out.bandwidth_gbps = core.bandwidth().gbps();
  out.dram_pages = place.dram_pages();
  out.cxl_pages = place.cxl_pages();
  out.spilled_pages = place.spilled_pages();
  if (const HostCache* c = sys.cache()) {
    out.cache = c->config();
    out.cache_stats = c->stats();
  }
  // run_until advanced the clock to its bound; the run really ended at the last event.
  const double el = std::max(1.0, sys.last_event_time().nanoseconds());
  out.elapsed_ns = el;
  for (size_t i = 0; i < sys.targets().size(); ++i) {
    const Target& t = sys.targets()[i];
    const uint64_t n = t.stats.reads + t.stats.writes;
    out.components.push_back({t.name, "target", n, n * 64, 0.0,
                              n ? ratio(t.stats.credit_wait, static_cast<double>(n)) : 0.0});
    if (media || i == 0) add_media(t, el, out.components);
  }
}

constexpr Duration kForever = Duration::ps(std::numeric_limits<int64_t>::max() / 2);

}  // namespace

ReplayResult replay(TraceReader& trace, const ReplayConfig& cfg) {
  if (has_shared_hdm_db(cfg.topology)) {
    // One host alone in a multi-host model: the plain System's numbers wherever nothing is
    // snooped, and its snoop filter's back-invalidations of its own lines where it is.
    HostsReplayResult one = replay_hosts({HostTrace{"h0", &trace, {}}}, cfg);
    ReplayResult out = std::move(one.hosts.front());
    out.components.insert(out.components.end(), one.shared.begin(), one.shared.end());
    if (cfg.progress) cfg.progress(trace.position(), trace.total());
    return out;
  }
  System sys(cfg.host, cfg.local_dram, Bytes(kLocalSize), cfg.topology, device_for_of(cfg),
             cfg.regions);
  uint64_t cxl_base = 0, cxl_size = 0;
  if (!sys.regions().empty()) {
    cxl_base = sys.regions().front().base;
    cxl_size = sys.regions().front().size;
  }
  Placement place(cfg.placement, 0, kLocalSize, cxl_base, cxl_size);
  ReplayResult out;
  TraceCore core(trace, place, cfg, out);
  sys.add(&core);
  sys.run_until(kForever);
  if (cfg.progress) cfg.progress(trace.position(), trace.total());
  host_result(sys, core, place, true, out);
  for (const auto& l : sys.links()) add_link(*l, out.elapsed_ns, out.components);
  return out;
}

HostsReplayResult replay_hosts(const std::vector<HostTrace>& traces, const ReplayConfig& cfg) {
  if (traces.empty()) throw ValidationError("no trace to replay");
  std::vector<HostSpec> specs;
  specs.reserve(traces.size());
  for (const HostTrace& t : traces) {
    specs.push_back(HostSpec{t.name, t.regions.empty() ? cfg.regions : t.regions});
  }
  MultiHost mh(cfg.host, cfg.local_dram, Bytes(kLocalSize), cfg.topology, device_for_of(cfg),
               specs);
  ReplayConfig host_cfg = cfg;
  host_cfg.progress = {};
  HostsReplayResult out;
  out.hosts.resize(traces.size());
  std::vector<std::unique_ptr<Placement>> places;
  std::vector<std::unique_ptr<TraceCore>> cores;
  // Hosts by their first region (its HPA range and memdevs): each gets its part of it.
  using Key = std::tuple<uint64_t, uint64_t, std::vector<uint16_t>>;
  auto key = [](const CommittedRegion& r) { return Key{r.base, r.size, r.memdevs}; };
  std::map<Key, std::vector<size_t>> by_region;
  for (size_t i = 0; i < traces.size(); ++i) {
    const System& sys = mh.host(i);
    if (!sys.regions().empty()) {
      by_region[cfg.same_lines ? Key{i, 0, {}} : key(sys.regions().front())].push_back(i);
    }
  }
  for (size_t i = 0; i < traces.size(); ++i) {
    const System& sys = mh.host(i);
    uint64_t base = 0, part = 0;
    if (!sys.regions().empty()) {
      const auto& sharing =
          by_region.at(cfg.same_lines ? Key{i, 0, {}} : key(sys.regions().front()));
      const auto k =
          static_cast<uint64_t>(std::find(sharing.begin(), sharing.end(), i) - sharing.begin());
      part = sys.regions().front().size / sharing.size() / 4096 * 4096;
      base = sys.regions().front().base + k * part;
    }
    places.push_back(std::make_unique<Placement>(cfg.placement, 0, kLocalSize, base, part));
    cores.push_back(
        std::make_unique<TraceCore>(*traces[i].trace, *places.back(), host_cfg, out.hosts[i]));
    mh.host(i).add(cores.back().get());
  }
  mh.run_until(kForever);
  for (size_t i = 0; i < traces.size(); ++i) {
    const System& sys = mh.host(i);
    ReplayResult& r = out.hosts[i];
    host_result(sys, *cores[i], *places[i], false, r);
    // The host's root-port links carry only their down direction in its partition.
    std::vector<const FlitLink*> root;
    for (size_t t = 1; t < sys.targets().size(); ++t) {
      const FlitLink* l = sys.targets()[t].hops.front().link;
      if (std::find(root.begin(), root.end(), l) == root.end()) root.push_back(l);
    }
    for (const FlitLink* l : root) add_link(*l, r.elapsed_ns, r.components, {Dir::kDown});
    out.elapsed_ns = std::max(out.elapsed_ns, r.elapsed_ns);
  }
  const auto& pool = mh.pool().targets();
  for (size_t t = 1; t < pool.size(); ++t) add_media(pool[t], out.elapsed_ns, out.shared);
  for (const FlitLink* l : mh.pool().shared_links()) add_link(*l, out.elapsed_ns, out.shared);
  for (const FlitLink* l : mh.pool().root_port_links()) {
    add_link(*l, out.elapsed_ns, out.shared, {Dir::kUp});
  }
  for (size_t i = 0; mh.pool().has_shared() && i < traces.size(); ++i) {
    out.back_invalidation.push_back(mh.pool().back_invalidation(i));
  }
  return out;
}

}  // namespace cxlsim::frontend
