#include "device/mailbox.h"

#include <gtest/gtest.h>

#include <set>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

// Mailbox register offsets inside the device register block, found through the headers.
uint32_t mailbox_base(DeviceRegisters& regs) {
  for (const auto& h : regs.capabilities()) {
    if (h.id == device_cap::kPrimaryMailbox) return h.offset;
  }
  ADD_FAILURE() << "no mailbox capability";
  return 0;
}

TEST(DeviceRegisters, CapabilitiesArrayAndHeaders) {
  TestDevice t;
  auto& r = t.dev.registers();
  const uint64_t array = r.read(0, 8);
  EXPECT_EQ(array & 0xffff, 0u);          // Capability ID 0
  EXPECT_EQ((array >> 16) & 0xff, 1u);    // version 1
  EXPECT_EQ((array >> 24) & 0xf, 1u);     // type: memory device
  EXPECT_EQ((array >> 32) & 0xffff, 3u);  // three capabilities
  std::set<uint16_t> ids;
  for (unsigned i = 0; i < 3; ++i) {
    const uint64_t lo = r.read(0x10 + 16 * i, 8);
    const auto len = static_cast<uint32_t>(r.read(0x18 + 16 * i, 4));
    ids.insert(static_cast<uint16_t>(lo));
    const auto off = static_cast<uint32_t>(lo >> 32);
    EXPECT_LE(off + len, r.size());
    EXPECT_GT(len, 0u);
  }
  EXPECT_EQ(ids, (std::set<uint16_t>{1, 2, 0x4000}));
  EXPECT_EQ(r.size() % 4096, 0u);
  EXPECT_EQ(DeviceRegisters::kRegisterBlockIdentifier, 3);
}

TEST(DeviceRegisters, MemoryDeviceStatusReportsReadyAndDisabledDuringSanitize) {
  TestDevice t;
  uint32_t status_off = 0;
  for (const auto& h : t.dev.registers().capabilities()) {
    if (h.id == device_cap::kMemoryDeviceStatus) status_off = h.offset;
  }
  auto st = t.dev.registers().read(status_off, 8);
  EXPECT_EQ((st >> 2) & 3, 1u);  // media ready
  EXPECT_EQ((st >> 4) & 1, 1u);  // mailbox interface ready
  EXPECT_EQ((st >> 5) & 7, 0u);  // no reset needed
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  st = t.dev.registers().read(status_off, 8);
  EXPECT_EQ((st >> 2) & 3, 3u);  // media disabled
  t.dev.run_background_to_completion();
  st = t.dev.registers().read(status_off, 8);
  EXPECT_EQ((st >> 2) & 3, 1u);
}

TEST(DeviceRegisters, EventStatusFollowsLogs) {
  TestDevice t;
  uint32_t off = 0;
  for (const auto& h : t.dev.registers().capabilities()) {
    if (h.id == device_cap::kDeviceStatus) off = h.offset;
  }
  EXPECT_EQ(t.dev.registers().read(off, 8), 0u);
  t.dev.report_media_error(Dpa(0x1000), Bytes(64), GmTransaction::kInternalMediaScrub);
  EXPECT_EQ(t.dev.registers().read(off, 8), 1u << 2);  // Failure log
}

TEST(Mailbox, CapabilitiesReportPayloadSizeAndBgInterrupt) {
  TestDevice t;
  auto& r = t.dev.registers();
  const uint32_t mb = mailbox_base(r);
  const uint64_t caps = r.read(mb + mbox_reg::kCapabilities, 4);
  EXPECT_EQ(caps & 0x1f, 11u);  // 2 KiB default
  EXPECT_EQ((caps >> 6) & 1, 1u);
  EXPECT_EQ(t.dev.mailbox().payload_size(), 2048u);
}

TEST(Mailbox, PayloadSizeIsConfigurableFrom256BTo1MiB) {
  for (unsigned n : {8u, 20u}) {
    auto c = testing::test_config();
    c.payload_size_log2 = n;
    TestDevice t(c);
    EXPECT_EQ(t.dev.mailbox().payload_size(), size_t{1} << n);
    EXPECT_EQ(t.dev.registers().read(mailbox_base(t.dev.registers()), 4) & 0x1f, n);
  }
}

// Issues a command through the registers as a driver does: payload, command register,
// doorbell; then reads status and output.
struct DoorbellResult {
  uint16_t rc = 0;
  std::vector<uint8_t> out;
};
DoorbellResult doorbell(DeviceRegisters& r, uint16_t op, const std::vector<uint8_t>& in,
                        uint64_t len_override = ~uint64_t{0}) {
  const uint32_t mb = mailbox_base(r);
  for (size_t i = 0; i < in.size(); ++i) {
    r.write(mb + mbox_reg::kPayload + static_cast<uint32_t>(i), 1, in[i]);
  }
  const uint64_t len = len_override == ~uint64_t{0} ? in.size() : len_override;
  r.write(mb + mbox_reg::kCommand, 8, op | (len << 16));
  r.write(mb + mbox_reg::kControl, 4, 1);
  EXPECT_EQ(r.read(mb + mbox_reg::kControl, 4) & 1, 0u) << "doorbell clears when done";
  DoorbellResult res;
  res.rc = static_cast<uint16_t>(r.read(mb + mbox_reg::kStatus, 8) >> 32);
  const uint64_t out_len = (r.read(mb + mbox_reg::kCommand, 8) >> 16) & 0x1fffff;
  for (uint64_t i = 0; i < out_len; ++i) {
    res.out.push_back(
        static_cast<uint8_t>(r.read(mb + mbox_reg::kPayload + static_cast<uint32_t>(i), 1)));
  }
  return res;
}

TEST(Mailbox, DoorbellProtocolRunsCommandAndReturnsPayload) {
  TestDevice t;
  const auto res = doorbell(t.dev.registers(), opcode::kGetTimestamp, {});
  EXPECT_EQ(res.rc, 0);
  EXPECT_EQ(res.out.size(), 8u);
  const auto set = doorbell(t.dev.registers(), opcode::kSetTimestamp, In().u64(123456789));
  EXPECT_EQ(set.rc, 0);
  EXPECT_TRUE(set.out.empty());
  const auto get = doorbell(t.dev.registers(), opcode::kGetTimestamp, {});
  EXPECT_EQ(get_u64(get.out, 0), 123456789u);
}

TEST(Mailbox, DoorbellLengthOverPayloadSizeIsInvalidPayloadLength) {
  TestDevice t;
  const auto res = doorbell(t.dev.registers(), opcode::kSetLsa, {}, 4096);
  EXPECT_EQ(res.rc, static_cast<uint16_t>(MboxReturn::kInvalidPayloadLength));
}

TEST(Mailbox, UnknownOpcodeIsUnsupported) {
  TestDevice t;
  EXPECT_EQ(t.rc(0x4600), MboxReturn::kUnsupported);  // Security Send: not implemented
  EXPECT_EQ(t.rc(0xffff), MboxReturn::kUnsupported);
  EXPECT_EQ(doorbell(t.dev.registers(), 0x1234, {}).rc,
            static_cast<uint16_t>(MboxReturn::kUnsupported));
}

TEST(Mailbox, WrongFixedLengthIsInvalidPayloadLength) {
  TestDevice t;
  EXPECT_EQ(t.rc(opcode::kSetTimestamp, In().u32(1)), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kSetTimestamp, In().u64(1).u8(0)), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.rc(opcode::kGetTimestamp, In().u8(0)), MboxReturn::kInvalidPayloadLength);
  std::vector<uint8_t> big(2049, 0);
  EXPECT_EQ(t.rc(opcode::kSetLsa, big), MboxReturn::kInvalidPayloadLength);
}

TEST(Mailbox, CommandRegisterFrozenAndStatusReadOnly) {
  TestDevice t;
  auto& r = t.dev.registers();
  const uint32_t mb = mailbox_base(r);
  r.write(mb + mbox_reg::kStatus, 8, ~uint64_t{0});
  EXPECT_EQ(r.read(mb + mbox_reg::kStatus, 8), 0u);
  r.write(mb + mbox_reg::kCommand, 8, ~uint64_t{0});
  EXPECT_EQ(r.read(mb + mbox_reg::kCommand, 8), (uint64_t{1} << 37) - 1);  // bits 63:37 reserved
}

TEST(Mailbox, BackgroundOperationProgressCompletionAndInterrupt) {
  TestDevice t;
  auto& r = t.dev.registers();
  const uint32_t mb = mailbox_base(r);
  r.write(mb + mbox_reg::kControl, 4, 1u << 2);  // BG completion interrupt enable
  ASSERT_EQ(t.rc(opcode::kScanMedia, In().u64(0).u64(GiB(1).value() / 64).u8(0)),
            MboxReturn::kBackgroundCommandStarted);
  EXPECT_EQ(r.read(mb + mbox_reg::kStatus, 8) & 1, 1u);
  const uint64_t bg0 = r.read(mb + mbox_reg::kBackgroundStatus, 8);
  EXPECT_EQ(bg0 & 0xffff, opcode::kScanMedia);
  EXPECT_EQ((bg0 >> 16) & 0x7f, 0u);
  // 1 GiB at 1 GB/s: 1.07 s. Half way:
  t.dev.advance(Duration::ns(536'870'912));
  const uint64_t bg1 = r.read(mb + mbox_reg::kBackgroundStatus, 8);
  EXPECT_EQ((bg1 >> 16) & 0x7f, 50u);
  // Another background command meanwhile is Busy; a foreground one runs.
  EXPECT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBusy);
  EXPECT_EQ(t.rc(opcode::kGetTimestamp), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kGetScanMediaResults), MboxReturn::kBusy);
  t.dev.advance(Duration::ns(600'000'000));
  const uint64_t bg2 = r.read(mb + mbox_reg::kBackgroundStatus, 8);
  EXPECT_EQ((bg2 >> 16) & 0x7f, 100u);
  EXPECT_EQ((bg2 >> 32) & 0xffff, 0u);
  EXPECT_EQ(r.read(mb + mbox_reg::kStatus, 8) & 1, 0u);
  EXPECT_EQ(t.dev.mailbox().interrupts(), 1u);
}

TEST(Mailbox, BackgroundOperationStatusCommand) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kScanMedia, In().u64(0).u64(1 << 20).u8(0)),
            MboxReturn::kBackgroundCommandStarted);
  t.dev.advance(Duration::ns(16'777'216));  // 1/4 of 64 MiB at 1 GB/s
  auto r = t.run(opcode::kBackgroundOperationStatus);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 8u);
  EXPECT_EQ(r.out[0] & 1, 1);
  EXPECT_EQ(r.out[0] >> 1, 25);
  EXPECT_EQ(get_u16(r.out, 2), opcode::kScanMedia);
  t.dev.run_background_to_completion();
  r = t.run(opcode::kBackgroundOperationStatus);
  EXPECT_EQ(r.out[0], 100 << 1);
  EXPECT_EQ(get_u16(r.out, 4), 0);
}

TEST(Mailbox, AbortScanMediaRecordsRestartPoint) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x100000)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(MiB(900).value())), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kScanMedia, In().u64(0).u64(GiB(1).value() / 64).u8(0)),
            MboxReturn::kBackgroundCommandStarted);
  t.dev.advance(Duration::ns(268'435'456));  // a quarter
  EXPECT_EQ(t.rc(opcode::kRequestAbortBackgroundOperation), MboxReturn::kSuccess);
  const auto& bg = t.dev.mailbox().background_status();
  EXPECT_FALSE(bg.running);
  EXPECT_EQ(bg.rc, MboxReturn::kAborted);
  const auto r = t.run(opcode::kGetScanMediaResults);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  EXPECT_EQ(get_u64(r.out, 0), GiB(1).value() / 4);           // restart address
  EXPECT_EQ(get_u64(r.out, 8), GiB(1).value() * 3 / 4 / 64);  // remaining length
  EXPECT_EQ(r.out[0x10] & 4, 4);                              // stopped prematurely
  EXPECT_EQ(get_u16(r.out, 0x12), 1);  // only the poison before the abort point
}

TEST(Mailbox, AbortWithNothingRunningSucceedsAndSanitizeCannotBeAborted) {
  TestDevice t;
  EXPECT_EQ(t.rc(opcode::kRequestAbortBackgroundOperation), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  EXPECT_EQ(t.rc(opcode::kRequestAbortBackgroundOperation), MboxReturn::kRequestAbortNotSupported);
  EXPECT_TRUE(t.dev.mailbox().background_running());
  t.dev.run_background_to_completion();
  EXPECT_EQ(t.dev.mailbox().background_status().rc, MboxReturn::kSuccess);
}

TEST(Mailbox, ResetInterruptsBackgroundWork) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  t.dev.reset(ResetKind::kWarm);
  EXPECT_FALSE(t.dev.mailbox().background_running());
  EXPECT_EQ(t.dev.mailbox().background_status().rc, MboxReturn::kInterrupted);
  EXPECT_FALSE(t.dev.media_disabled());
}

TEST(Mailbox, ReturnCodeNamesFollowTable834) {
  EXPECT_EQ(return_code_name(MboxReturn::kInvalidPayloadLength), "Invalid Payload Length");
  EXPECT_EQ(return_code_name(MboxReturn::kIncorrectPassphrase), "Incorrect Passphrase");
  EXPECT_EQ(return_code_name(static_cast<MboxReturn>(0x1e)), "Invalid Extent List");
  EXPECT_EQ(return_code_name(static_cast<MboxReturn>(0x99)), "Reserved");
}

}  // namespace
}  // namespace cxlsim::device

#include "spec/dvsec.h"

namespace cxlsim::device {
namespace {

// The block is what Register Locator entry id 3 (BAR2, offset 0) points at; its BAR holds it
// for every payload size.
TEST(DeviceRegisters, LocatedThroughRegisterLocatorBlock3) {
  for (unsigned n : {8u, 11u, 20u}) {
    auto c = testing::test_config();
    c.payload_size_log2 = n;
    testing::TestDevice t(c);
    auto& regs = t.dev.registers();
    EXPECT_GE(regs.bar_size(), regs.size());
    EXPECT_EQ(regs.bar_size() & (regs.bar_size() - 1), 0u);
    DeviceConfigOptions o;
    o.memory_device_bar_size = Bytes(regs.bar_size());
    const ConfigSpace cs = make_type3_config_space(GiB(1), o);
    const auto entries = read_register_locator(cs);
    const auto it = std::find_if(entries.begin(), entries.end(), [](const RegisterBlockEntry& e) {
      return e.id == static_cast<RegisterBlockId>(DeviceRegisters::kRegisterBlockIdentifier);
    });
    ASSERT_NE(it, entries.end());
    EXPECT_EQ(it->bir, kDeviceRegisterBar);
    EXPECT_EQ(it->offset, 0u);
  }
}

}  // namespace
}  // namespace cxlsim::device
