// Latency histogram with bounded memory: log-linear buckets (16 per power of two) from 1 ns,
// relative error under 4.5 %, any number of samples.
#pragma once

#include <array>
#include <cstdint>

namespace cxlsim::frontend {

class LatencyHistogram {
 public:
  void add(double ns);
  [[nodiscard]] uint64_t count() const { return n_; }
  [[nodiscard]] double mean() const { return n_ ? sum_ / static_cast<double>(n_) : 0.0; }
  [[nodiscard]] double max() const { return max_; }
  // Value at quantile q in [0, 1] (the bucket's midpoint).
  [[nodiscard]] double quantile(double q) const;

 private:
  static constexpr int kSub = 16;
  static constexpr int kOctaves = 40;
  std::array<uint64_t, kSub * kOctaves + 1> b_{};
  uint64_t n_ = 0;
  double sum_ = 0, max_ = 0;
};

}  // namespace cxlsim::frontend
