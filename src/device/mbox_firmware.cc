// Firmware Update command set (CXL 3.1 §8.2.9.3): Get FW Info (0200h). The model has one
// firmware image, active in slot 1; transfer and activation are not modelled.
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr uint8_t kSlots = 2;

// Output (Table 8-57): slots supported, slot info (active 2:0, staged 5:3), activation caps,
// reserved, four 16-byte revision strings from 10h.
MboxReturn get_fw_info(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  using L = payload::FwInfo;
  out.assign(L::kSize, 0);
  L::kSlotsSupported.put(out, kSlots);
  L::kSlotInfo.put(out, 1);        // active slot 1, nothing staged
  L::kActivationCaps.put(out, 0);  // no online activation
  const auto& rev = dev.config().fw_revision;
  L::kSlot1Revision.put(out, std::span(reinterpret_cast<const uint8_t*>(rev.data()), rev.size()));
  return MboxReturn::kSuccess;
}

}  // namespace

void add_firmware_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetFwInfo, "Get FW Info", get_fw_info, fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
