#include "timing/chase_core.h"

#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::timing {

void ChaseCore::start(System& sys, Duration now) {
  sys_ = &sys;
  load(now);
}

void ChaseCore::load(Duration) {
  Request* r = sys_->alloc(id());
  r->op = Op::kRead;
  const uint64_t lines = cfg_.size / 64 ? cfg_.size / 64 : 1;
  r->hpa = cfg_.base + (splitmix64(rng_) % lines) * 64;
  sys_->issue(r);
}

void ChaseCore::complete(System& sys, Request& r, Duration now) {
  if (r.issued >= cfg_.measure_from) {
    ++loads_;
    latency_sum_ += now - r.issued;
  }
  Duration think = cfg_.think;
  const auto span = static_cast<int64_t>(static_cast<double>(think.picoseconds()) * cfg_.jitter);
  if (span > 0) {
    think += Duration::ps(
        static_cast<int64_t>(splitmix64(rng_) % static_cast<uint64_t>(2 * span + 1)) - span);
  }
  if (think == Duration()) {
    load(now);
  } else {
    sys.schedule(now + think, this, nullptr);
  }
}

void ChaseCore::on_event(Request*, Duration now) { load(now); }

}  // namespace cxlsim::timing
