// Identify Memory Device (4000h, CXL 3.1 §8.2.9.9.1.1, Table 8-127).
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

uint64_t units(Bytes b) { return b.value() / kCapacityUnit; }

MboxReturn identify_memdev(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& c = dev.config();
  using L = payload::Identify;
  out.assign(L::kSize, 0);
  L::kFwRevision.put(
      out, std::span(reinterpret_cast<const uint8_t*>(c.fw_revision.data()), c.fw_revision.size()));
  L::kTotalCapacity.put(out, units(c.static_capacity()));
  L::kVolatileOnly.put(out, units(c.volatile_only));
  L::kPersistentOnly.put(out, units(c.persistent_only));
  L::kPartitionAlignment.put(out, c.partitionable.value() ? units(c.partition_alignment) : 0);
  for (const LeField& f : {L::kInfoEventLogSize, L::kWarningEventLogSize, L::kFailureEventLogSize,
                           L::kFatalEventLogSize}) {
    f.put(out, c.event_log_capacity);
  }
  L::kLsaSize.put(out, c.lsa_size.value());
  L::kPoisonListMaxRecords.put(out, c.poison_list_max);
  L::kInjectPoisonLimit.put(out, c.inject_poison_limit);
  L::kPoisonHandling.put(out, 0x03);  // injects persistent poison, scans for poison
  L::kQosTelemetry.put(out, 0);       // none
  L::kDcEventLogSize.put(out, c.dc_regions.empty() ? 0 : c.event_log_capacity);
  return MboxReturn::kSuccess;
}

}  // namespace

void add_identify_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kIdentifyMemoryDevice, "Identify Memory Device", identify_memdev,
               fixed_input(0), 0, gate::kNone});
}

}  // namespace cxlsim::device
