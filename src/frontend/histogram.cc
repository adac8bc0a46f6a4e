#include "frontend/histogram.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace cxlsim::frontend {

namespace {

// Where a mantissa m in [1, 2) falls among the octave's kSub edges 2^(k / kSub): the edges, and
// per 256th of the octave the last edge at or below its start (the edges are further apart
// than a 256th, so at most the next one lies inside it).
template <int kSub>
struct OctaveEdges {
  std::array<double, kSub + 1> edge{};
  std::array<uint8_t, 256> below{};
  OctaveEdges() {
    for (int k = 0; k <= kSub; ++k) edge[k] = std::exp2(static_cast<double>(k) / kSub);
    for (int p = 0, k = 0; p < 256; ++p) {
      while (k + 1 < kSub && edge[k + 1] <= 1.0 + p / 256.0) ++k;
      below[p] = static_cast<uint8_t>(k);
    }
  }
  [[nodiscard]] int sub(double m) const {
    const auto p = static_cast<size_t>((std::bit_cast<uint64_t>(m) >> 44) & 0xff);
    const int k = below[p];
    return m >= edge[k + 1] ? k + 1 : k;
  }
};

}  // namespace

// Bucket 1 + floor(log2(ns) * kSub) for ns >= 1, from the binary exponent and the mantissa's
// place among the octave's edges (a log2 per sample cost the `run` model 4 % of its time).
void LatencyHistogram::add(double ns) {
  ++n_;
  sum_ += ns;
  max_ = std::max(max_, ns);
  size_t i = 0;
  if (ns >= 1.0) {
    static const OctaveEdges<kSub> kEdges;
    const auto bits = std::bit_cast<uint64_t>(ns);
    const auto octave = static_cast<size_t>((bits >> 52) & 0x7ff) - 1023;  // ns >= 1: normal
    const auto m = std::bit_cast<double>((bits & ((uint64_t{1} << 52) - 1)) |
                                         (uint64_t{1023} << 52));  // in [1, 2)
    const size_t l = octave * kSub + static_cast<size_t>(kEdges.sub(m));
    i = std::min(b_.size() - 1, l + 1);
  }
  ++b_[i];
}

double LatencyHistogram::quantile(double q) const {
  if (n_ == 0) return 0.0;
  const auto want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < b_.size(); ++i) {
    seen += b_[i];
    if (seen >= std::max<uint64_t>(want, 1)) {
      if (i == 0) return 0.5;
      const double lo = std::exp2(static_cast<double>(i - 1) / kSub);
      const double hi = std::exp2(static_cast<double>(i) / kSub);
      return std::min(max_, 0.5 * (lo + hi));
    }
  }
  return max_;
}

}  // namespace cxlsim::frontend
