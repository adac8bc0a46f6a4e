#include <gtest/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

constexpr uint8_t kMaster = 0;
constexpr uint8_t kUser = 1;

std::vector<uint8_t> set_pass(uint8_t type, char cur, char next) {
  return In()
      .u8(type)
      .fill(0x1f)
      .fill(32, static_cast<uint8_t>(cur))
      .fill(32, static_cast<uint8_t>(next));
}
std::vector<uint8_t> pass_cmd(uint8_t type, char cur) {
  return In().u8(type).fill(0x1f).fill(32, static_cast<uint8_t>(cur));
}
std::vector<uint8_t> unlock_cmd(char cur) { return In().fill(32, static_cast<uint8_t>(cur)); }
uint32_t sec_state(TestDevice& t) { return get_u32(t.run(opcode::kGetSecurityState).out, 0); }

TEST(Security, UserPassphraseLocksAtPowerCycleAndUnlockRestoresAccess) {
  TestDevice t;
  EXPECT_EQ(sec_state(t), 0u);
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'a')), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 1u);
  t.dev.reset(ResetKind::kCold);
  EXPECT_EQ(sec_state(t), 1u | 4u);  // locked
  std::vector<uint8_t> buf(64);
  EXPECT_EQ(t.dev.read(Dpa(0), buf), MediaAccess::kLocked);
  EXPECT_EQ(t.dev.write(Dpa(0), buf), MediaAccess::kLocked);
  EXPECT_EQ(t.rc(opcode::kInjectPoison, In().u64(0)), MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kSanitize), MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(1).u8(1).u8(0)),
            MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('b')), MboxReturn::kIncorrectPassphrase);
  EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('a')), MboxReturn::kSuccess);
  EXPECT_EQ(t.dev.read(Dpa(0), buf), MediaAccess::kOk);
  EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('a')),
            MboxReturn::kInvalidSecurityState);  // not locked
  t.dev.reset(ResetKind::kWarm);                 // only a power cycle locks
  EXPECT_EQ(sec_state(t) & 4, 0u);
}

TEST(Security, AttemptLimit) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'a')), MboxReturn::kSuccess);
  t.dev.reset(ResetKind::kCold);
  for (int i = 0; i < kPassphraseAttemptLimit; ++i) {
    EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('x')), MboxReturn::kIncorrectPassphrase);
  }
  EXPECT_EQ(sec_state(t) & 0x10, 0x10u);
  EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('a')), MboxReturn::kInvalidSecurityState);
  t.dev.reset(ResetKind::kCold);  // the count resets with the device
  EXPECT_EQ(t.rc(opcode::kUnlock, unlock_cmd('a')), MboxReturn::kSuccess);
}

TEST(Security, ChangeAndDisablePassphrase) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'a')), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 'z', 'b')),
            MboxReturn::kIncorrectPassphrase);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 'a', 'b')), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kDisablePassphrase, pass_cmd(kUser, 'a')),
            MboxReturn::kIncorrectPassphrase);
  EXPECT_EQ(t.rc(opcode::kDisablePassphrase, pass_cmd(kUser, 'b')), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 0u);
  EXPECT_EQ(t.rc(opcode::kDisablePassphrase, pass_cmd(kUser, 'b')),
            MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kDisablePassphrase, pass_cmd(2, 'b')), MboxReturn::kInvalidInput);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, set_pass(2, 0, 'b')), MboxReturn::kInvalidInput);
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kMaster, 0, 'm')), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 2u);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, pass_cmd(kUser, 'a')), MboxReturn::kInvalidPayloadLength);
}

TEST(Security, FreezeBlocksChangesUntilReset) {
  TestDevice t;
  ASSERT_EQ(t.rc(opcode::kFreezeSecurityState), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 8u);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'a')),
            MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kFreezeSecurityState), MboxReturn::kSuccess);
  t.dev.reset(ResetKind::kCold);
  EXPECT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'a')), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kFreezeSecurityState, In().u8(0)), MboxReturn::kInvalidPayloadLength);
}

TEST(Security, PassphraseSecureEraseWithMasterRemovesUserAndUnlocks) {
  TestDevice t;
  std::vector<uint8_t> data(64, 0x33);
  ASSERT_EQ(t.dev.write(Dpa(0x40), data), MediaAccess::kOk);
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kMaster, 0, 'm')), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'u')), MboxReturn::kSuccess);
  t.dev.reset(ResetKind::kCold);
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(kMaster, 'x')),
            MboxReturn::kIncorrectPassphrase);
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(kMaster, 'm')), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 2u);  // master remains, user gone, unlocked
  std::vector<uint8_t> buf(64);
  ASSERT_EQ(t.dev.read(Dpa(0x40), buf), MediaAccess::kOk);
  EXPECT_EQ(buf, std::vector<uint8_t>(64, 0));
}

TEST(Security, PassphraseSecureEraseErrors) {
  TestDevice t;
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(kUser, 'u')),
            MboxReturn::kInvalidSecurityState);
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(3, 'u')), MboxReturn::kInvalidInput);
  ASSERT_EQ(t.rc(opcode::kSetPassphrase, set_pass(kUser, 0, 'u')), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(kUser, 'u')), MboxReturn::kSuccess);
  EXPECT_EQ(sec_state(t), 1u);  // user passphrase kept
  ASSERT_EQ(t.rc(opcode::kFreezeSecurityState), MboxReturn::kSuccess);
  EXPECT_EQ(t.rc(opcode::kPassphraseSecureErase, pass_cmd(kUser, 'u')),
            MboxReturn::kInvalidSecurityState);
}

}  // namespace
}  // namespace cxlsim::device
