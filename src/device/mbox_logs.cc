// Logs command set (CXL 3.1 §8.2.9.5): Get Supported Logs (0400h) and Get Log (0401h). The one
// log is the Command Effects Log, generated from the command table (§8.2.9.5.2.1).
#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr Uuid kCelUuid = {0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
                           0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17};
constexpr size_t kCelEntrySize = 4;

std::vector<uint8_t> command_effects_log() {
  std::vector<uint8_t> cel;
  for (const auto& c : memdev_commands()) {
    const size_t at = cel.size();
    put_le(cel, at, c.opcode, 2);
    put_le(cel, at + 2, c.effects, 2);
  }
  return cel;
}

// Output (Table 8-59): entry count (2), reserved (6), entries {UUID (16), size (4)}.
MboxReturn get_supported_logs(MemdevCci&, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  put_le(out, 0, 1, 2);
  out.resize(8, 0);
  put_bytes(out, 8, kCelUuid);
  put_le(out, 24, memdev_commands().size() * kCelEntrySize, 4);
  return MboxReturn::kSuccess;
}

// Input (Table 8-60): Log Identifier (16), Offset (4), Length (4).
MboxReturn get_log(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  Uuid id{};
  std::copy_n(in.begin(), 16, id.begin());
  const uint64_t offset = get_u32(in, 16);
  const uint64_t length = get_u32(in, 20);
  if (id != kCelUuid) return MboxReturn::kInvalidLog;
  const auto cel = command_effects_log();
  if (length > dev.mailbox().payload_size() || offset + length > cel.size()) {
    return MboxReturn::kInvalidInput;
  }
  out.assign(cel.begin() + static_cast<long>(offset), cel.begin() + static_cast<long>(offset + length));
  return MboxReturn::kSuccess;
}

}  // namespace

void add_log_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetSupportedLogs, "Get Supported Logs", get_supported_logs, fixed_input(0),
               0, gate::kNone});
  t.push_back({opcode::kGetLog, "Get Log", get_log, fixed_input(0x18), 0, gate::kNone});
}

}  // namespace cxlsim::device
