// The memory device's command set: every CommandSpec from the mbox_*.cc files, sorted by
// opcode. Dispatch (mailbox.cc) and the Command Effects Log (mbox_logs.cc) both read it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "device/mbox_command.h"

namespace cxlsim::device {

// Each command set adds its commands (defined in the matching mbox_<set>.cc).
void add_background_commands(std::vector<CommandSpec>& t);  // mbox_background.cc
void add_event_commands(std::vector<CommandSpec>& t);
void add_firmware_commands(std::vector<CommandSpec>& t);
void add_timestamp_commands(std::vector<CommandSpec>& t);
void add_log_commands(std::vector<CommandSpec>& t);
void add_identify_commands(std::vector<CommandSpec>& t);
void add_partition_commands(std::vector<CommandSpec>& t);
void add_lsa_commands(std::vector<CommandSpec>& t);
void add_health_commands(std::vector<CommandSpec>& t);
void add_poison_commands(std::vector<CommandSpec>& t);
void add_media_commands(std::vector<CommandSpec>& t);
void add_security_commands(std::vector<CommandSpec>& t);
void add_dcd_commands(std::vector<CommandSpec>& t);

// The whole table, sorted by opcode, built once.
std::span<const CommandSpec> memdev_commands();
// The command with this opcode, or nullptr when the device does not implement it.
const CommandSpec* find_command(uint16_t opcode);

}  // namespace cxlsim::device
