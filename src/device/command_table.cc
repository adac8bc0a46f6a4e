#include "device/command_table.h"

#include <algorithm>

namespace cxlsim::device {

namespace {
std::vector<CommandSpec> build() {
  std::vector<CommandSpec> t;
  add_background_commands(t);
  add_event_commands(t);
  add_firmware_commands(t);
  add_timestamp_commands(t);
  add_log_commands(t);
  add_identify_commands(t);
  add_partition_commands(t);
  add_lsa_commands(t);
  add_health_commands(t);
  add_poison_commands(t);
  add_media_commands(t);
  add_security_commands(t);
  add_dcd_commands(t);
  std::sort(t.begin(), t.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.opcode < b.opcode; });
  return t;
}
}  // namespace

std::span<const CommandSpec> memdev_commands() {
  static const std::vector<CommandSpec> kTable = build();
  return kTable;
}

const CommandSpec* find_command(uint16_t opcode) {
  auto t = memdev_commands();
  auto it = std::lower_bound(t.begin(), t.end(), opcode,
                             [](const CommandSpec& c, uint16_t op) { return c.opcode < op; });
  return it != t.end() && it->opcode == opcode ? &*it : nullptr;
}

}  // namespace cxlsim::device
