// Logs command set (CXL 3.1 §8.2.9.5): Get Supported Logs (0400h) and Get Log (0401h). The one
// log is the Command Effects Log, generated from the command table (§8.2.9.5.2.1).
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr Uuid kCelUuid = {0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
                           0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17};
std::vector<uint8_t> command_effects_log() {
  using E = payload::CelEntry;
  std::vector<uint8_t> cel(memdev_commands().size() * E::kSize, 0);
  size_t at = 0;
  for (const auto& c : memdev_commands()) {
    E::kOpcode.put(cel, at, c.opcode);
    E::kEffects.put(cel, at, c.effects);
    at += E::kSize;
  }
  return cel;
}

// Output (Table 8-59): entry count (2), reserved (6), entries {UUID (16), size (4)}.
MboxReturn get_supported_logs(MemdevCci&, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  using L = payload::SupportedLogs;
  using E = payload::SupportedLogEntry;
  out.assign(L::kEntries + E::kEntrySize, 0);
  L::kCount.put(out, 1);
  put_bytes(out, L::kEntries + E::kUuid.offset, kCelUuid);
  E::kSize.put(out, L::kEntries, memdev_commands().size() * payload::CelEntry::kSize);
  return MboxReturn::kSuccess;
}

// Input (Table 8-60): Log Identifier (16), Offset (4), Length (4).
MboxReturn get_log(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  using L = payload::GetLog;
  Uuid id{};
  const auto uuid = L::kUuid.get(in);
  std::copy(uuid.begin(), uuid.end(), id.begin());
  const uint64_t offset = L::kOffset.get(in);
  const uint64_t length = L::kLength.get(in);
  if (id != kCelUuid) return MboxReturn::kInvalidLog;
  const auto cel = command_effects_log();
  if (length > dev.mailbox().payload_size() || offset + length > cel.size()) {
    return MboxReturn::kInvalidInput;
  }
  out.assign(cel.begin() + static_cast<long>(offset),
             cel.begin() + static_cast<long>(offset + length));
  return MboxReturn::kSuccess;
}

}  // namespace

void add_log_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetSupportedLogs, "Get Supported Logs", get_supported_logs, fixed_input(0),
               0, gate::kNone});
  t.push_back(
      {opcode::kGetLog, "Get Log", get_log, fixed_input(payload::GetLog::kSize), 0, gate::kNone});
}

}  // namespace cxlsim::device
