// A core chasing pointers through a buffer: one dependent load at a time to a random line,
// as MLC's latency thread does. Records the latency of each load completed from
// `measure_from` on.
#pragma once

#include <cstdint>

#include "timing/requester.h"

namespace cxlsim::timing {

struct ChaseCoreConfig {
  uint64_t base = 0, size = 0;
  Duration think;  // core time between a load's data and the next load's issue
  // The think time varies uniformly by +-jitter (a fraction): the core, mesh and DRAM clocks are
  // not in phase, so the chaser must not lock onto one phase of the DRAM's burst slots.
  double jitter = 0.0;
  uint64_t seed = 7;
  Duration measure_from;
};

class ChaseCore final : public Requester {
 public:
  explicit ChaseCore(const ChaseCoreConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {}
  void start(System& sys, Duration now) override;
  void complete(System& sys, Request& r, Duration now) override;
  void on_event(Request* req, Duration now) override;

  [[nodiscard]] uint64_t loads() const { return loads_; }
  [[nodiscard]] Duration latency_sum() const { return latency_sum_; }
  [[nodiscard]] double mean_latency_ns() const {
    return loads_ ? latency_sum_.nanoseconds() / static_cast<double>(loads_) : 0.0;
  }
  [[nodiscard]] uint64_t bytes() const { return loads_ * 64; }

 private:
  void load(Duration now);
  ChaseCoreConfig cfg_;
  System* sys_ = nullptr;
  uint64_t rng_;
  uint64_t loads_ = 0;
  Duration latency_sum_;
};

}  // namespace cxlsim::timing
