// Get/Set Partition Info (4100h/4101h, CXL 3.1 §8.2.9.9.2.1-2). The volatile share of the
// partitionable capacity changes at the next reset, or at once with the Immediate flag;
// MemdevCci::volatile_capacity() is the boundary decoders honour.
#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

uint64_t units(Bytes b) { return b.value() / kCapacityUnit; }

// Output (Table 8-131): active volatile, active persistent, next volatile, next persistent.
MboxReturn get_partition_info(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& c = dev.config();
  const auto& p = dev.state().partition;
  put_le(out, 0x00, units(dev.volatile_capacity()), 8);
  put_le(out, 0x08, units(dev.persistent_capacity()), 8);
  const bool pending = p.next_volatile != p.active_volatile;
  put_le(out, 0x10, pending ? units(c.volatile_only + p.next_volatile) : 0, 8);
  put_le(out, 0x18, pending ? units(c.persistent_only + (c.partitionable - p.next_volatile)) : 0, 8);
  return MboxReturn::kSuccess;
}

// Input (Table 8-132): Volatile Partition Capacity (8, 256 MiB units), Flags (1, bit 0
// Immediate), reserved (1).
MboxReturn set_partition_info(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  const auto& c = dev.config();
  if (c.partitionable.value() == 0) return MboxReturn::kUnsupported;
  const uint64_t vol_units = get_u64(in, 0);
  const bool immediate = get_u8(in, 8) & 1;
  const uint64_t align = units(c.partition_alignment);
  if (vol_units > units(c.partitionable) || (align && vol_units % align)) {
    return MboxReturn::kInvalidInput;
  }
  auto& p = dev.state().partition;
  p.next_volatile = Bytes(vol_units * kCapacityUnit);
  if (immediate) p.active_volatile = p.next_volatile;
  return MboxReturn::kSuccess;
}

}  // namespace

void add_partition_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetPartitionInfo, "Get Partition Info", get_partition_info, fixed_input(0),
               0, gate::kNone});
  t.push_back({opcode::kSetPartitionInfo, "Set Partition Info", set_partition_info,
               fixed_input(0x0a),
               effect::kConfigChangeColdReset | effect::kImmediateConfigChange |
                   effect::kImmediateDataChange,
               gate::kUnlocked | gate::kMedia});
}

}  // namespace cxlsim::device
