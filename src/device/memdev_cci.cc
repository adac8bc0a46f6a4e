#include "device/memdev_cci.h"

#include <algorithm>
#include <utility>

#include "device/mbox_command.h"
#include "device/mbox_payloads.h"

namespace cxlsim::device {

std::string_view media_access_name(MediaAccess a) {
  switch (a) {
    case MediaAccess::kOk:
      return "ok";
    case MediaAccess::kPoisoned:
      return "poisoned";
    case MediaAccess::kLocked:
      return "locked";
    case MediaAccess::kMediaDisabled:
      return "media disabled";
    case MediaAccess::kOutOfRange:
      return "out of range";
    case MediaAccess::kNoCapacity:
      return "no dynamic capacity";
  }
  return "?";
}

MemdevCci::MemdevCci(const MemdevCciConfig& config, Media& media)
    : MemdevCci(config, media, MemdevState(config)) {}

MemdevCci::MemdevCci(MemdevCciConfig config, Media& media, MemdevState state)
    : config_(std::move(config)),
      media_(media),
      state_(std::move(state)),
      mailbox_(*this),
      registers_(*this),
      lsa_(config_.lsa_size) {}

void MemdevCci::advance(Duration d) {
  state_.device_time += d;
  mailbox_.poll(state_.device_time);
}

Duration MemdevCci::run_background_to_completion() {
  const Duration start = now();
  // Advance in 1% steps so progress is observable, then exactly to completion.
  while (mailbox_.background_running()) {
    advance(Duration::ps(1'000'000'000));  // 1 ms
  }
  return now() - start;
}

uint64_t MemdevCci::timestamp_ns() const {
  const Duration t = now();
  const auto since = static_cast<uint64_t>((t - state_.timestamp.set_at).picoseconds() / 1000);
  return state_.timestamp.set ? state_.timestamp.value_ns + since
                              : static_cast<uint64_t>(t.picoseconds() / 1000);
}

void MemdevCci::reset(ResetKind kind) {
  mailbox_.cancel_for_reset();
  media_disabled_ = false;
  state_.partition.active_volatile = state_.partition.next_volatile;
  auto& sec = state_.security;
  sec.frozen = false;
  sec.user_attempts = sec.master_attempts = 0;
  if (kind == ResetKind::kCold) {
    // Power cycle: a set user passphrase locks the device; a dirty shutdown is counted.
    if (sec.user) sec.locked = true;
    state_.timestamp = TimestampState{};
    if (state_.shutdown_dirty) {
      HealthState h = state_.health;
      ++h.dirty_shutdown_count;
      update_health(h);
    }
  }
}

bool MemdevCci::changes_media(uint16_t opcode) {
  return opcode == opcode::kSanitize || opcode == opcode::kSecureErase ||
         opcode == opcode::kPassphraseSecureErase || opcode == opcode::kSetLsa;
}

void MemdevCci::erase_user_data(bool labels) {
  media_.erase(Dpa(0), media_.capacity());
  state_.poison.clear_all();
  state_.scan = ScanMediaResults{};
  if (labels) lsa_.erase();
}

uint16_t MemdevCci::recover_interrupted_operation() {
  const uint16_t op = std::exchange(state_.media_operation, uint16_t{0});
  if (op == 0) return 0;
  if (op == opcode::kSanitize || op == opcode::kSecureErase ||
      op == opcode::kPassphraseSecureErase) {
    erase_user_data(op == opcode::kSanitize);
  }
  HealthState h = state_.health;
  ++h.dirty_shutdown_count;
  update_health(h);
  if (op == opcode::kSetLsa) {
    add_event(EventLogType::kWarning,
              make_memory_module_event(1, ModuleEventType::kLsaError, health_info()));
  }
  return op;
}

Bytes MemdevCci::volatile_capacity() const {
  return config_.volatile_only + state_.partition.active_volatile;
}

Bytes MemdevCci::persistent_capacity() const {
  return config_.persistent_only + (config_.partitionable - state_.partition.active_volatile);
}

MediaAccess MemdevCci::check_access(Dpa dpa, Bytes len) const {
  const uint64_t a = dpa.value();
  if (len.value() > config_.dpa_span().value() || a > config_.dpa_span().value() - len.value() ||
      a + len.value() > media_.capacity().value()) {
    return MediaAccess::kOutOfRange;
  }
  if (media_disabled_) return MediaAccess::kMediaDisabled;
  if (state_.security.locked) return MediaAccess::kLocked;
  if (a >= config_.static_capacity().value() && !state_.dc.accepted_covers(a, len.value())) {
    return MediaAccess::kNoCapacity;
  }
  if (state_.poison.poisoned(a, len.value())) return MediaAccess::kPoisoned;
  return MediaAccess::kOk;
}

MediaAccess MemdevCci::read(Dpa dpa, std::span<uint8_t> out) {
  const MediaAccess a = check_access(dpa, Bytes(out.size()));
  if (a != MediaAccess::kOk && a != MediaAccess::kPoisoned) return a;
  media_.read(dpa, out);
  if (a == MediaAccess::kPoisoned) {
    // Poison consumed by a host read: a General Media Event per poisoned record touched.
    for (const auto& r : state_.poison.overlapping(dpa.value(), out.size())) {
      const bool vol = r.dpa < volatile_capacity().value();
      add_event(EventLogType::kFailure,
                make_general_media_event(2, std::max(r.dpa, dpa.value()), vol, true, 0,
                                         GmTransaction::kHostRead));
    }
  }
  return a;
}

MediaAccess MemdevCci::write(Dpa dpa, std::span<const uint8_t> in) {
  const MediaAccess a = check_access(dpa, Bytes(in.size()));
  if (a != MediaAccess::kOk && a != MediaAccess::kPoisoned) return a;
  // A write does not clear poison; only Clear Poison does (§8.2.9.9.4.3).
  media_.write(dpa, in);
  return a;
}

void MemdevCci::add_event(EventLogType log, const EventRecord& r) {
  state_.events[static_cast<size_t>(log)].add(r, timestamp_ns());
}

uint64_t MemdevCci::event_status() const {
  uint64_t v = 0;
  for (size_t i = 0; i < kEventLogCount; ++i) {
    if (!state_.events[i].records().empty()) v |= uint64_t{1} << i;
  }
  return v;
}

void MemdevCci::report_media_error(Dpa dpa, Bytes len, GmTransaction how) {
  const uint64_t a = dpa.value() & ~(kPoisonGranule - 1);
  const uint64_t end = (dpa.value() + len.value() + kPoisonGranule - 1) & ~(kPoisonGranule - 1);
  state_.poison.add(a, end - a, PoisonSource::kInternal, timestamp_ns());
  add_event(EventLogType::kFailure,
            make_general_media_event(2, a, a < volatile_capacity().value(), true, 0, how));
}

namespace {
// Additional Status field of Get Health Info (Table 8-128): 0 normal, 1 warning, 2 critical.
uint8_t life_level(const HealthState& h, const AlertConfig& a) {
  if (h.life_used >= a.life_used_critical) return 2;
  if ((a.valid & 1) && h.life_used >= a.life_used_warning) return 1;
  return 0;
}
uint8_t temp_level(const HealthState& h, const AlertConfig& a) {
  if (h.temperature >= a.over_temp_critical || h.temperature <= a.under_temp_critical) return 2;
  if ((a.valid & 2) && h.temperature >= a.over_temp_warning) return 1;
  if ((a.valid & 4) && h.temperature <= a.under_temp_warning) return 1;
  return 0;
}
}  // namespace

MemdevCci::HealthInfo MemdevCci::health_info() const {
  using L = payload::HealthInfo;
  const auto& h = state_.health;
  const auto& a = state_.alerts;
  HealthInfo b{};
  L::kHealthStatus.put(b, h.health_status);
  L::kMediaStatus.put(b, h.media_status);
  auto add = static_cast<uint8_t>(life_level(h, a) | temp_level(h, a) << 2);
  if ((a.valid & 8) && h.corrected_volatile_errors >= a.corrected_volatile_warning) add |= 1u << 4;
  if ((a.valid & 16) && h.corrected_persistent_errors >= a.corrected_persistent_warning) {
    add |= 1u << 5;
  }
  L::kAdditionalStatus.put(b, add);
  L::kLifeUsed.put(b, h.life_used);
  L::kTemperature.put(b, static_cast<uint16_t>(h.temperature));
  L::kDirtyShutdownCount.put(b, h.dirty_shutdown_count);
  L::kCorrectedVolatileErrors.put(b, h.corrected_volatile_errors);
  L::kCorrectedPersistentErrors.put(b, h.corrected_persistent_errors);
  return b;
}

void MemdevCci::update_health(const HealthState& h) {
  const auto before = health_info();
  const HealthState old = state_.health;
  state_.health = h;
  const auto after = health_info();
  if (before == after) return;
  const auto status = [](const HealthInfo& b) {
    return payload::HealthInfo::kAdditionalStatus.get(b);
  };
  const uint64_t was = status(before), now = status(after);
  ModuleEventType type = ModuleEventType::kHealthStatusChange;
  if (old.media_status != h.media_status) {
    type = ModuleEventType::kMediaStatusChange;
  } else if ((was & 3) != (now & 3)) {
    type = ModuleEventType::kLifeUsedChange;
  } else if (((was >> 2) & 3) != ((now >> 2) & 3)) {
    type = ModuleEventType::kTemperatureChange;
  }
  // Severity: warning when an alert level or health status rose, informational otherwise.
  const bool worse = payload::HealthInfo::kHealthStatus.get(after) >
                         payload::HealthInfo::kHealthStatus.get(before) ||
                     now > was || h.dirty_shutdown_count > old.dirty_shutdown_count;
  add_event(worse ? EventLogType::kWarning : EventLogType::kInformational,
            make_memory_module_event(worse ? 1 : 0, type, after));
}

MboxReturn MemdevCci::offer_dc_extents(const std::vector<DcExtent>& extents) {
  auto& dc = state_.dc;
  for (const auto& e : extents) {
    const auto region = dc.region_of(e.dpa, e.length);
    if (!region || e.length == 0 || e.dpa % dc.regions[*region].block_size ||
        e.length % dc.regions[*region].block_size) {
      return MboxReturn::kInvalidPhysicalAddress;
    }
    for (const auto& o : dc.accepted) {
      if (o.overlaps(e.dpa, e.length)) return MboxReturn::kInvalidExtentList;
    }
    for (const auto& o : dc.pending) {
      if (o.overlaps(e.dpa, e.length)) return MboxReturn::kInvalidExtentList;
    }
  }
  if (dc.accepted.size() + dc.pending.size() + extents.size() > dc.max_extents) {
    return MboxReturn::kResourcesExhausted;
  }
  for (size_t i = 0; i < extents.size(); ++i) {
    const auto& e = extents[i];
    dc.pending.push_back(e);
    const auto avail =
        static_cast<uint32_t>(dc.max_extents - dc.accepted.size() - dc.pending.size());
    add_event(EventLogType::kDynamicCapacity,
              make_dc_event(DcEventType::kAddCapacity,
                            static_cast<uint8_t>(*dc.region_of(e.dpa, e.length)),
                            i + 1 < extents.size(), e.dpa, e.length, e.tag, avail, 0));
  }
  return MboxReturn::kSuccess;
}

MboxReturn MemdevCci::request_dc_release(const DcExtent& e) {
  auto& dc = state_.dc;
  const auto region = dc.region_of(e.dpa, e.length);
  if (!region) return MboxReturn::kInvalidPhysicalAddress;
  if (!dc.accepted_covers(e.dpa, e.length)) return MboxReturn::kInvalidExtentList;
  add_event(EventLogType::kDynamicCapacity,
            make_dc_event(
                DcEventType::kReleaseCapacity, static_cast<uint8_t>(*region), false, e.dpa,
                e.length, e.tag,
                static_cast<uint32_t>(dc.max_extents - dc.accepted.size() - dc.pending.size()), 0));
  return MboxReturn::kSuccess;
}

}  // namespace cxlsim::device
