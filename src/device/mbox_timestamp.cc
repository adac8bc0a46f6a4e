// Timestamp command set (CXL 3.1 §8.2.9.4): Get Timestamp (0300h), Set Timestamp (0301h).
// The device keeps time on its own clock from the value the host last set (ns since epoch).
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

MboxReturn get_timestamp(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  payload::Timestamp::kNs.put(out, dev.timestamp_ns());
  return MboxReturn::kSuccess;
}

MboxReturn set_timestamp(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& ts = dev.state().timestamp;
  ts.set = true;
  ts.value_ns = payload::Timestamp::kNs.get(in);
  ts.set_at = dev.now();
  return MboxReturn::kSuccess;
}

}  // namespace

void add_timestamp_commands(std::vector<CommandSpec>& t) {
  t.push_back(
      {opcode::kGetTimestamp, "Get Timestamp", get_timestamp, fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kSetTimestamp, "Set Timestamp", set_timestamp,
               fixed_input(payload::Timestamp::kSize), effect::kImmediatePolicyChange,
               gate::kNone});
}

}  // namespace cxlsim::device
