#include "spec/pcie_link.h"

#include <gtest/gtest.h>

namespace cxlsim {
namespace {

TEST(PcieLink, SpeedsRoundTripThroughText) {
  for (uint8_t c = 1; c <= kMaxLinkSpeedCode; ++c) {
    const auto s = static_cast<LinkSpeed>(c);
    EXPECT_EQ(parse_link_speed(format_link_speed(s)), s) << format_link_speed(s);
  }
  EXPECT_EQ(format_link_speed(LinkSpeed::k2_5GT), "2.5GT/s");
  EXPECT_EQ(parse_link_speed("16 gt/s"), LinkSpeed::k16GT);
  EXPECT_EQ(parse_link_speed("64"), LinkSpeed::k64GT);
  EXPECT_EQ(link_speed_of(8.0), LinkSpeed::k8GT);
}

TEST(PcieLink, RejectsNonPcieSpeeds) {
  EXPECT_FALSE(parse_link_speed("20GT/s"));
  EXPECT_FALSE(parse_link_speed("GT/s"));
  EXPECT_FALSE(parse_link_speed(""));
  EXPECT_FALSE(link_speed_of(12.0));
  EXPECT_FALSE(is_link_speed(static_cast<LinkSpeed>(0)));
  EXPECT_FALSE(is_link_speed(static_cast<LinkSpeed>(7)));
}

TEST(PcieLink, EncodingFollowsTheGeneration) {
  EXPECT_DOUBLE_EQ(encoding_efficiency(LinkSpeed::k2_5GT), 0.8);
  EXPECT_DOUBLE_EQ(encoding_efficiency(LinkSpeed::k5GT), 0.8);
  EXPECT_DOUBLE_EQ(encoding_efficiency(LinkSpeed::k8GT), 128.0 / 130.0);
  EXPECT_DOUBLE_EQ(encoding_efficiency(LinkSpeed::k32GT), 128.0 / 130.0);
  EXPECT_DOUBLE_EQ(encoding_efficiency(LinkSpeed::k64GT), 1.0);
}

TEST(PcieLink, WidthsArePowersOfTwoUpTo16) {
  for (unsigned w : {1u, 2u, 4u, 8u, 16u}) EXPECT_TRUE(is_link_width(w)) << w;
  for (unsigned w : {0u, 3u, 12u, 32u}) EXPECT_FALSE(is_link_width(w)) << w;
}

TEST(PcieLink, TrainingTakesTheSmallerOfEachField) {
  const LinkCaps x16_gen4{16, LinkSpeed::k16GT};
  const LinkCaps x8_gen5{8, LinkSpeed::k32GT};
  EXPECT_EQ(negotiate(x16_gen4, x8_gen5), (LinkCaps{8, LinkSpeed::k16GT}));
  EXPECT_EQ(negotiate(LinkCaps{4, std::nullopt}, LinkCaps{}), (LinkCaps{4, std::nullopt}));
  EXPECT_EQ(negotiate(LinkCaps{}, LinkCaps{std::nullopt, LinkSpeed::k8GT}),
            (LinkCaps{std::nullopt, LinkSpeed::k8GT}));
  EXPECT_TRUE(negotiate(LinkCaps{}, LinkCaps{}).empty());
  EXPECT_EQ(to_string(LinkCaps{8, LinkSpeed::k16GT}), "x8 16GT/s");
  EXPECT_EQ(to_string(LinkCaps{}), "");
}

}  // namespace
}  // namespace cxlsim
