// Firmware Update command set (CXL 3.1 §8.2.9.3): Get FW Info (0200h). The model has one
// firmware image, active in slot 1; transfer and activation are not modelled.
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr uint8_t kSlots = 2;

// Output (Table 8-57): slots supported, slot info (active 2:0, staged 5:3), activation caps,
// reserved, four 16-byte revision strings from 10h.
MboxReturn get_fw_info(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  out.assign(0x50, 0);
  out[0] = kSlots;
  out[1] = 1;  // active slot 1, nothing staged
  out[2] = 0;  // no online activation
  const auto& rev = dev.config().fw_revision;
  std::copy_n(rev.begin(), std::min<size_t>(rev.size(), 16), out.begin() + 0x10);
  return MboxReturn::kSuccess;
}

}  // namespace

void add_firmware_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetFwInfo, "Get FW Info", get_fw_info, fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
