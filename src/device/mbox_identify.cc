// Identify Memory Device (4000h, CXL 3.1 §8.2.9.9.1.1, Table 8-127).
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

uint64_t units(Bytes b) { return b.value() / kCapacityUnit; }

MboxReturn identify_memdev(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& c = dev.config();
  out.assign(0x45, 0);
  std::copy_n(c.fw_revision.begin(), std::min<size_t>(c.fw_revision.size(), 16), out.begin());
  put_le(out, 0x10, units(c.static_capacity()), 8);
  put_le(out, 0x18, units(c.volatile_only), 8);
  put_le(out, 0x20, units(c.persistent_only), 8);
  put_le(out, 0x28, c.partitionable.value() ? units(c.partition_alignment) : 0, 8);
  for (size_t i = 0; i < 4; ++i) put_le(out, 0x30 + 2 * i, c.event_log_capacity, 2);
  put_le(out, 0x38, c.lsa_size.value(), 4);
  put_le(out, 0x3c, c.poison_list_max, 3);
  put_le(out, 0x3f, c.inject_poison_limit, 2);
  put_le(out, 0x41, 0x03, 1);  // Poison Handling: injects persistent poison, scans for poison
  put_le(out, 0x42, 0, 1);     // QoS telemetry: none
  put_le(out, 0x43, c.dc_regions.empty() ? 0 : c.event_log_capacity, 2);  // DC event log size
  return MboxReturn::kSuccess;
}

}  // namespace

void add_identify_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kIdentifyMemoryDevice, "Identify Memory Device", identify_memdev,
               fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
