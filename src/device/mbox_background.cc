// Information and Status commands (CXL 3.1 §8.2.9.1): Identify (0001h), Background Operation
// Status (0002h), Request Abort Background Operation (0005h).
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

// Identify output (Table 8-37).
MboxReturn identify(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  using L = payload::GenericIdentify;
  const auto& c = dev.config();
  L::kVendorId.put(out, c.vendor_id);
  L::kDeviceId.put(out, c.device_id);
  L::kSubsystemVendorId.put(out, c.vendor_id);
  L::kSubsystemId.put(out, c.device_id);
  L::kSerial.put(out, c.serial);
  L::kMaxPayloadLog2.put(out, c.payload_size_log2);
  L::kComponentType.put(out, 0x03);  // Type 3 device
  return MboxReturn::kSuccess;
}

// Background Operation Status output (Table 8-38).
MboxReturn background_status(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& bg = dev.mailbox().background_status();
  using L = payload::BackgroundStatus;
  out.assign(L::kSize, 0);
  L::kStatus.put(out, (bg.running ? 1u : 0u) | static_cast<unsigned>(bg.percent & 0x7f) << 1);
  L::kOpcode.put(out, bg.opcode);
  L::kReturnCode.put(out, static_cast<uint16_t>(bg.rc));
  L::kVendorStatus.put(out, bg.vendor_status);
  return MboxReturn::kSuccess;
}

MboxReturn request_abort(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>&) {
  return dev.mailbox().request_abort();
}

}  // namespace

void add_background_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kIdentify, "Identify", identify, fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kBackgroundOperationStatus, "Background Operation Status", background_status,
               fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kRequestAbortBackgroundOperation, "Request Abort Background Operation",
               request_abort, fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
