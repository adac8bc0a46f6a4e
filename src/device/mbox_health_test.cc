#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

TEST(GetHealthInfo, ReportsState) {
  TestDevice t;
  HealthState h;
  h.life_used = 40;
  h.temperature = -5;
  h.corrected_volatile_errors = 7;
  h.corrected_persistent_errors = 9;
  t.dev.update_health(h);
  const auto r = t.run(opcode::kGetHealthInfo);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x12u);
  EXPECT_EQ(r.out[3], 40);
  EXPECT_EQ(static_cast<int16_t>(get_u16(r.out, 4)), -5);
  EXPECT_EQ(get_u32(r.out, 0x0a), 7u);
  EXPECT_EQ(get_u32(r.out, 0x0e), 9u);
  EXPECT_EQ(r.out[2], 0);  // all normal
  EXPECT_EQ(t.rc(opcode::kGetHealthInfo, In().u8(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(AlertConfig, ProgrammedWarningRaisesStatusAndMemoryModuleEvent) {
  TestDevice t;
  auto r = t.run(opcode::kGetAlertConfig);
  ASSERT_EQ(r.rc, MboxReturn::kSuccess);
  ASSERT_EQ(r.out.size(), 0x10u);
  EXPECT_EQ(r.out[0], 0);     // nothing enabled
  EXPECT_EQ(r.out[1], 0x1f);  // all programmable
  HealthState h;
  h.life_used = 60;
  t.dev.update_health(h);
  EXPECT_EQ(t.run(opcode::kGetHealthInfo).out[2] & 3, 0);
  // Enable the life-used warning at 50%.
  ASSERT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(1).u8(1).u8(50).u8(0).fill(8)),
            MboxReturn::kSuccess);
  r = t.run(opcode::kGetAlertConfig);
  EXPECT_EQ(r.out[0], 1);
  EXPECT_EQ(r.out[3], 50);
  EXPECT_EQ(t.run(opcode::kGetHealthInfo).out[2] & 3, 1);       // warning
  const auto ev = t.run(opcode::kGetEventRecords, In().u8(1));  // Warning log
  ASSERT_EQ(get_u16(ev.out, 0x14), 1);
  EXPECT_TRUE(std::equal(kMemoryModuleEventUuid.begin(), kMemoryModuleEventUuid.end(),
                         ev.out.begin() + 0x20));
  EXPECT_EQ(ev.out[0x20 + 0x31 + 3], 60);  // carries the health info
  // Crossing the critical threshold.
  h.life_used = 95;
  t.dev.update_health(h);
  EXPECT_EQ(t.run(opcode::kGetHealthInfo).out[2] & 3, 2);
  EXPECT_EQ(get_u16(t.run(opcode::kGetEventRecords, In().u8(1)).out, 0x14), 2);
}

TEST(AlertConfig, TemperatureAndErrorCountThresholds) {
  TestDevice t;
  const int16_t over = 60;
  const int16_t under = 5;
  ASSERT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(0x1e)
                                              .u8(0x1e)
                                              .u8(0)
                                              .u8(0)
                                              .u16(static_cast<uint16_t>(over))
                                              .u16(static_cast<uint16_t>(under))
                                              .u16(3)
                                              .u16(4)),
            MboxReturn::kSuccess);
  HealthState h;
  h.temperature = 61;
  h.corrected_volatile_errors = 3;
  t.dev.update_health(h);
  const uint8_t st = t.run(opcode::kGetHealthInfo).out[2];
  EXPECT_EQ((st >> 2) & 3, 1);
  EXPECT_EQ((st >> 4) & 1, 1);
  EXPECT_EQ((st >> 5) & 1, 0);
}

TEST(AlertConfig, Errors) {
  TestDevice t;
  // Warning at or above critical (90%).
  EXPECT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(1).u8(1).u8(90).u8(0).fill(8)),
            MboxReturn::kInvalidInput);
  // Over-temperature warning above critical 85.
  EXPECT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(2).u8(2).u8(0).u8(0).u16(90).fill(6)),
            MboxReturn::kInvalidInput);
  // Under-temperature warning below critical -10.
  EXPECT_EQ(t.rc(opcode::kSetAlertConfig,
                 In().u8(4).u8(4).u8(0).u8(0).u16(0).u16(static_cast<uint16_t>(-20)).fill(4)),
            MboxReturn::kInvalidInput);
  // Non-programmable alert bit.
  EXPECT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(0x20).u8(0x20).fill(10)),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(1).u8(1)), MboxReturn::kInvalidPayloadLength);
  EXPECT_EQ(t.run(opcode::kGetAlertConfig).out[0], 0);  // unchanged
}

TEST(ShutdownState, SetGetAndDirtyShutdownCountAtPowerCycle) {
  TestDevice t;
  EXPECT_EQ(t.run(opcode::kGetShutdownState).out, std::vector<uint8_t>{0});
  ASSERT_EQ(t.rc(opcode::kSetShutdownState, In().u8(1)), MboxReturn::kSuccess);
  EXPECT_EQ(t.run(opcode::kGetShutdownState).out, std::vector<uint8_t>{1});
  t.dev.reset(ResetKind::kCold);  // power lost while dirty
  EXPECT_EQ(get_u32(t.run(opcode::kGetHealthInfo).out, 6), 1u);
  ASSERT_EQ(t.rc(opcode::kSetShutdownState, In().u8(0)), MboxReturn::kSuccess);
  t.dev.reset(ResetKind::kCold);  // clean
  EXPECT_EQ(get_u32(t.run(opcode::kGetHealthInfo).out, 6), 1u);
  EXPECT_EQ(t.rc(opcode::kSetShutdownState, In().u8(2)), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetShutdownState, In()), MboxReturn::kInvalidPayloadLength);
}

}  // namespace
}  // namespace cxlsim::device
