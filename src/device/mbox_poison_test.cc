#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

std::vector<uint8_t> poison_query(uint64_t dpa, uint64_t len) {
  return In().u64(dpa).u64(len / 64);
}

TEST(InjectPoison, ReadsReportPoisonAndListShowsInjectedRecord) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x4000)), MboxReturn::kSuccess);
  std::vector<uint8_t> buf(64);
  EXPECT_EQ(t.dev.read(Dpa(0x4000), buf), MediaAccess::kPoisoned);
  EXPECT_EQ(t.dev.read(Dpa(0x4040), buf), MediaAccess::kOk);
  const auto r = t.run(opcode::kGetPoisonList, poison_query(0, GiB(1).value()));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(get_u16(r.out, 0x0a), 1);
  EXPECT_EQ(get_u64(r.out, 0x20), 0x4000u | 3);  // source: injected
  EXPECT_EQ(get_u32(r.out, 0x28), 1u);
  // Injecting the same line again is a no-op success.
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x4000)), MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.state().poison.size(), 1u);
}

TEST(InjectPoison, LimitAddressAndLengthErrors) {
  TestDevice t;
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(i * 0x1000)), MboxReturn::kSuccess);
  }
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x9000)), MboxReturn::kInjectPoisonLimitReached);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(GiB(2).value())),
            MboxReturn::kInvalidPhysicalAddress);
  // DC region capacity is addressable; beyond it is not.
  EXPECT_EQ(t.rc(opcode::kClearPoison, In().u64(0).fill(64)), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(GiB(1).value())), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(GiB(1).value() + MiB(256).value())),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u32(0)), MboxReturn::kInvalidPayloadLength);
  // The last line of the static capacity is valid.
  t.dev.state().poison.clear_all();
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(GiB(1).value() - 64)), MboxReturn::kSuccess);
}

TEST(ClearPoison, WritesTheGivenDataAndClears) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x8000)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kClearPoison, In().u64(0x8000).fill(64, 0xa5)), MboxReturn::kSuccess);
  std::vector<uint8_t> buf(64);
  EXPECT_EQ(t.dev.read(Dpa(0x8000), buf), MediaAccess::kOk);
  EXPECT_EQ(buf, std::vector<uint8_t>(64, 0xa5));
  EXPECT_EQ(t.dev.state().poison.size(), 0u);
  EXPECT_EQ(t.rc(opcode::kClearPoison, In().u64(GiB(4).value()).fill(64)),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kClearPoison, In().u64(0).fill(63)), MboxReturn::kInvalidPayloadLength);
}

TEST(ClearPoison, SplitsALargerRecord) {
  TestDevice t;
  t.dev.report_media_error(Dpa(0x10000), Bytes(256), GmTransaction::kInternalMediaScrub);
  ASSERT_EQ(t.rc(opcode::kClearPoison, In().u64(0x10040).fill(64)), MboxReturn::kSuccess);
  const auto recs = t.dev.state().poison.all();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], (PoisonRecord{0x10000, 64, PoisonSource::kInternal}));
  EXPECT_EQ(recs[1], (PoisonRecord{0x10080, 128, PoisonSource::kInternal}));
}

TEST(GetPoisonList, RangeFilterMoreFlagAndErrors) {
  auto c = testing::test_config();
  c.payload_size_log2 = 8;  // 256 B: header + 14 records
  c.poison_list_max = 32;
  TestDevice t(c);
  for (uint64_t i = 0; i < 20; ++i) {
    t.dev.report_media_error(Dpa(i * 0x1000), Bytes(64), GmTransaction::kUnknown);
  }
  auto r = t.run(opcode::kGetPoisonList, poison_query(0, 0x5000));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u16(r.out, 0x0a), 5);
  EXPECT_EQ(r.out[0] & 1, 0);
  r = t.run(opcode::kGetPoisonList, poison_query(0, GiB(1).value()));
  EXPECT_EQ(get_u16(r.out, 0x0a), 14);
  EXPECT_EQ(r.out[0] & 1, 1);  // more records
  EXPECT_EQ(t.rc(opcode::kGetPoisonList, poison_query(0, 0)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetPoisonList, poison_query(GiB(1).value(), GiB(1).value())),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kGetPoisonList, In().u64(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(GetPoisonList, OverflowFlag) {
  TestDevice t;  // list holds 8 records
  for (uint64_t i = 0; i < 9; ++i) {
    t.dev.report_media_error(Dpa(i * 0x1000), Bytes(64), GmTransaction::kUnknown);
  }
  const auto r = t.run(opcode::kGetPoisonList, poison_query(0, GiB(1).value()));
  EXPECT_EQ(r.out[0] & 2, 2);
  EXPECT_EQ(get_u16(r.out, 0x0a), 8);
}

TEST(ScanMedia, CapabilitiesEstimateAndErrors) {
  TestDevice t;
  const auto r = t.run(opcode::kGetScanMediaCapabilities, poison_query(0, GiB(1).value()));
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u32(r.out, 0), 1074u);  // 1 GiB at 1 GB/s, ms rounded up
  EXPECT_EQ(t.rc(opcode::kGetScanMediaCapabilities, poison_query(0, 0)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kGetScanMediaCapabilities, poison_query(GiB(2).value(), 64)),
            MboxReturn::kInvalidPhysicalAddress);
  EXPECT_EQ(t.rc(opcode::kScanMedia, poison_query(0, 64)), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kScanMedia, In().u64(GiB(2).value()).u64(1).u8(0)),
            MboxReturn::kInvalidPhysicalAddress);
}

TEST(ScanMedia, FindsPoisonLogsEventsAndResultsDrain) {
  auto c = testing::test_config();
  c.payload_size_log2 = 8;
  c.poison_list_max = 32;
  TestDevice t(c);
  for (uint64_t i = 0; i < 16; ++i) {
    t.dev.state().poison.add(i * 0x1000, 64, PoisonSource::kInternal, 0);
  }
  ASSERT_EQ(t.rc(opcode::kScanMedia, In().u64(0).u64(0x10000 / 64).u8(0)),
            MboxReturn::kBackgroundCommandStarted);
  // While scanning, the poison list says so.
  EXPECT_EQ(t.run(opcode::kGetPoisonList, poison_query(0, 64)).out[0] & 4, 4);
  t.dev.run_background_to_completion();
  auto r = t.run(opcode::kGetScanMediaResults);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u16(r.out, 0x12), 14);
  EXPECT_EQ(r.out[0x10] & 1, 1);  // more
  EXPECT_EQ(r.out[0x10] & 4, 0);  // completed
  r = t.run(opcode::kGetScanMediaResults);
  EXPECT_EQ(get_u16(r.out, 0x12), 2);
  EXPECT_EQ(r.out[0x10] & 1, 0);
  // 16 General Media Events with transaction "host scan media" (log holds 8, rest overflow).
  const auto ev = t.run(opcode::kGetEventRecords, In().u8(2));
  EXPECT_EQ(ev.out[0x20 + 0x3a], static_cast<uint8_t>(GmTransaction::kHostScanMedia));
  EXPECT_EQ(t.dev.state().events[2].overflow_count(), 8);
}

TEST(ScanMedia, NoEventLogFlag) {
  TestDevice t;
  t.dev.state().poison.add(0x1000, 64, PoisonSource::kInternal, 0);
  ASSERT_EQ(t.rc(opcode::kScanMedia, In().u64(0).u64(0x10000 / 64).u8(1)),
            MboxReturn::kBackgroundCommandStarted);
  t.dev.run_background_to_completion();
  EXPECT_EQ(get_u16(t.run(opcode::kGetScanMediaResults).out, 0x12), 1);
  EXPECT_TRUE(t.dev.state().events[2].records().empty());
}

TEST(Sanitize, ErasesMediaPoisonAndLabelsAfterItsTime) {
  TestDevice t;
  std::vector<uint8_t> data(4096, 0x5a);
  ASSERT_EQ(t.dev.write(Dpa(MiB(700).value()), data), MediaAccess::kOk);
  ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(0).u32(0).u8(9)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  std::vector<uint8_t> buf(4096);
  EXPECT_EQ(t.dev.read(Dpa(MiB(700).value()), buf), MediaAccess::kMediaDisabled);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x40)), MboxReturn::kMediaDisabled);
  EXPECT_EQ(t.rc(opcode::kSecureErase), MboxReturn::kBusy);
  const Duration took = t.dev.run_background_to_completion();
  EXPECT_GE(took, Duration::ns(335'544'320));  // 1.25 GiB at 4 GB/s
  EXPECT_EQ(t.dev.read(Dpa(MiB(700).value()), buf), MediaAccess::kOk);
  EXPECT_EQ(buf, std::vector<uint8_t>(4096, 0));
  EXPECT_EQ(t.media.allocated_pages(), 0u);
  EXPECT_EQ(t.dev.state().poison.size(), 0u);
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(0).u32(1)).out, std::vector<uint8_t>{0});
  EXPECT_EQ(t.rc(opcode::kSanitize, In().u8(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(SecureErase, ErasesMediaKeepsLabelsAndRefusedWithUserPassphrase) {
  TestDevice t;
  std::vector<uint8_t> data(64, 0x77);
  ASSERT_EQ(t.dev.write(Dpa(0x100), data), MediaAccess::kOk);
  ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(0).u32(0).u8(9)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSecureErase), MboxReturn::kBackgroundCommandStarted);
  t.dev.run_background_to_completion();
  std::vector<uint8_t> buf(64);
  ASSERT_EQ(t.dev.read(Dpa(0x100), buf), MediaAccess::kOk);
  EXPECT_EQ(buf, std::vector<uint8_t>(64, 0));
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(0).u32(1)).out, std::vector<uint8_t>{9});
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, In().u8(1).fill(0x1f).fill(32).fill(32, 'u')),
            MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kSecureErase), MboxReturn::kInvalidSecurityState);
}

}  // namespace
}  // namespace cxlsim::device
