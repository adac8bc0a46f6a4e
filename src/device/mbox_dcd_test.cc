#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

const uint64_t kBase = GiB(1).value();
const uint64_t kBlock = MiB(2).value();

DcExtent extent(uint64_t off, uint64_t len) { return DcExtent{kBase + off, len, {}, 0}; }

std::vector<uint8_t> extent_list(const std::vector<std::pair<uint64_t, uint64_t>>& v) {
  In in;
  in.u32(v.size()).u8(0).fill(3);
  for (const auto& [dpa, len] : v) in.u64(dpa).u64(len).u64(0);
  return in;
}

TEST(GetDcConfig, DescribesRegionsAndExtentLimits) {
  TestDevice t;
  const auto r = t.run(opcode::kGetDcConfig, In().u8(8).u8(0));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 8u + 0x28 + 16);
  EXPECT_EQ(r.out[0], 1);
  EXPECT_EQ(r.out[1], 1);
  EXPECT_EQ(get_u64(r.out, 8), kBase);
  EXPECT_EQ(get_u64(r.out, 8 + 0x10), MiB(256).value());
  EXPECT_EQ(get_u64(r.out, 8 + 0x18), kBlock);
  EXPECT_EQ(get_u32(r.out, 8 + 0x28), 4u);      // extents supported
  EXPECT_EQ(get_u32(r.out, 8 + 0x28 + 4), 4u);  // available
  EXPECT_EQ(t.rc(opcode::kGetDcConfig, In().u8(1).u8(1)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetDcConfig, In().u8(1)), MboxReturn::kInvalidPayloadLength);
  auto c = testing::test_config();
  c.dc_regions.clear();
  TestDevice none(c);
  EXPECT_EQ(none.rc(opcode::kGetDcConfig, In().u8(1).u8(0)), MboxReturn::kUnsupported);
}

TEST(DynamicCapacity, OfferAcceptReadRelease) {
  TestDevice t;
  std::vector<uint8_t> buf(64);
  EXPECT_EQ(t.dev.read(Dpa(kBase), buf), MediaAccess::kNoCapacity);
  ASSERT_EQ(t.dev.offer_dc_extents({extent(0, 4 * kBlock), extent(8 * kBlock, kBlock)}),
            MboxReturn::kSuccess);
  // Two Add Capacity events in the DC log, the first flagged "more".
  auto ev = t.run(opcode::kGetEventRecords, In().u8(4));
  ASSERT_EQ(get_u16(ev.out, 0x14), 2);
  EXPECT_TRUE(std::equal(kDynamicCapacityEventUuid.begin(), kDynamicCapacityEventUuid.end(),
                         ev.out.begin() + 0x20));
  EXPECT_EQ(ev.out[0x20 + 0x30], 0);  // Add Capacity
  EXPECT_EQ(ev.out[0x20 + 0x35] & 1, 1);
  EXPECT_EQ(get_u64(ev.out, 0x20 + 0x38), kBase);
  EXPECT_EQ(get_u64(ev.out, 0x20 + 0x40), 4 * kBlock);
  // Accept the first extent only.
  ASSERT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase, 4 * kBlock}})), MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.read(Dpa(kBase + kBlock), buf), MediaAccess::kOk);
  EXPECT_EQ(t.dev.read(Dpa(kBase + 8 * kBlock), buf), MediaAccess::kNoCapacity);
  auto r = t.run(opcode::kGetDcExtentList, In().u32(10).u32(0));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u32(r.out, 0), 1u);
  EXPECT_EQ(get_u32(r.out, 4), 1u);
  EXPECT_EQ(get_u32(r.out, 8), 1u);  // generation
  EXPECT_EQ(get_u64(r.out, 0x10), kBase);
  EXPECT_EQ(get_u64(r.out, 0x18), 4 * kBlock);
  // Release the middle: the extent splits in two.
  ASSERT_EQ(t.rc(opcode::kReleaseDc, extent_list({{kBase + kBlock, kBlock}})),
            MboxReturn::kSuccess);
  r = t.run(opcode::kGetDcExtentList, In().u32(10).u32(0));
  EXPECT_EQ(get_u32(r.out, 4), 2u);
  EXPECT_EQ(get_u32(r.out, 8), 2u);
  EXPECT_EQ(t.dev.read(Dpa(kBase + kBlock), buf), MediaAccess::kNoCapacity);
  EXPECT_EQ(t.dev.read(Dpa(kBase + 2 * kBlock), buf), MediaAccess::kOk);
  // Paging the extent list.
  r = t.run(opcode::kGetDcExtentList, In().u32(1).u32(1));
  EXPECT_EQ(get_u32(r.out, 0), 1u);
  EXPECT_EQ(get_u64(r.out, 0x10), kBase + 2 * kBlock);
  EXPECT_EQ(t.rc(opcode::kGetDcExtentList, In().u32(1).u32(3)), MboxReturn::kInvalidInput);
}

TEST(AddDcResponse, Errors) {
  TestDevice t;
  ASSERT_EQ(t.dev.offer_dc_extents({extent(0, 4 * kBlock)}), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase + 1, kBlock}})),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{0, kBlock}})),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase + 16 * kBlock, kBlock}})),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(
      t.rc(opcode::kAddDcResponse, extent_list({{kBase, 2 * kBlock}, {kBase + kBlock, kBlock}})),
      MboxReturn::kInvalidExtentList);
  auto bad_len = extent_list({{kBase, kBlock}});
  bad_len.pop_back();
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, bad_len), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, In().u32(0)), MboxReturn::kInvalidPayloadLength);
  // Accepting part of an offer is allowed.
  EXPECT_EQ(
      t.rc(opcode::kAddDcResponse, extent_list({{kBase, kBlock}, {kBase + 2 * kBlock, kBlock}})),
      MboxReturn::kSuccess);
  // The offer was consumed: a second response finds nothing pending.
  EXPECT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase + 3 * kBlock, kBlock}})),
            MboxReturn::kInvalidExtentList);
}

TEST(AddDcResponse, ResourcesExhaustedAndEmptyResponseRejectsOffer) {
  TestDevice t;  // 4 extents max
  ASSERT_EQ(t.dev.offer_dc_extents(
                {extent(0, kBlock), extent(2 * kBlock, kBlock), extent(4 * kBlock, kBlock)}),
            MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.offer_dc_extents({extent(6 * kBlock, kBlock), extent(8 * kBlock, kBlock)}),
            MboxReturn::kResourcesExhausted);
  ASSERT_EQ(t.rc(opcode::kAddDcResponse, extent_list({})), MboxReturn::kSuccess);
  EXPECT_TRUE(t.dev.state().dc.pending.empty());
  EXPECT_TRUE(t.dev.state().dc.accepted.empty());
  // Fill to the limit, then a split on release needs a fifth extent.
  ASSERT_EQ(t.dev.offer_dc_extents({extent(0, 3 * kBlock), extent(4 * kBlock, kBlock),
                                    extent(6 * kBlock, kBlock), extent(8 * kBlock, kBlock)}),
            MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase, 3 * kBlock},
                                                      {kBase + 4 * kBlock, kBlock},
                                                      {kBase + 6 * kBlock, kBlock},
                                                      {kBase + 8 * kBlock, kBlock}})),
            MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kReleaseDc, extent_list({{kBase + kBlock, kBlock}})),
            MboxReturn::kResourcesExhausted);
}

TEST(ReleaseDc, ErrorsAndSanitizeOnRelease) {
  auto c = testing::test_config();
  c.dc_regions[0].sanitize_on_release = true;
  TestDevice t(c);
  ASSERT_EQ(t.dev.offer_dc_extents({extent(0, 2 * kBlock)}), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase, 2 * kBlock}})), MboxReturn::kSuccess);
  std::vector<uint8_t> data(64, 0xee);
  ASSERT_EQ(t.dev.write(Dpa(kBase + kBlock), data), MediaAccess::kOk);
  EXPECT_EQ(t.rc(opcode::kReleaseDc, extent_list({})), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kReleaseDc, extent_list({{kBase + 4 * kBlock, kBlock}})),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(t.rc(opcode::kReleaseDc, extent_list({{kBase + 3, kBlock}})),
            MboxReturn::kInvalidPhysicalAddress);
  ASSERT_EQ(t.rc(opcode::kReleaseDc, extent_list({{kBase + kBlock, kBlock}})),
            MboxReturn::kSuccess);
  std::vector<uint8_t> buf(64);
  t.media.read(Dpa(kBase + kBlock), buf);
  EXPECT_EQ(buf, std::vector<uint8_t>(64, 0));
}

TEST(DynamicCapacity, FabricManagerReleaseRequestEvent) {
  TestDevice t;
  ASSERT_EQ(t.dev.offer_dc_extents({extent(0, kBlock)}), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kAddDcResponse, extent_list({{kBase, kBlock}})), MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.request_dc_release(extent(2 * kBlock, kBlock)), MboxReturn::kInvalidExtentList);
  ASSERT_EQ(t.dev.request_dc_release(extent(0, kBlock)), MboxReturn::kSuccess);
  const auto& log = t.dev.state().events[4].records();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log.back().bytes[0x30], static_cast<uint8_t>(DcEventType::kReleaseCapacity));
}

}  // namespace
}  // namespace cxlsim::device
