// A memory device's component command interface: the command-set state, the primary mailbox,
// the device register block and the device-owned clock, over the device's media. The memdev
// owns one; host reads and writes go through read()/write() so poison, lock and sanitize are
// seen by everything that touches the device.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "device/device_registers.h"
#include "device/label_storage.h"
#include "device/mailbox.h"
#include "device/mbox_payloads.h"
#include "device/media.h"
#include "device/memdev_state.h"
#include "spec/address.h"

namespace cxlsim::device {

// Outcome of a host access to device media.
enum class MediaAccess : uint8_t {
  kOk,
  kPoisoned,       // the range holds poison: a read returns poison (data is not valid)
  kLocked,         // security state is locked: media access refused
  kMediaDisabled,  // sanitize or secure erase in progress
  kOutOfRange,     // outside the DPA space
  kNoCapacity,     // dynamic capacity not (yet) accepted by the host
};
std::string_view media_access_name(MediaAccess a);

enum class ResetKind : uint8_t { kCold, kWarm, kHot, kCxl };

class MemdevCci {
 public:
  // A device in its initial state (first power-on).
  MemdevCci(const MemdevCciConfig& config, Media& media);
  // A device restored from persisted state.
  MemdevCci(MemdevCciConfig config, Media& media, MemdevState state);
  MemdevCci(const MemdevCci&) = delete;
  MemdevCci& operator=(const MemdevCci&) = delete;

  const MemdevCciConfig& config() const { return config_; }
  MemdevState& state() { return state_; }
  const MemdevState& state() const { return state_; }
  Media& media() { return media_; }
  Mailbox& mailbox() { return mailbox_; }
  const Mailbox& mailbox() const { return mailbox_; }
  DeviceRegisters& registers() { return registers_; }

  // The label storage area (label_storage.h): sparse RAM of config().lsa_size bytes unless
  // the memdev gives it a file (set_label_storage). Read and written by range only.
  LabelStorage& lsa() { return lsa_; }
  const LabelStorage& lsa() const { return lsa_; }
  void set_label_storage(LabelStorage storage) { lsa_ = std::move(storage); }

  // Convenience: execute a mailbox command (what a driver's doorbell does).
  MboxResult execute(uint16_t opcode, std::span<const uint8_t> in = {}) {
    return mailbox_.execute(opcode, in);
  }

  // The device's clock. Callers (tests, the timing model, the CLI) advance it; background
  // operations progress and complete as it moves.
  Duration now() const { return state_.device_time; }
  void advance(Duration d);
  // Runs the background operation, if any, to completion; returns the time that took.
  Duration run_background_to_completion();
  // Get Timestamp's value (§8.2.9.4.1): host-set value plus device time since, in ns.
  uint64_t timestamp_ns() const;

  // Reset (§8.2.8.5 "Reset Needed"; partition and security effects §8.2.9.9.2.2, §8.2.9.9.6):
  // applies the next partition, locks when a user passphrase is set (cold), clears freeze and
  // attempt counters, counts a dirty shutdown, aborts background work.
  void reset(ResetKind kind);

  // Commands whose effects reach the media or the label storage area, outside MemdevState:
  // Sanitize, Secure Erase, Passphrase Secure Erase, Set LSA. Callers that persist the state
  // record state().media_operation before running one (an intent record).
  static bool changes_media(uint16_t opcode);
  // Power-on after a crash during such a command (state().media_operation set); clears it.
  // An erase is finished (the host never saw it complete, and a half-erased device must not
  // look intact); either way the device could not tell whether data was lost, so it counts a
  // dirty shutdown (Get Health Info, CXL 3.1 §8.2.9.9.3.1) with its Memory Module Event
  // (§8.2.9.2.1.3), and an interrupted Set LSA adds an LSA Error event. Returns the opcode
  // (0: nothing was interrupted).
  uint16_t recover_interrupted_operation();
  // Erases all user data (DPA 0..capacity), the poison list and scan results; the label
  // storage area too when `labels` (Sanitize, §8.2.9.9.5.1).
  void erase_user_data(bool labels);

  // The volatile/persistent boundary as decoders must see it (active partition).
  Bytes volatile_capacity() const;
  Bytes persistent_capacity() const;
  bool media_disabled() const { return media_disabled_; }
  void set_media_disabled(bool d) { media_disabled_ = d; }

  // Host access to media through the device (HDM decode lands here). A poisoned read fills
  // `out` with the stored bytes, returns kPoisoned and logs a General Media Event.
  MediaAccess check_access(Dpa dpa, Bytes len) const;
  MediaAccess read(Dpa dpa, std::span<uint8_t> out);
  MediaAccess write(Dpa dpa, std::span<const uint8_t> in);

  // Appends an event record to a log (timestamped with timestamp_ns()).
  void add_event(EventLogType log, const EventRecord& r);
  // Event Status register bits (§8.2.8.3.1): bit n set while log n has records.
  uint64_t event_status() const;

  // Device-side happenings the model or tests cause (not host commands):
  // a media error found by the device (poison list + General Media Event),
  void report_media_error(Dpa dpa, Bytes len, GmTransaction how);
  // a change of health (alert thresholds evaluated; Memory Module Event on change),
  void update_health(const HealthState& h);
  // the fabric manager offering dynamic capacity (Add Capacity events) or asking for it back.
  MboxReturn offer_dc_extents(const std::vector<DcExtent>& extents);
  MboxReturn request_dc_release(const DcExtent& extent);

  // Get Health Info payload (Table 8-128), also carried by Memory Module Events.
  using HealthInfo = std::array<uint8_t, payload::HealthInfo::kSize>;
  HealthInfo health_info() const;

 private:
  MemdevCciConfig config_;
  Media& media_;
  MemdevState state_;
  Mailbox mailbox_;
  DeviceRegisters registers_;
  bool media_disabled_ = false;
  LabelStorage lsa_;
};

}  // namespace cxlsim::device
