#include "timing/link_training.h"

#include <gtest/gtest.h>

namespace cxlsim::timing {
namespace {

LinkConfig profile() {
  LinkConfig c;  // a PCIe 5.0 x16 CXL 2.0 link, with distinctive upper-layer settings
  c.lanes = 16;
  c.gt_per_s = 32.0;
  c.encoding = 128.0 / 130.0;
  c.flit.mode = FlitMode::k68B;
  c.slots.drs_header = 0.9;
  c.port_latency = Duration::ns(40);
  c.propagation = Duration::ns(3);
  return c;
}

void expect_upper_layers_kept(const LinkConfig& c) {
  EXPECT_EQ(c.port_latency, Duration::ns(40));
  EXPECT_EQ(c.propagation, Duration::ns(3));
  EXPECT_DOUBLE_EQ(c.slots.drs_header, 0.9);
}

TEST(LinkTraining, NothingTrainedKeepsTheProfile) {
  const LinkConfig c = trained_link_config(profile(), LinkCaps{});
  EXPECT_EQ(c.lanes, 16u);
  EXPECT_DOUBLE_EQ(c.gt_per_s, 32.0);
  EXPECT_DOUBLE_EQ(c.encoding, 128.0 / 130.0);
  EXPECT_EQ(c.flit.mode, FlitMode::k68B);
  expect_upper_layers_kept(c);
}

TEST(LinkTraining, WidthAloneChangesOnlyTheLanes) {
  const LinkConfig c = trained_link_config(profile(), LinkCaps{4, std::nullopt});
  EXPECT_EQ(c.lanes, 4u);
  EXPECT_DOUBLE_EQ(c.gt_per_s, 32.0);
  EXPECT_DOUBLE_EQ(c.raw_rate().bytes_per_second(), profile().raw_rate().bytes_per_second() / 4.0);
  expect_upper_layers_kept(c);
}

TEST(LinkTraining, SpeedSetsTheLineCodeOfItsGeneration) {
  const LinkConfig gen2 = trained_link_config(profile(), LinkCaps{std::nullopt, LinkSpeed::k5GT});
  EXPECT_DOUBLE_EQ(gen2.gt_per_s, 5.0);
  EXPECT_DOUBLE_EQ(gen2.encoding, 0.8);  // 8b/10b
  EXPECT_EQ(gen2.flit.mode, FlitMode::k68B);
  // x16 at 5 GT/s, 8 bits of 10 carry data: 16 * 5e9 * 0.8 / 8 bytes/s.
  EXPECT_DOUBLE_EQ(gen2.raw_rate().bytes_per_second(), 16 * 5e9 * 0.8 / 8);
  const LinkConfig gen4 = trained_link_config(profile(), LinkCaps{8, LinkSpeed::k16GT});
  EXPECT_DOUBLE_EQ(gen4.encoding, 128.0 / 130.0);
  EXPECT_EQ(gen4.lanes, 8u);
  expect_upper_layers_kept(gen4);
}

TEST(LinkTraining, SixtyFourGigatransfersRunsUncoded256BFlits) {
  const LinkConfig c = trained_link_config(profile(), LinkCaps{std::nullopt, LinkSpeed::k64GT});
  EXPECT_DOUBLE_EQ(c.gt_per_s, 64.0);
  EXPECT_DOUBLE_EQ(c.encoding, 1.0);
  EXPECT_EQ(c.flit.mode, FlitMode::k256B);
  expect_upper_layers_kept(c);
  // A 256B-flit profile trained down to 32 GT/s keeps its flits and gets 128b/130b.
  LinkConfig p256 = profile();
  p256.flit.mode = FlitMode::k256B;
  p256.encoding = 1.0;
  const LinkConfig down = trained_link_config(p256, LinkCaps{std::nullopt, LinkSpeed::k32GT});
  EXPECT_EQ(down.flit.mode, FlitMode::k256B);
  EXPECT_DOUBLE_EQ(down.encoding, 128.0 / 130.0);
}

TEST(LinkTraining, DisplayNamesWidthAndSpeed) {
  EXPECT_EQ(link_width_speed(profile()), "x16 32GT/s");
  EXPECT_EQ(link_width_speed(trained_link_config(profile(), LinkCaps{2, LinkSpeed::k2_5GT})),
            "x2 2.5GT/s");
}

}  // namespace
}  // namespace cxlsim::timing
