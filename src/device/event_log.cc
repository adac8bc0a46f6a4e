#include "device/event_log.h"

#include <algorithm>

namespace cxlsim::device {

void EventLog::add(EventRecord r, uint64_t timestamp_ns) {
  if (records_.size() >= capacity_) {
    if (overflow_count_ == 0) first_overflow_ns_ = timestamp_ns;
    if (overflow_count_ != 0xffff) ++overflow_count_;
    last_overflow_ns_ = timestamp_ns;
    return;
  }
  payload::EventRecord::kHandle.put(r.bytes, next_handle_);
  payload::EventRecord::kTimestamp.put(r.bytes, timestamp_ns);
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
  using L = payload::EventRecord;
  EventRecord r;
  std::copy(uuid.begin(), uuid.end(), L::kUuid.in(r.bytes).begin());
  L::kLength.put(r.bytes, kEventRecordSize);
  L::kFlags.put(r.bytes, static_cast<uint8_t>((severity & 3) | extra_flags));
  return r;
}

EventRecord make_general_media_event(uint8_t severity, uint64_t dpa, bool volatile_dpa,
                                     bool uncorrectable, uint8_t memory_event_type,
                                     GmTransaction transaction) {
  EventRecord r = make_event_record(kGeneralMediaEventUuid, severity);
  using L = payload::GeneralMediaEvent;
  L::kDpa.put(r.bytes, (dpa & ~uint64_t{0x3f}) | (volatile_dpa ? 1 : 0));
  L::kDescriptor.put(r.bytes, uncorrectable ? 1 : 0);
  L::kType.put(r.bytes, memory_event_type);
  L::kTransactionType.put(r.bytes, static_cast<uint8_t>(transaction));
  return r;
}

EventRecord make_memory_module_event(uint8_t severity, ModuleEventType type,
                                     std::span<const uint8_t> health_info) {
  EventRecord r = make_event_record(kMemoryModuleEventUuid, severity);
  using L = payload::MemoryModuleEvent;
  L::kType.put(r.bytes, static_cast<uint8_t>(type));
  const auto dst = L::kHealthInfo.in(r.bytes);
  std::copy_n(health_info.begin(), std::min(health_info.size(), dst.size()), dst.begin());
  return r;
}

EventRecord make_dc_event(DcEventType type, uint8_t region_index, bool more, uint64_t dpa,
                          uint64_t length, const Uuid& tag, uint32_t avail_extents,
                          uint32_t avail_tags) {
  EventRecord r = make_event_record(kDynamicCapacityEventUuid, 0);
  using L = payload::DcEvent;
  L::kType.put(r.bytes, static_cast<uint8_t>(type));
  L::kRegionIndex.put(r.bytes, region_index);
  L::kFlags.put(r.bytes, more ? 1 : 0);
  L::kExtentDpa.put(r.bytes, dpa);
  L::kExtentLength.put(r.bytes, length);
  std::copy(tag.begin(), tag.end(), L::kExtentTag.in(r.bytes).begin());
  L::kAvailableExtents.put(r.bytes, avail_extents);
  L::kAvailableTags.put(r.bytes, avail_tags);
  return r;
}

}  // namespace cxlsim::device
