// Health Information and Alerts (CXL 3.1 §8.2.9.9.3): Get Health Info (4200h), Get/Set Alert
// Configuration (4201h/4202h), Get/Set Shutdown State (4203h/4204h).
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

MboxReturn get_health_info(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto h = dev.health_info();
  out.assign(h.begin(), h.end());
  return MboxReturn::kSuccess;
}

// Output (Table 8-130).
MboxReturn get_alert_config(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  using L = payload::AlertConfig;
  const auto& a = dev.state().alerts;
  L::kValidAlerts.put(out, a.valid);
  L::kProgrammableAlerts.put(out, a.programmable);
  L::kLifeUsedCritical.put(out, a.life_used_critical);
  L::kLifeUsedWarning.put(out, a.life_used_warning);
  L::kOverTempCritical.put(out, static_cast<uint16_t>(a.over_temp_critical));
  L::kUnderTempCritical.put(out, static_cast<uint16_t>(a.under_temp_critical));
  L::kOverTempWarning.put(out, static_cast<uint16_t>(a.over_temp_warning));
  L::kUnderTempWarning.put(out, static_cast<uint16_t>(a.under_temp_warning));
  L::kCorrectedVolatileWarning.put(out, a.corrected_volatile_warning);
  L::kCorrectedPersistentWarning.put(out, a.corrected_persistent_warning);
  return MboxReturn::kSuccess;
}

// Input (Table 8-131): Valid Alert Actions (1), Enable Alert Actions (1), Life Used warning (1),
// reserved (1), Over-Temp warning (2), Under-Temp warning (2), Corrected Volatile (2),
// Corrected Persistent (2). A warning threshold must lie on the safe side of its critical one.
MboxReturn set_alert_config(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  using L = payload::SetAlertConfig;
  AlertConfig a = dev.state().alerts;
  const auto valid = static_cast<uint8_t>(L::kValidAlertActions.get(in));
  const auto enable = static_cast<uint8_t>(L::kEnableAlertActions.get(in));
  if (valid & ~a.programmable) return MboxReturn::kInvalidInput;
  auto apply = [&](unsigned bit) {
    if (!(valid & (1u << bit))) return false;
    if (enable & (1u << bit)) {
      a.valid |= static_cast<uint8_t>(1u << bit);
    } else {
      a.valid &= static_cast<uint8_t>(~(1u << bit));
    }
    return true;
  };
  if (apply(0)) a.life_used_warning = static_cast<uint8_t>(L::kLifeUsedWarning.get(in));
  if (apply(1)) a.over_temp_warning = static_cast<int16_t>(L::kOverTempWarning.get(in));
  if (apply(2)) a.under_temp_warning = static_cast<int16_t>(L::kUnderTempWarning.get(in));
  if (apply(3)) {
    a.corrected_volatile_warning = static_cast<uint16_t>(L::kCorrectedVolatileWarning.get(in));
  }
  if (apply(4)) {
    a.corrected_persistent_warning = static_cast<uint16_t>(L::kCorrectedPersistentWarning.get(in));
  }
  if (a.life_used_warning >= a.life_used_critical || a.over_temp_warning >= a.over_temp_critical ||
      a.under_temp_warning <= a.under_temp_critical) {
    return MboxReturn::kInvalidInput;
  }
  // Re-evaluating health against the new thresholds may raise a Memory Module Event.
  const auto before = dev.health_info();
  dev.state().alerts = a;
  const auto after = dev.health_info();
  if (after != before) {
    const auto status = [](const MemdevCci::HealthInfo& h) {
      return payload::HealthInfo::kAdditionalStatus.get(h);
    };
    const bool worse = status(after) > status(before);
    dev.add_event(
        worse ? EventLogType::kWarning : EventLogType::kInformational,
        make_memory_module_event(worse ? 1 : 0, ModuleEventType::kHealthStatusChange, after));
  }
  return MboxReturn::kSuccess;
}

// Output/Input (Tables 8-132/8-133): bit 0 Dirty Shutdown State.
MboxReturn get_shutdown_state(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  payload::ShutdownState::kState.put(out, dev.state().shutdown_dirty ? 1 : 0);
  return MboxReturn::kSuccess;
}

MboxReturn set_shutdown_state(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  const uint64_t state = payload::ShutdownState::kState.get(in);
  if (state & ~uint64_t{1}) return MboxReturn::kInvalidInput;
  dev.state().shutdown_dirty = state & 1;
  return MboxReturn::kSuccess;
}

}  // namespace

void add_health_commands(std::vector<CommandSpec>& t) {
  t.push_back(
      {opcode::kGetHealthInfo, "Get Health Info", get_health_info, fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kGetAlertConfig, "Get Alert Configuration", get_alert_config, fixed_input(0),
               0, gate::kNone});
  t.push_back({opcode::kSetAlertConfig, "Set Alert Configuration", set_alert_config,
               fixed_input(payload::SetAlertConfig::kSize), effect::kImmediatePolicyChange,
               gate::kNone});
  t.push_back({opcode::kGetShutdownState, "Get Shutdown State", get_shutdown_state, fixed_input(0),
               0, gate::kNone});
  t.push_back({opcode::kSetShutdownState, "Set Shutdown State", set_shutdown_state,
               fixed_input(payload::ShutdownState::kSize), effect::kImmediatePolicyChange,
               gate::kNone});
}

}  // namespace cxlsim::device
