#include "timing/stream_core.h"

#include <algorithm>
#include <bit>

#include "timing/system.h"

namespace cxlsim::timing {

namespace {
// Lines the core may have issued beyond the one it consumes next.
size_t window_of(const StreamCoreConfig& c) {
  uint64_t demand = c.lfb;
  if (c.compute > Duration()) {
    demand = std::min<uint64_t>(
        c.lfb, 1 + static_cast<uint64_t>(c.ooo_window.picoseconds() / c.compute.picoseconds()));
  }
  const uint64_t prefetch = c.random ? 0 : c.prefetch_distance;
  return std::max<size_t>(1, std::min<uint64_t>(c.max_outstanding, demand + prefetch));
}
}  // namespace

StreamCore::StreamCore(const StreamCoreConfig& cfg)
    : cfg_(cfg),
      window_(window_of(cfg)),
      ready_(std::bit_ceil(window_), 0),
      ready_mask_(ready_.size() - 1),
      read_lines_(std::max<uint64_t>(1, cfg.read_size / 64)),
      write_lines_(std::max<uint64_t>(1, cfg.write_size / 64)),
      rng_(cfg.seed) {
  if (cfg_.reads + cfg_.writes == 0) cfg_.reads = 1;
  const bool prefetched = !cfg_.random && cfg_.prefetch_distance > 0;
  if (!prefetched && cfg_.compute > Duration() && window_ < cfg_.lfb &&
      window_ < cfg_.max_outstanding) {
    late_ = cfg_.compute * static_cast<int64_t>(window_) - cfg_.ooo_window;
  }
}

// Defined before its callers so that they can inline it.
inline void StreamCore::consume(Duration now) {
  // Consume the next line once it is ready, then compute; with no compute time, consume every
  // ready line at once. Stalled cores resume from complete().
  for (;;) {
    fill();
    if (consumed_ == issued_ || !ready_[consumed_ & ready_mask_]) {
      stalled_ = true;
      return;
    }
    ++consumed_;
    stalled_ = false;
    if (cfg_.compute != Duration()) {
      if (late_ > Duration()) {
        held_ = 1;
        held_for_ = consumed_;
        sys_->schedule(now + late_, this, &token_);
      }
      fill();
      sys_->schedule(now + jittered_compute(), this, nullptr);
      return;
    }
  }
}

void StreamCore::start(System& sys, Duration now) {
  sys_ = &sys;
  // Threads start at independent phases of their loop (real threads are never in lockstep).
  if (cfg_.compute > Duration()) {
    const auto phase =
        static_cast<int64_t>(splitmix64(rng_) % static_cast<uint64_t>(cfg_.compute.picoseconds()));
    sys.schedule(now + Duration::ps(phase), this, nullptr);
  } else {
    consume(now);
  }
}

void StreamCore::issue_next() {
  const uint64_t k = issued_++;
  const bool write = mix_ >= cfg_.reads;
  if (++mix_ == cfg_.reads + cfg_.writes) mix_ = 0;
  Request* r = sys_->alloc(id());
  r->op = write ? Op::kWrite : Op::kRead;
  r->hpa = next_addr(write);
  r->tag = k;
  ready_[k & ready_mask_] = write ? 1 : 0;  // a write never holds up the loop
  ++outstanding_;
  sys_->issue(r);
}

Duration StreamCore::jittered_compute() {
  const int64_t c = cfg_.compute.picoseconds();
  const auto span = static_cast<int64_t>(static_cast<double>(c) * cfg_.jitter);
  if (span <= 0) return cfg_.compute;
  const int64_t j =
      static_cast<int64_t>(splitmix64(rng_) % static_cast<uint64_t>(2 * span + 1)) - span;
  return Duration::ps(c + j);
}

void StreamCore::on_event(Request* req, Duration now) {
  if (req != &token_) {
    consume(now);
  } else if (held_for_ == consumed_) {
    held_ = 0;
    fill();
  }
}

void StreamCore::complete(System&, Request& r, Duration now) {
  --outstanding_;
  if (now >= cfg_.measure_from) {
    bytes_ += 64;
    ++requests_;
  }
  ready_[r.tag & ready_mask_] = 1;
  if (stalled_) {
    consume(now);
  } else {
    fill();
  }
}

}  // namespace cxlsim::timing
