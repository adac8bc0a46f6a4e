#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

constexpr uint8_t kFailureLog = 2;

void add_errors(TestDevice& t, int n) {
  for (int i = 0; i < n; ++i) {
    t.dev.report_media_error(Dpa(0x10000 * static_cast<uint64_t>(i + 1)), Bytes(64),
                             GmTransaction::kInternalMediaScrub);
  }
}

TEST(GetEventRecords, ReturnsGeneralMediaEventsWithHandles) {
  TestDevice t;
  add_errors(t, 2);
  const auto r = t.run(opcode::kGetEventRecords, In().u8(kFailureLog));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x20u + 2 * 128);
  EXPECT_EQ(r.out[0], 0);              // no overflow, no more
  EXPECT_EQ(get_u16(r.out, 0x14), 2);  // record count
  const auto rec = std::span<const uint8_t>(r.out).subspan(0x20, 128);
  EXPECT_TRUE(
      std::equal(kGeneralMediaEventUuid.begin(), kGeneralMediaEventUuid.end(), rec.begin()));
  EXPECT_EQ(rec[0x10], 128);         // record length
  EXPECT_EQ(rec[0x11] & 3, 2);       // severity: failure
  EXPECT_NE(get_u16(rec, 0x14), 0);  // handle
  EXPECT_EQ(get_u64(rec, 0x30) & ~uint64_t{0x3f}, 0x10000u);
  EXPECT_EQ(rec[0x3a], static_cast<uint8_t>(GmTransaction::kInternalMediaScrub));
  // Other logs are empty.
  EXPECT_EQ(get_u16(t.run(opcode::kGetEventRecords, In().u8(0)).out, 0x14), 0);
}

TEST(GetEventRecords, InvalidLogAndLengthErrors) {
  TestDevice t;
  EXPECT_EQ(t.rc(opcode::kGetEventRecords, In().u8(5)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetEventRecords, In()), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kGetEventRecords, In().u16(2)), MboxReturn::kInvalidPayloadLength);
}

TEST(GetEventRecords, MoreFlagWhenPayloadTooSmallAndOverflowWhenFull) {
  auto c = testing::test_config();
  c.payload_size_log2 = 8;  // 256 B: header + 1 record
  TestDevice t(c);
  add_errors(t, 10);  // log holds 8
  const auto r = t.run(opcode::kGetEventRecords, In().u8(kFailureLog));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u16(r.out, 0x14), 1);
  EXPECT_EQ(r.out[0] & 3, 3);       // overflow + more
  EXPECT_EQ(get_u16(r.out, 2), 2);  // two records lost
  EXPECT_LE(r.out.size(), 256u);
}

TEST(ClearEventRecords, ClearsByHandleInOrder) {
  TestDevice t;
  add_errors(t, 3);
  auto r = t.run(opcode::kGetEventRecords, In().u8(kFailureLog));
  const uint16_t h1 = get_u16(r.out, 0x20 + 0x14);
  const uint16_t h2 = get_u16(r.out, 0xa0 + 0x14);
  const uint16_t h3 = get_u16(r.out, 0x120 + 0x14);
  // Out of order: Invalid Handle, nothing cleared.
  EXPECT_EQ(
      t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(0).u8(2).fill(3).u16(h2).u16(h1)),
      MboxReturn::kInvalidHandle);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(0).u8(1).fill(3).u16(0x7777)),
            MboxReturn::kInvalidHandle);
  EXPECT_EQ(t.dev.state().events[kFailureLog].records().size(), 3u);
  EXPECT_EQ(
      t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(0).u8(2).fill(3).u16(h1).u16(h2)),
      MboxReturn::kSuccess);
  r = t.run(opcode::kGetEventRecords, In().u8(kFailureLog));
  EXPECT_EQ(get_u16(r.out, 0x14), 1);
  EXPECT_EQ(get_u16(r.out, 0x20 + 0x14), h3);
}

TEST(ClearEventRecords, ClearAllAndErrors) {
  TestDevice t;
  add_errors(t, 2);
  // Clear All with handles listed is invalid; a count disagreeing with the length too.
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(1).u8(1).fill(3).u16(1)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(0).u8(2).fill(3).u16(1)),
            MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(0).u8(0).fill(3)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(9).u8(1).u8(0).fill(3)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog)),
            MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kClearEventRecords, In().u8(kFailureLog).u8(1).u8(0).fill(3)),
            MboxReturn::kSuccess);
  EXPECT_TRUE(t.dev.state().events[kFailureLog].records().empty());
  EXPECT_EQ(t.dev.event_status(), 0u);
}

TEST(EventInterruptPolicy, SetThenGetAndReservedMode) {
  TestDevice t;
  auto r = t.run(opcode::kGetEventInterruptPolicy);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(r.out, std::vector<uint8_t>(5, 0));
  EXPECT_EQ(
      t.rc(opcode::kSetEventInterruptPolicy, In().u8(0x11).u8(0x21).u8(0x31).u8(0x02).u8(0x41)),
      MboxReturn::kSuccess);
  EXPECT_EQ(t.run(opcode::kGetEventInterruptPolicy).out,
            (std::vector<uint8_t>{0x11, 0x21, 0x31, 0x02, 0x41}));
  // 4-byte form (no DCD setting) leaves the DCD setting.
  EXPECT_EQ(t.rc(opcode::kSetEventInterruptPolicy, In().u32(0)), MboxReturn::kSuccess);
  EXPECT_EQ(t.run(opcode::kGetEventInterruptPolicy).out[4], 0x41);
  EXPECT_EQ(t.rc(opcode::kSetEventInterruptPolicy, In().u8(3).u8(0).u8(0).u8(0)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetEventInterruptPolicy, In().u8(0).u8(0).u8(0)),
            MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kSetEventInterruptPolicy, In().u32(0).u16(0)),
            MboxReturn::kInvalidPayloadLength);
}

TEST(Events, HostReadOfPoisonLogsGeneralMediaEvent) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x2000)), MboxReturn::kSuccess);
  std::vector<uint8_t> buf(128);
  EXPECT_EQ(t.dev.read(Dpa(0x1fc0), buf), MediaAccess::kPoisoned);
  const auto r = t.run(opcode::kGetEventRecords, In().u8(kFailureLog));
  ASSERT_EQ(get_u16(r.out, 0x14), 1);
  EXPECT_EQ(get_u64(r.out, 0x20 + 0x30) & ~uint64_t{0x3f}, 0x2000u);
  EXPECT_EQ(r.out[0x20 + 0x3a], static_cast<uint8_t>(GmTransaction::kHostRead));
}

}  // namespace
}  // namespace cxlsim::device
