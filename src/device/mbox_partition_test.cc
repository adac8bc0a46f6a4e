#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

TEST(GetPartitionInfo, ActiveSplitAndNoPendingChange) {
  TestDevice t;
  const auto r = t.run(opcode::kGetPartitionInfo);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x20u);
  EXPECT_EQ(get_u64(r.out, 0x00), 2u);  // 512 MiB volatile
  EXPECT_EQ(get_u64(r.out, 0x08), 2u);  // 512 MiB persistent
  EXPECT_EQ(get_u64(r.out, 0x10), 0u);
  EXPECT_EQ(get_u64(r.out, 0x18), 0u);
}

TEST(SetPartitionInfo, TakesEffectAtResetAndMovesTheBoundary) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(1).u8(0).u8(0)), MboxReturn::kSuccess);
  auto r = t.run(opcode::kGetPartitionInfo);
  EXPECT_EQ(get_u64(r.out, 0x00), 2u);  // unchanged until reset
  EXPECT_EQ(get_u64(r.out, 0x10), 1u);
  EXPECT_EQ(get_u64(r.out, 0x18), 3u);
  EXPECT_EQ(t.dev.volatile_capacity(), MiB(512));
  t.dev.reset(ResetKind::kCold);
  r = t.run(opcode::kGetPartitionInfo);
  EXPECT_EQ(get_u64(r.out, 0x00), 1u);
  EXPECT_EQ(get_u64(r.out, 0x08), 3u);
  EXPECT_EQ(get_u64(r.out, 0x10), 0u);
  EXPECT_EQ(t.dev.volatile_capacity(), MiB(256));
  EXPECT_EQ(t.dev.persistent_capacity(), MiB(768));
}

TEST(SetPartitionInfo, ImmediateFlagAppliesAtOnce) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(4).u8(1).u8(0)), MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.volatile_capacity(), GiB(1));
  EXPECT_EQ(t.dev.persistent_capacity(), Bytes(0));
  EXPECT_EQ(get_u64(t.run(opcode::kGetPartitionInfo).out, 0x10), 0u);
}

TEST(SetPartitionInfo, Errors) {
  TestDevice t;
  EXPECT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(5).u8(0).u8(0)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(~uint64_t{0}).u8(0).u8(0)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(1).u8(0)), MboxReturn::kInvalidPayloadLength);
  auto c = testing::test_config();
  c.partition_alignment = MiB(512);
  TestDevice aligned(c);
  EXPECT_EQ(aligned.rc(opcode::kSetPartitionInfo, In().u64(1).u8(0).u8(0)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(aligned.rc(opcode::kSetPartitionInfo, In().u64(2).u8(0).u8(0)), MboxReturn::kSuccess);
  auto fixed = testing::test_config();
  fixed.partitionable = Bytes(0);
  fixed.initial_partition_volatile = Bytes(0);
  fixed.volatile_only = GiB(1);
  TestDevice f(fixed);
  EXPECT_EQ(f.rc(opcode::kSetPartitionInfo, In().u64(0).u8(0).u8(0)), MboxReturn::kUnsupported);
  EXPECT_EQ(get_u64(f.run(opcode::kIdentifyMemoryDevice).out, 0x28), 0u);
}

TEST(Lsa, WriteThenReadBack) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(100).u32(0).u8(0xde).u8(0xad).u8(0xbe).u8(0xef)),
            MboxReturn::kSuccess);
  const auto r = t.run(opcode::kGetLsa, In().u32(99).u32(6));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(r.out, (std::vector<uint8_t>{0, 0xde, 0xad, 0xbe, 0xef, 0}));
}

TEST(Lsa, Boundaries) {
  TestDevice t;
  const uint32_t size = 128 * 1024;
  // The last byte, and a read ending exactly at the end.
  EXPECT_EQ(t.rc(opcode::kSetLsa, In().u32(size - 1).u32(0).u8(7)), MboxReturn::kSuccess);
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(size - 1).u32(1)).out, std::vector<uint8_t>{7});
  EXPECT_EQ(t.rc(opcode::kSetLsa, In().u32(size).u32(0).u8(7)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetLsa, In().u32(size - 1).u32(2)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetLsa, In().u32(0xffffffff).u32(0xffffffff)), MboxReturn::kInvalidInput);
  // Reads larger than the payload are Invalid Input; exactly the payload size works.
  EXPECT_EQ(t.rc(opcode::kGetLsa, In().u32(0).u32(2049)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(0).u32(2048)).out.size(), 2048u);
  // Set LSA with a full payload: 8-byte header + 2040 data bytes.
  EXPECT_EQ(t.rc(opcode::kSetLsa, In().u32(0).u32(0).fill(2040, 1)), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kSetLsa, In().u32(0)), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kGetLsa, In().u32(0)), MboxReturn::kInvalidPayloadLength);
  auto c = testing::test_config();
  c.lsa_size = Bytes(0);
  TestDevice none(c);
  EXPECT_EQ(none.rc(opcode::kGetLsa, In().u32(0).u32(0)), MboxReturn::kUnsupported);
}

}  // namespace
}  // namespace cxlsim::device
