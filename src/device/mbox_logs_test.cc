#include <gtest/gtest.h>

#include <set>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

const Uuid kCel = parse_uuid("0da9c0b5-bf41-4b78-8f79-96b1623b3f17");

TEST(GetSupportedLogs, ListsTheCel) {
  TestDevice t;
  const auto r = t.run(opcode::kGetSupportedLogs);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 8u + 20);
  EXPECT_EQ(get_u16(r.out, 0), 1);
  EXPECT_TRUE(std::equal(kCel.begin(), kCel.end(), r.out.begin() + 8));
  EXPECT_EQ(get_u32(r.out, 24), memdev_commands().size() * 4);
}

TEST(GetLog, CelListsEveryImplementedCommandWithEffects) {
  TestDevice t;
  const uint32_t size = get_u32(t.run(opcode::kGetSupportedLogs).out, 24);
  const auto r = t.run(opcode::kGetLog, In().raw(kCel).u32(0).u32(size));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), size);
  std::set<uint16_t> ops;
  for (size_t i = 0; i < r.out.size(); i += 4) {
    const uint16_t op = get_u16(r.out, i);
    ops.insert(op);
    // Every listed opcode is accepted by the mailbox (never Unsupported for an empty probe
    // of a command that takes no input).
    ASSERT_NE(find_command(op), nullptr);
    EXPECT_EQ(get_u16(r.out, i + 2), find_command(op)->effects);
  }
  // The command set the issue asks for, all present.
  for (int op : {0x0100, 0x0101, 0x0102, 0x0103, 0x0200, 0x0300, 0x0301, 0x0400, 0x0401, 0x4000,
                 0x4100, 0x4101, 0x4102, 0x4103, 0x4200, 0x4201, 0x4202, 0x4203, 0x4204, 0x4300,
                 0x4301, 0x4302, 0x4303, 0x4304, 0x4305, 0x4400, 0x4401, 0x4500, 0x4501, 0x4502,
                 0x4503, 0x4504, 0x4505, 0x4800, 0x4801, 0x4802, 0x4803, 0x0005}) {
    EXPECT_TRUE(ops.count(static_cast<uint16_t>(op))) << std::hex << op;
  }
  // Background commands are marked as such; sanitize changes data.
  EXPECT_TRUE(find_command(0x4400)->effects & effect::kBackgroundOperation);
  EXPECT_TRUE(find_command(0x4304)->effects & effect::kRequestAbortSupported);
  EXPECT_TRUE(find_command(0x4101)->effects & effect::kConfigChangeColdReset);
}

TEST(GetLog, OffsetWindowAndErrors) {
  TestDevice t;
  const uint32_t size = get_u32(t.run(opcode::kGetSupportedLogs).out, 24);
  const auto whole = t.run(opcode::kGetLog, In().raw(kCel).u32(0).u32(size)).out;
  const auto part = t.run(opcode::kGetLog, In().raw(kCel).u32(4).u32(8));
  ASSERT_EQ(part.rc, MboxReturn::kSuccess);
  EXPECT_EQ(part.out, std::vector<uint8_t>(whole.begin() + 4, whole.begin() + 12));
  EXPECT_EQ(t.rc(opcode::kGetLog, In().raw(kCel).u32(size).u32(1)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetLog, In().raw(kCel).u32(0).u32(4096)), MboxReturn::kInvalidInput);
  Uuid other = kCel;
  other[0] ^= 1;
  EXPECT_EQ(t.rc(opcode::kGetLog, In().raw(other).u32(0).u32(4)), MboxReturn::kInvalidLog);
  EXPECT_EQ(t.rc(opcode::kGetLog, In().raw(kCel).u32(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(IdentifyMemoryDevice, ReportsCapacitiesAndLimits) {
  TestDevice t;
  const auto r = t.run(opcode::kIdentifyMemoryDevice);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x45u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.out.data())), "cxlsim-0.1.0");
  EXPECT_EQ(get_u64(r.out, 0x10), 4u);  // 1 GiB in 256 MiB units
  EXPECT_EQ(get_u64(r.out, 0x18), 0u);
  EXPECT_EQ(get_u64(r.out, 0x20), 0u);
  EXPECT_EQ(get_u64(r.out, 0x28), 1u);  // partition alignment
  EXPECT_EQ(get_u16(r.out, 0x30), 8);
  EXPECT_EQ(get_u32(r.out, 0x38), 128u * 1024);
  EXPECT_EQ(get_le(r.out, 0x3c, 3), 8u);
  EXPECT_EQ(get_u16(r.out, 0x3f), 4);
  EXPECT_EQ(t.rc(opcode::kIdentifyMemoryDevice, In().u8(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(Identify, GenericComponentIdentify) {
  TestDevice t;
  const auto r = t.run(opcode::kIdentify);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x12u);
  EXPECT_EQ(get_u16(r.out, 0), 0x8086);
  EXPECT_EQ(get_u64(r.out, 8), 0x1234u);
  EXPECT_EQ(r.out[0x10], 11);
  EXPECT_EQ(r.out[0x11], 3);
}

TEST(GetFwInfo, ActiveSlotAndRevision) {
  TestDevice t;
  const auto r = t.run(opcode::kGetFwInfo);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x50u);
  EXPECT_EQ(r.out[0], 2);
  EXPECT_EQ(r.out[1] & 7, 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&r.out[0x10])), "cxlsim-0.1.0");
  EXPECT_EQ(t.rc(opcode::kGetFwInfo, In().u8(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(Timestamp, AdvancesWithDeviceClockAfterSet) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetTimestamp, In().u64(1'000'000'000)), MboxReturn::kSuccess);
  t.dev.advance(Duration::ns(2500));
  EXPECT_EQ(get_u64(t.run(opcode::kGetTimestamp).out, 0), 1'000'002'500u);
  t.dev.reset(ResetKind::kCold);  // a power cycle forgets the host's time
  EXPECT_LT(get_u64(t.run(opcode::kGetTimestamp).out, 0), 1'000'000'000u);
}

}  // namespace
}  // namespace cxlsim::device
