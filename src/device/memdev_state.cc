#include "device/memdev_state.h"

namespace cxlsim::device {

Bytes MemdevCciConfig::dpa_span() const {
  uint64_t end = static_capacity().value();
  for (const auto& r : dc_regions) end = std::max(end, r.base + r.length);
  return Bytes(end);
}

uint32_t SecurityState::encode() const {
  uint32_t v = 0;
  if (user) v |= 1u << 0;
  if (master) v |= 1u << 1;
  if (locked) v |= 1u << 2;
  if (frozen) v |= 1u << 3;
  if (user_attempts >= kPassphraseAttemptLimit) v |= 1u << 4;
  if (master_attempts >= kPassphraseAttemptLimit) v |= 1u << 5;
  return v;
}

namespace {
std::array<EventLog, kEventLogCount> make_logs(size_t cap) {
  return {EventLog(cap), EventLog(cap), EventLog(cap), EventLog(cap), EventLog(cap)};
}
}  // namespace

MemdevState::MemdevState(const MemdevCciConfig& c)
    : poison(c.poison_list_max), events(make_logs(c.event_log_capacity)) {
  partition.active_volatile = partition.next_volatile = c.initial_partition_volatile;
  dc.regions = c.dc_regions;
  dc.max_extents = c.dc_max_extents;
}

}  // namespace cxlsim::device
