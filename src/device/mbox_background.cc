// Information and Status commands (CXL 3.1 §8.2.9.1): Identify (0001h), Background Operation
// Status (0002h), Request Abort Background Operation (0005h).
#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

// Identify output (Table 8-37).
MboxReturn identify(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& c = dev.config();
  put_le(out, 0x00, c.vendor_id, 2);
  put_le(out, 0x02, c.device_id, 2);
  put_le(out, 0x04, c.vendor_id, 2);
  put_le(out, 0x06, c.device_id, 2);
  put_le(out, 0x08, c.serial, 8);
  put_le(out, 0x10, c.payload_size_log2, 1);
  put_le(out, 0x11, 0x03, 1);  // Component Type: Type 3 device
  return MboxReturn::kSuccess;
}

// Background Operation Status output (Table 8-38).
MboxReturn background_status(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& bg = dev.mailbox().background_status();
  put_le(out, 0x00, (bg.running ? 1u : 0u) | static_cast<unsigned>(bg.percent & 0x7f) << 1, 1);
  put_le(out, 0x01, 0, 1);
  put_le(out, 0x02, bg.opcode, 2);
  put_le(out, 0x04, static_cast<uint16_t>(bg.rc), 2);
  put_le(out, 0x06, bg.vendor_status, 2);
  return MboxReturn::kSuccess;
}

MboxReturn request_abort(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>&) {
  return dev.mailbox().request_abort();
}

}  // namespace

void add_background_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kIdentify, "Identify", identify, fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kBackgroundOperationStatus, "Background Operation Status",
               background_status, fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kRequestAbortBackgroundOperation, "Request Abort Background Operation",
               request_abort, fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
