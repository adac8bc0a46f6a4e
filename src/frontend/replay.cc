#include "frontend/replay.h"

#include <algorithm>
#include <limits>

#include "spec/error.h"
#include "timing/link_training.h"
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

ReplayResult replay(TraceReader& trace, const ReplayConfig& cfg) {
  auto dev_for = cfg.device_for ? cfg.device_for : [](const std::string&) -> DeviceProfile {
    throw ValidationError("topology has memory devices but no device profile");
  };
  System sys(cfg.host, cfg.local_dram, Bytes(kLocalSize), cfg.topology, dev_for, cfg.regions);
  uint64_t cxl_base = 0, cxl_size = 0;
  if (!sys.regions().empty()) {
    cxl_base = sys.regions().front().base;
    cxl_size = sys.regions().front().size;
  }
  Placement place(cfg.placement, 0, kLocalSize, cxl_base, cxl_size);
  ReplayResult out;
  TraceCore core(trace, place, cfg, out);
  sys.add(&core);
  sys.run_until(Duration::ps(std::numeric_limits<int64_t>::max() / 2));
  if (cfg.progress) cfg.progress(trace.position(), trace.total());

  // run_until advanced the clock to its bound; the run really ended at the last event.
  out.elapsed_ns = 0;
  out.bin_ns = core.bandwidth().width();
  out.bandwidth_gbps = core.bandwidth().gbps();
  out.elapsed_ns = out.bin_ns * static_cast<double>(out.bandwidth_gbps.size());
  out.dram_pages = place.dram_pages();
  out.cxl_pages = place.cxl_pages();
  out.spilled_pages = place.spilled_pages();
  if (const HostCache* c = sys.cache()) {
    out.cache = c->config();
    out.cache_stats = c->stats();
  }
  const double el = std::max(1.0, sys.last_event_time().nanoseconds());
  out.elapsed_ns = el;
  for (const Target& t : sys.targets()) {
    const uint64_t n = t.stats.reads + t.stats.writes;
    out.components.push_back({t.name, "target", n, n * 64, 0.0,
                              n ? ratio(t.stats.credit_wait, static_cast<double>(n)) : 0.0});
    const MediaStats& m = t.media->stats();
    const uint64_t mn = m.reads + m.writes;
    out.components.push_back({t.name + " media", "media", mn, mn * 64,
                              ratio(m.busy, el * t.media->channels()),
                              mn ? ratio(m.queueing, static_cast<double>(mn)) : 0.0});
  }
  for (const auto& l : sys.links()) {
    const auto* flit = dynamic_cast<const FlitLink*>(l.get());
    const std::string width_speed = flit ? link_width_speed(flit->config()) : "";
    for (Dir d : {Dir::kDown, Dir::kUp}) {
      const LinkStats& s = l->stats(d);
      out.components.push_back(
          {l->name() + (d == Dir::kDown ? " down" : " up"),
           d == Dir::kDown ? "link-down" : "link-up", s.messages, s.payload_bytes,
           ratio(s.busy, el), s.messages ? ratio(s.queueing, static_cast<double>(s.messages)) : 0.0,
           width_speed});
    }
  }
  return out;
}

}  // namespace cxlsim::frontend
