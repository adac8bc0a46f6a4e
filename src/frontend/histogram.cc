#include "frontend/histogram.h"

#include <algorithm>
#include <cmath>

namespace cxlsim::frontend {

void LatencyHistogram::add(double ns) {
  ++n_;
  sum_ += ns;
  max_ = std::max(max_, ns);
  size_t i = 0;
  if (ns >= 1.0) {
    const double l = std::log2(ns) * kSub;
    i = std::min(b_.size() - 1, static_cast<size_t>(l) + 1);
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
