#include "spec/interleave.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cxlsim {
namespace {

TEST(Interleave, EncodingsRoundTripForEveryValidWays) {
  for (unsigned w : all_ways()) {
    auto e = ways_to_eiw(w);
    ASSERT_TRUE(e.has_value()) << w;
    EXPECT_EQ(eiw_to_ways(*e), w);
  }
  EXPECT_FALSE(ways_to_eiw(5).has_value());
  EXPECT_FALSE(eiw_to_ways(5).has_value());
  EXPECT_EQ(*ways_to_eiw(3), 8);
  EXPECT_EQ(*ways_to_eiw(12), 10);
}

TEST(Interleave, GranularityEncodingsCover256BTo16KiB) {
  EXPECT_EQ(*granularity_to_eig(Bytes(256)), 0);
  EXPECT_EQ(*granularity_to_eig(Bytes(16384)), 6);
  EXPECT_FALSE(granularity_to_eig(Bytes(128)).has_value());
  EXPECT_FALSE(granularity_to_eig(Bytes(32768)).has_value());
  EXPECT_FALSE(granularity_to_eig(Bytes(768)).has_value());
  EXPECT_EQ(*eig_to_granularity(3), Bytes(2048));
}

TEST(Interleave, TwoWaySelectsBitAboveGranularity) {
  EXPECT_EQ(interleave_target(0x000, 2, Bytes(256)), 0u);
  EXPECT_EQ(interleave_target(0x100, 2, Bytes(256)), 1u);
  EXPECT_EQ(interleave_target(0x200, 2, Bytes(256)), 0u);
  EXPECT_EQ(interleave_target(0x1000, 2, Bytes(4096)), 1u);
}

TEST(Interleave, ThreeWayUsesModuloThreeOfGranuleIndex) {
  for (uint64_t g = 0; g < 12; ++g) EXPECT_EQ(interleave_target(g * 1024, 3, Bytes(1024)), g % 3);
}

RC_GTEST_PROP(Interleave, EachDeviceGetsConsecutiveDpaGranules, ()) {
  const auto ways = *rc::gen::elementOf(std::vector<unsigned>{1, 2, 3, 4, 6, 8, 12, 16});
  const auto eig = *rc::gen::inRange<uint8_t>(0, 7);
  const Bytes gran = *eig_to_granularity(eig);
  const uint64_t granule = *rc::gen::inRange<uint64_t>(0, 1u << 20);
  // Granule `granule` of the HPA space lands on target t at DPA granule granule / ways.
  const uint64_t off = granule * gran.value() + *rc::gen::inRange<uint64_t>(0, gran.value());
  const uint64_t dpa = hpa_offset_to_dpa_offset(off, ways, gran);
  RC_ASSERT(dpa / gran.value() == granule / ways);
  RC_ASSERT(dpa % gran.value() == off % gran.value());
  RC_ASSERT(interleave_target(off, ways, gran) < ways);
}

}  // namespace
}  // namespace cxlsim
