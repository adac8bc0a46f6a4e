// One mailbox command: its opcode, name, handler, input payload length and Command Effects
// (CXL 3.1 §8.2.9.5.2.1, Table 8-71). The command table (command_table.h) is the single list
// from which dispatch and the Command Effects Log both follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "device/mbox_return_code.h"

namespace cxlsim::device {

class MemdevCci;

// Command Effect bits of a CEL entry (Table 8-71).
namespace effect {
inline constexpr uint16_t kConfigChangeColdReset = 1u << 0;
inline constexpr uint16_t kImmediateConfigChange = 1u << 1;
inline constexpr uint16_t kImmediateDataChange = 1u << 2;
inline constexpr uint16_t kImmediatePolicyChange = 1u << 3;
inline constexpr uint16_t kImmediateLogChange = 1u << 4;
inline constexpr uint16_t kSecurityStateChange = 1u << 5;
inline constexpr uint16_t kBackgroundOperation = 1u << 6;
inline constexpr uint16_t kSecondaryMailboxSupported = 1u << 7;
inline constexpr uint16_t kRequestAbortSupported = 1u << 8;
}  // namespace effect

// Preconditions the mailbox checks before calling a handler.
namespace gate {
inline constexpr uint8_t kNone = 0;
inline constexpr uint8_t kUnlocked = 1u << 0;  // Invalid Security State while locked
inline constexpr uint8_t kMedia = 1u << 1;     // Media Disabled while sanitize/erase runs
}  // namespace gate

// Input payload length: exactly `bytes`, or at least `bytes` when `variable`.
struct InputLength {
  size_t bytes = 0;
  bool variable = false;
  [[nodiscard]] bool accepts(size_t n) const { return variable ? n >= bytes : n == bytes; }
};
constexpr InputLength fixed_input(size_t n) { return {n, false}; }
constexpr InputLength variable_input(size_t min) { return {min, true}; }

// A handler reads `in` (length already checked against the command's InputLength) and appends
// its output payload to `out` (empty on entry). It must not produce more than the mailbox
// payload size; commands returning lists truncate and flag "more".
using CommandHandler = MboxReturn (*)(MemdevCci& dev, std::span<const uint8_t> in,
                                      std::vector<uint8_t>& out);

struct CommandSpec {
  uint16_t opcode;
  std::string_view name;
  CommandHandler handler;
  InputLength input;
  uint16_t effects;
  uint8_t gates;
};

// Opcodes (CXL 3.1 Table 8-37 and Table 8-126).
namespace opcode {
inline constexpr uint16_t kIdentify = 0x0001;
inline constexpr uint16_t kBackgroundOperationStatus = 0x0002;
inline constexpr uint16_t kRequestAbortBackgroundOperation = 0x0005;
inline constexpr uint16_t kGetEventRecords = 0x0100;
inline constexpr uint16_t kClearEventRecords = 0x0101;
inline constexpr uint16_t kGetEventInterruptPolicy = 0x0102;
inline constexpr uint16_t kSetEventInterruptPolicy = 0x0103;
inline constexpr uint16_t kGetFwInfo = 0x0200;
inline constexpr uint16_t kGetTimestamp = 0x0300;
inline constexpr uint16_t kSetTimestamp = 0x0301;
inline constexpr uint16_t kGetSupportedLogs = 0x0400;
inline constexpr uint16_t kGetLog = 0x0401;
inline constexpr uint16_t kIdentifyMemoryDevice = 0x4000;
inline constexpr uint16_t kGetPartitionInfo = 0x4100;
inline constexpr uint16_t kSetPartitionInfo = 0x4101;
inline constexpr uint16_t kGetLsa = 0x4102;
inline constexpr uint16_t kSetLsa = 0x4103;
inline constexpr uint16_t kGetHealthInfo = 0x4200;
inline constexpr uint16_t kGetAlertConfig = 0x4201;
inline constexpr uint16_t kSetAlertConfig = 0x4202;
inline constexpr uint16_t kGetShutdownState = 0x4203;
inline constexpr uint16_t kSetShutdownState = 0x4204;
inline constexpr uint16_t kGetPoisonList = 0x4300;
inline constexpr uint16_t kInjectPoison = 0x4301;
inline constexpr uint16_t kClearPoison = 0x4302;
inline constexpr uint16_t kGetScanMediaCapabilities = 0x4303;
inline constexpr uint16_t kScanMedia = 0x4304;
inline constexpr uint16_t kGetScanMediaResults = 0x4305;
inline constexpr uint16_t kSanitize = 0x4400;
inline constexpr uint16_t kSecureErase = 0x4401;
inline constexpr uint16_t kGetSecurityState = 0x4500;
inline constexpr uint16_t kSetPassphrase = 0x4501;
inline constexpr uint16_t kDisablePassphrase = 0x4502;
inline constexpr uint16_t kUnlock = 0x4503;
inline constexpr uint16_t kFreezeSecurityState = 0x4504;
inline constexpr uint16_t kPassphraseSecureErase = 0x4505;
inline constexpr uint16_t kGetDcConfig = 0x4800;
inline constexpr uint16_t kGetDcExtentList = 0x4801;
inline constexpr uint16_t kAddDcResponse = 0x4802;
inline constexpr uint16_t kReleaseDc = 0x4803;
}  // namespace opcode

}  // namespace cxlsim::device
