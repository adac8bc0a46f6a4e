// Device event logs (CXL 3.1 §8.2.9.2): five logs (Informational, Warning, Failure, Fatal,
// Dynamic Capacity) of 128-byte event records, each with a device-assigned handle. Records are
// stored as their wire bytes; builders for the record formats the model emits are below.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "device/mbox_payload.h"
#include "device/mbox_payloads.h"

namespace cxlsim::device {

enum class EventLogType : uint8_t {
  kInformational = 0,
  kWarning = 1,
  kFailure = 2,
  kFatal = 3,
  kDynamicCapacity = 4
};
inline constexpr size_t kEventLogCount = 5;
inline constexpr size_t kEventRecordSize = payload::EventRecord::kSize;

// Event record UUIDs (CXL 3.1 Tables 8-45, 8-48, 8-50).
inline constexpr Uuid kGeneralMediaEventUuid = {0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
                                                0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6};
inline constexpr Uuid kMemoryModuleEventUuid = {0xfe, 0x92, 0x74, 0x75, 0xdd, 0x59, 0x43, 0x39,
                                                0xa5, 0x86, 0x79, 0xba, 0xb1, 0x13, 0xb7, 0x74};
inline constexpr Uuid kDynamicCapacityEventUuid = {0xca, 0x95, 0xaf, 0xa7, 0xf1, 0x83, 0x40, 0x18,
                                                   0x8c, 0x2f, 0x95, 0x26, 0x8e, 0x10, 0x1a, 0x2a};

struct EventRecord {
  std::array<uint8_t, kEventRecordSize> bytes{};
  [[nodiscard]] uint16_t handle() const {
    return static_cast<uint16_t>(payload::EventRecord::kHandle.get(bytes));
  }
};

// One log: a bounded FIFO. When full, new records are dropped and counted as overflow
// (§8.2.9.2.2 Overflow flags/count and first/last overflow timestamps).
class EventLog {
 public:
  explicit EventLog(size_t capacity = 64) : capacity_(capacity) {}
  // Appends a record, assigning its handle (non-zero, wrapping) and timestamp.
  void add(EventRecord r, uint64_t timestamp_ns);
  [[nodiscard]] const std::deque<EventRecord>& records() const { return records_; }
  // Removes the record with this handle; false when absent.
  bool remove(uint16_t handle);
  void clear_all();
  [[nodiscard]] size_t capacity() const { return capacity_; }
  [[nodiscard]] uint16_t overflow_count() const { return overflow_count_; }
  [[nodiscard]] uint64_t first_overflow_ns() const { return first_overflow_ns_; }
  [[nodiscard]] uint64_t last_overflow_ns() const { return last_overflow_ns_; }
  [[nodiscard]] uint16_t next_handle() const { return next_handle_; }
  // Restores from persisted state.
  void restore(std::deque<EventRecord> recs, uint16_t next_handle, uint16_t overflow_count,
               uint64_t first_ns, uint64_t last_ns);

 private:
  size_t capacity_;
  std::deque<EventRecord> records_;
  uint16_t next_handle_ = 1;
  uint16_t overflow_count_ = 0;
  uint64_t first_overflow_ns_ = 0;
  uint64_t last_overflow_ns_ = 0;
};

// Common record header (Table 8-43): UUID, length 128, flags (severity in bits 1:0).
EventRecord make_event_record(const Uuid& uuid, uint8_t severity, uint8_t extra_flags = 0);

// General Media Event (Table 8-45).
enum class GmTransaction : uint8_t {
  kUnknown = 0,
  kHostRead = 1,
  kHostWrite = 2,
  kHostScanMedia = 3,
  kHostInjectPoison = 4,
  kInternalMediaScrub = 5,
  kInternalMediaManagement = 6
};
EventRecord make_general_media_event(uint8_t severity, uint64_t dpa, bool volatile_dpa,
                                     bool uncorrectable, uint8_t memory_event_type,
                                     GmTransaction transaction);

// Memory Module Event (Table 8-48) carrying the Get Health Info payload (18 bytes).
enum class ModuleEventType : uint8_t {
  kHealthStatusChange = 0,
  kMediaStatusChange = 1,
  kLifeUsedChange = 2,
  kTemperatureChange = 3,
  kDataPathError = 4,
  kLsaError = 5
};
EventRecord make_memory_module_event(uint8_t severity, ModuleEventType type,
                                     std::span<const uint8_t> health_info);

// Dynamic Capacity Event (Table 8-50).
enum class DcEventType : uint8_t {
  kAddCapacity = 0,
  kReleaseCapacity = 1,
  kForcedCapacityRelease = 2,
  kRegionConfigurationUpdated = 3,
  kAddCapacityResponse = 4,
  kCapacityReleased = 5
};
EventRecord make_dc_event(DcEventType type, uint8_t region_index, bool more, uint64_t dpa,
                          uint64_t length, const Uuid& tag, uint32_t avail_extents,
                          uint32_t avail_tags);

}  // namespace cxlsim::device
