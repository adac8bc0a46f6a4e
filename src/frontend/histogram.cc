#include "frontend/histogram.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace cxlsim::frontend {

namespace {

// The sub-bucket edges of an octave: 2^(k / kSub) for k in [0, kSub).
template <int kSub>
const std::array<double, kSub>& octave_edges() {
  static const std::array<double, kSub> edges = [] {
    std::array<double, kSub> e{};
    for (int k = 0; k < kSub; ++k) e[k] = std::exp2(static_cast<double>(k) / kSub);
    return e;
  }();
  return edges;
}

}  // namespace

// Bucket 1 + floor(log2(ns) * kSub) for ns >= 1, found from the binary exponent and the
// mantissa's place among the octave's edges (a log2 per sample cost the `run` model 4 % of its
// time).
void LatencyHistogram::add(double ns) {
  ++n_;
  sum_ += ns;
  max_ = std::max(max_, ns);
  size_t i = 0;
  if (ns >= 1.0) {
    int e = 0;
    const double m = 2 * std::frexp(ns, &e);  // ns = m * 2^(e - 1), m in [1, 2)
    const auto& edges = octave_edges<kSub>();
    const auto sub = std::upper_bound(edges.begin() + 1, edges.end(), m) - edges.begin() - 1;
    const auto l = static_cast<size_t>(e - 1) * kSub + static_cast<size_t>(sub);
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
