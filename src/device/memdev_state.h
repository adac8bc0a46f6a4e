// What the memory-device command set changes (CXL 3.1 §8.2.9.9), as plain data: partitions,
// health and alerts, shutdown state, security, poison, event logs, dynamic
// capacity. MemdevCci owns one MemdevState; memdev_state_file.h persists it. The label storage
// area is not here: it is read and written by range where it lives (label_storage.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "device/dynamic_capacity.h"
#include "device/event_log.h"
#include "device/passphrase_hash.h"
#include "device/poison_list.h"
#include "spec/units.h"

namespace cxlsim::device {

// Capacities are reported in multiples of 256 MiB (§8.2.9.9.1.1).
inline constexpr uint64_t kCapacityUnit = uint64_t{256} << 20;

// Fixed properties of a device, chosen when it is built (from the topology).
struct MemdevCciConfig {
  uint64_t serial = 0;
  uint16_t vendor_id = 0x8086;  // as QEMU's cxl-type3
  uint16_t device_id = 0x0d93;
  std::string fw_revision = "cxlsim-0.1.0";
  Bytes volatile_only;    // capacity that is always volatile
  Bytes persistent_only;  // capacity that is always persistent
  Bytes partitionable;    // capacity Set Partition Info divides; 0: not partitionable
  Bytes partition_alignment = Bytes(kCapacityUnit);
  Bytes initial_partition_volatile;  // volatile share of `partitionable` on first start
  Bytes lsa_size;
  unsigned payload_size_log2 = 11;  // 2 KiB; 8 (256 B) .. 20 (1 MiB), §8.2.8.4.3
  size_t event_log_capacity = 64;   // records per log
  size_t poison_list_max = 256;     // media error records
  uint16_t inject_poison_limit = 32;
  std::vector<DcRegion> dc_regions;  // bases are assigned after the static capacity
  uint32_t dc_max_extents = 64;
  Bandwidth scan_rate = Bandwidth::gb_per_second(1.0);      // Scan Media progress
  Bandwidth sanitize_rate = Bandwidth::gb_per_second(4.0);  // Sanitize/Secure Erase progress

  [[nodiscard]] Bytes static_capacity() const {
    return volatile_only + persistent_only + partitionable;
  }
  // End of the DPA space (static capacity, then DC regions).
  [[nodiscard]] Bytes dpa_span() const;
  [[nodiscard]] size_t payload_size() const { return size_t{1} << payload_size_log2; }
};

struct HealthState {
  uint8_t health_status = 0;  // bit 0 maintenance needed, 1 performance degraded, 2 replace
  uint8_t media_status = 0;   // Table 8-128 Media Status; 0 normal
  uint8_t life_used = 0;      // percent
  int16_t temperature = 25;   // degrees Celsius
  uint32_t dirty_shutdown_count = 0;
  uint32_t corrected_volatile_errors = 0;
  uint32_t corrected_persistent_errors = 0;
  bool operator==(const HealthState&) const = default;
};

// Alert configuration (§8.2.9.9.3.2, Table 8-130). Bits of valid/programmable: 0 life used,
// 1 over-temperature, 2 under-temperature, 3 corrected volatile, 4 corrected persistent.
struct AlertConfig {
  uint8_t valid = 0;
  uint8_t programmable = 0x1f;
  uint8_t life_used_critical = 90;
  uint8_t life_used_warning = 75;
  int16_t over_temp_critical = 85;
  int16_t under_temp_critical = -10;
  int16_t over_temp_warning = 75;
  int16_t under_temp_warning = 0;
  uint16_t corrected_volatile_warning = 100;
  uint16_t corrected_persistent_warning = 100;
  bool operator==(const AlertConfig&) const = default;
};

inline constexpr uint8_t kPassphraseAttemptLimit = 5;

// Persistent Memory Data-at-rest Security (§8.2.9.9.6).
struct SecurityState {
  std::optional<PassphraseHash> user;  // set passphrases, hashed (passphrase_hash.h)
  std::optional<PassphraseHash> master;
  bool locked = false;
  bool frozen = false;
  uint8_t user_attempts = 0;
  uint8_t master_attempts = 0;
  // Get Security State bits (Table 8-144).
  [[nodiscard]] uint32_t encode() const;
  bool operator==(const SecurityState&) const = default;
};

// Split of the partitionable capacity; the volatile share. `next` takes effect at reset.
struct PartitionState {
  Bytes active_volatile;
  Bytes next_volatile;
  bool operator==(const PartitionState&) const = default;
};

// Results of the last Scan Media (§8.2.9.9.4.6).
struct ScanMediaResults {
  bool valid = false;
  uint64_t restart_dpa = 0;
  uint64_t restart_length = 0;  // bytes
  bool stopped_prematurely = false;
  std::vector<PoisonRecord> records;
};

// Host-set timestamp (§8.2.9.4): value at the device time it was set.
struct TimestampState {
  bool set = false;
  uint64_t value_ns = 0;
  Duration set_at;
};

struct MemdevState {
  explicit MemdevState(const MemdevCciConfig& c);
  PartitionState partition;
  HealthState health;
  AlertConfig alerts;
  bool shutdown_dirty = false;
  SecurityState security;
  PoisonList poison;
  std::array<EventLog, kEventLogCount> events;
  std::array<uint8_t, kEventLogCount> interrupt_policy{};  // Table 8-63 settings bytes
  DynamicCapacity dc;
  ScanMediaResults scan;
  TimestampState timestamp;
  // The device's own clock (MemdevCci::now()); kept so time runs on across restarts.
  Duration device_time;
  // Intent record: the opcode of a command that changes media or label storage (which this
  // state does not hold), saved before the command starts and cleared with its result. Nonzero
  // when loaded: the command was cut off by a crash or power loss
  // (MemdevCci::recover_interrupted_operation).
  uint16_t media_operation = 0;
};

}  // namespace cxlsim::device
