#include "frontend/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cxlsim::frontend {
namespace {

// The midpoint of the log bucket (16 per octave) holding `ns`, as the header defines it.
double bucket_mid(double ns) {
  const auto i = static_cast<size_t>(std::floor(std::log2(ns) * 16)) + 1;
  return 0.5 *
         (std::exp2(static_cast<double>(i - 1) / 16) + std::exp2(static_cast<double>(i) / 16));
}

TEST(LatencyHistogram, OneSampleLiesInItsLogBucket) {
  for (double ns = 1.0; ns < 1e9; ns *= 1.037) {
    LatencyHistogram h;
    h.add(ns);
    EXPECT_DOUBLE_EQ(h.quantile(0.5), std::min(ns, bucket_mid(ns))) << ns;
  }
}

TEST(LatencyHistogram, EdgesOfAnOctaveOpenTheirBucket) {
  for (int k = 0; k < 16; ++k) {
    const double edge = 256 * std::exp2(k / 16.0);
    LatencyHistogram at, below;
    at.add(edge);
    below.add(std::nextafter(edge, 0.0));
    EXPECT_GE(at.quantile(1.0), below.quantile(1.0)) << k;
  }
}

TEST(LatencyHistogram, QuantilesOfManySamples) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.add(i);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
  EXPECT_NEAR(h.quantile(0.5), 500, 500 * 0.045);
  EXPECT_NEAR(h.quantile(0.99), 990, 990 * 0.045);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), 1000);
  EXPECT_DOUBLE_EQ(LatencyHistogram().quantile(0.5), 0);
}

}  // namespace
}  // namespace cxlsim::frontend
