// Get/Set Partition Info (4100h/4101h, CXL 3.1 §8.2.9.9.2.1-2). The volatile share of the
// partitionable capacity changes at the next reset, or at once with the Immediate flag;
// MemdevCci::volatile_capacity() is the boundary decoders honour.
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

uint64_t units(Bytes b) { return b.value() / kCapacityUnit; }

// Output (Table 8-131): active volatile, active persistent, next volatile, next persistent.
MboxReturn get_partition_info(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& c = dev.config();
  const auto& p = dev.state().partition;
  using L = payload::PartitionInfo;
  L::kActiveVolatile.put(out, units(dev.volatile_capacity()));
  L::kActivePersistent.put(out, units(dev.persistent_capacity()));
  const bool pending = p.next_volatile != p.active_volatile;
  L::kNextVolatile.put(out, pending ? units(c.volatile_only + p.next_volatile) : 0);
  L::kNextPersistent.put(
      out, pending ? units(c.persistent_only + (c.partitionable - p.next_volatile)) : 0);
  return MboxReturn::kSuccess;
}

// Input (Table 8-132): Volatile Partition Capacity (8, 256 MiB units), Flags (1, bit 0
// Immediate), reserved (1).
MboxReturn set_partition_info(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  const auto& c = dev.config();
  if (c.partitionable.value() == 0) return MboxReturn::kUnsupported;
  using L = payload::SetPartitionInfo;
  const uint64_t vol_units = L::kVolatileCapacity.get(in);
  const bool immediate = L::kFlags.get(in) & 1;
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
               fixed_input(payload::SetPartitionInfo::kSize),
               effect::kConfigChangeColdReset | effect::kImmediateConfigChange |
                   effect::kImmediateDataChange,
               gate::kUnlocked | gate::kMedia});
}

}  // namespace cxlsim::device
