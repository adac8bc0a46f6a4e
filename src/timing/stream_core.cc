#include "timing/stream_core.h"

#include <algorithm>

#include "timing/system.h"

namespace cxlsim::timing {

StreamCore::StreamCore(const StreamCoreConfig& cfg)
    : cfg_(cfg), ready_(std::max(1u, cfg.random ? cfg.max_outstanding : cfg.prefetch_distance), 0),
      rng_(cfg.seed) {
  if (cfg_.reads + cfg_.writes == 0) cfg_.reads = 1;
}

void StreamCore::start(System& sys, Duration now) {
  sys_ = &sys;
  consume(now);
}

uint64_t StreamCore::next_addr(bool write) {
  const uint64_t base = write ? cfg_.write_base : cfg_.read_base;
  const uint64_t lines = std::max<uint64_t>(1, (write ? cfg_.write_size : cfg_.read_size) / 64);
  uint64_t& pos = write ? write_pos_ : read_pos_;
  uint64_t line = cfg_.random ? splitmix64(rng_) % lines : pos++ % lines;
  return base + line * 64;
}

void StreamCore::fill(Duration) {
  const uint64_t window = ready_.size();
  while (outstanding_ < cfg_.max_outstanding && issued_ < consumed_ + window) {
    const uint64_t k = issued_++;
    const bool write = (k % (cfg_.reads + cfg_.writes)) >= cfg_.reads;
    Request* r = sys_->alloc(id());
    r->op = write ? Op::kWrite : Op::kRead;
    r->hpa = next_addr(write);
    r->tag = k;
    ready_[k % window] = write ? 1 : 0;  // a write never holds up the loop
    ++outstanding_;
    sys_->issue(r);
  }
}

void StreamCore::consume(Duration now) {
  // Consume every line that is ready, one per compute period.
  const uint64_t window = ready_.size();
  if (consumed_ < issued_ && !ready_[consumed_ % window]) {
    stalled_ = true;
    fill(now);
    return;
  }
  if (consumed_ < issued_) ++consumed_;
  stalled_ = false;
  fill(now);
  sys_->schedule(now + cfg_.compute, this, nullptr);
}

void StreamCore::on_event(Request*, Duration now) { consume(now); }

void StreamCore::complete(System&, Request& r, Duration now) {
  --outstanding_;
  if (now >= cfg_.measure_from) {
    bytes_ += 64;
    ++requests_;
  }
  ready_[r.tag % ready_.size()] = 1;
  if (stalled_ && r.tag == consumed_) {
    consume(now);
  } else {
    fill(now);
  }
}

}  // namespace cxlsim::timing
