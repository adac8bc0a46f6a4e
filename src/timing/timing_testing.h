// Helpers shared by the timing tests (not part of the library).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::timing {

// `p` without refresh: idle paths are then exactly the sum of their parts.
inline DeviceProfile quiet(DeviceProfile p) {
  p.dram.tREFI = Duration();
  return p;
}

// Issues one read at `at` (to `hpa`, or the first region's base) and records its latency.
class OneRead final : public Requester {
 public:
  explicit OneRead(Duration at, std::optional<uint64_t> hpa = {}) : at_(at), hpa_(hpa) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    sys.schedule(at_, this, nullptr);
  }
  void on_event(Request*, Duration) override {
    Request* r = sys_->alloc(id());
    r->op = Op::kRead;
    r->hpa = hpa_.value_or(sys_->regions().front().base);
    sys_->issue(r);
  }
  void complete(System&, Request& r, Duration now) override { latency = now - r.issued; }
  std::optional<Duration> latency;

 private:
  System* sys_ = nullptr;
  Duration at_;
  std::optional<uint64_t> hpa_;
};

// Read bandwidth (GB/s) of `streams` saturating sequential streams, each over its share of the
// first region of `sys`, measured from 20 us to 120 us of simulated time.
inline double saturated_read_gbps(System& sys, unsigned streams = 32) {
  const CommittedRegion& reg = sys.regions().front();
  std::vector<std::unique_ptr<StreamCore>> cores;
  const Duration warm = Duration::ns(20'000), end = Duration::ns(120'000);
  for (unsigned i = 0; i < streams; ++i) {
    StreamCoreConfig c;
    c.read_size = reg.size / streams;
    c.read_base = reg.base + i * c.read_size;
    c.measure_from = warm;
    c.seed = i + 1;
    cores.push_back(std::make_unique<StreamCore>(c));
    sys.add(cores.back().get());
  }
  sys.run_until(end);
  uint64_t bytes = 0;
  for (const auto& c : cores) bytes += c->bytes();
  return static_cast<double>(bytes) / (end - warm).nanoseconds();
}

}  // namespace cxlsim::timing
