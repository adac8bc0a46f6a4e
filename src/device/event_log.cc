#include "device/event_log.h"

#include <algorithm>

namespace cxlsim::device {

namespace {
void put(EventRecord& r, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) r.bytes[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void EventLog::add(EventRecord r, uint64_t timestamp_ns) {
  if (records_.size() >= capacity_) {
    if (overflow_count_ == 0) first_overflow_ns_ = timestamp_ns;
    if (overflow_count_ != 0xffff) ++overflow_count_;
    last_overflow_ns_ = timestamp_ns;
    return;
  }
  put(r, 0x14, next_handle_, 2);
  put(r, 0x18, timestamp_ns, 8);
  next_handle_ = static_cast<uint16_t>(next_handle_ == 0xffff ? 1 : next_handle_ + 1);
  records_.push_back(r);
}

bool EventLog::remove(uint16_t handle) {
  auto it = std::find_if(records_.begin(), records_.end(),
                         [&](const EventRecord& r) { return r.handle() == handle; });
  if (it == records_.end()) return false;
  records_.erase(it);
  // Overflow is cleared once the host has made room (§8.2.9.2.3).
  if (records_.empty()) overflow_count_ = 0;
  return true;
}

void EventLog::clear_all() {
  records_.clear();
  overflow_count_ = 0;
  first_overflow_ns_ = last_overflow_ns_ = 0;
}

void EventLog::restore(std::deque<EventRecord> recs, uint16_t next_handle, uint16_t overflow_count,
                       uint64_t first_ns, uint64_t last_ns) {
  records_ = std::move(recs);
  while (records_.size() > capacity_) records_.pop_front();
  next_handle_ = next_handle == 0 ? 1 : next_handle;
  overflow_count_ = overflow_count;
  first_overflow_ns_ = first_ns;
  last_overflow_ns_ = last_ns;
}

EventRecord make_event_record(const Uuid& uuid, uint8_t severity, uint8_t extra_flags) {
  EventRecord r;
  std::copy(uuid.begin(), uuid.end(), r.bytes.begin());
  r.bytes[0x10] = kEventRecordSize;
  r.bytes[0x11] = static_cast<uint8_t>((severity & 3) | extra_flags);
  return r;
}

EventRecord make_general_media_event(uint8_t severity, uint64_t dpa, bool volatile_dpa,
                                     bool uncorrectable, uint8_t memory_event_type,
                                     GmTransaction transaction) {
  EventRecord r = make_event_record(kGeneralMediaEventUuid, severity);
  put(r, 0x30, (dpa & ~uint64_t{0x3f}) | (volatile_dpa ? 1 : 0), 8);
  r.bytes[0x38] = uncorrectable ? 1 : 0;
  r.bytes[0x39] = memory_event_type;
  r.bytes[0x3a] = static_cast<uint8_t>(transaction);
  return r;
}

EventRecord make_memory_module_event(uint8_t severity, ModuleEventType type,
                                     std::span<const uint8_t> health_info) {
  EventRecord r = make_event_record(kMemoryModuleEventUuid, severity);
  r.bytes[0x30] = static_cast<uint8_t>(type);
  for (size_t i = 0; i < health_info.size() && i < 0x12; ++i) r.bytes[0x31 + i] = health_info[i];
  return r;
}

EventRecord make_dc_event(DcEventType type, uint8_t region_index, bool more, uint64_t dpa,
                          uint64_t length, const Uuid& tag, uint32_t avail_extents,
                          uint32_t avail_tags) {
  EventRecord r = make_event_record(kDynamicCapacityEventUuid, 0);
  r.bytes[0x30] = static_cast<uint8_t>(type);
  r.bytes[0x34] = region_index;
  r.bytes[0x35] = more ? 1 : 0;
  put(r, 0x38, dpa, 8);
  put(r, 0x40, length, 8);
  std::copy(tag.begin(), tag.end(), r.bytes.begin() + 0x48);
  put(r, 0x78, avail_extents, 4);
  put(r, 0x7c, avail_tags, 4);
  return r;
}

}  // namespace cxlsim::device
