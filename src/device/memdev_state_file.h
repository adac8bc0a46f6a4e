// The on-disk format of a memory device's command-set state, kept beside its backing file so
// that poison, event logs, shutdown, partition, security and dynamic-capacity
// state survive a restart.
//
// Format (JSON, one object), version kStateFormatVersion:
//   format            "cxlsim-memdev-state"
//   version           1
//   device            {serial, static_capacity, lsa_size}: must match the device loading it
//                     (a state file is bound to its device)
//   partition         {active_volatile, next_volatile} bytes of the partitionable capacity
//   lsa               read only, from states written before labels moved out of this file:
//                     hex string of the whole LSA (load_state hands it to the caller to move
//                     into the device's LabelStorage); never written
//   health            {health_status, media_status, life_used, temperature,
//                      dirty_shutdown_count, corrected_volatile_errors,
//                      corrected_persistent_errors}
//   alerts            {valid, programmable, life_used_critical, life_used_warning,
//                      over_temp_critical, under_temp_critical, over_temp_warning,
//                      under_temp_warning, corrected_volatile_warning,
//                      corrected_persistent_warning}
//   shutdown_dirty    bool
//   security          {user, master: {salt, pbkdf2_sha256} hex (passphrase_hash.h) or null,
//                      locked, frozen, user_attempts, master_attempts}; the file is mode 0600
//   poison            {overflow, overflow_ns, records: [[dpa, length, source], ...]}
//   events            5 x {next_handle, overflow_count, first_overflow_ns, last_overflow_ns,
//                          records: [hex of 128 bytes, ...]}
//   interrupt_policy  5 bytes
//   dc                {regions: [[base, length, block_size, dsmad_handle, sanitize_on_release]],
//                      accepted, pending: [[dpa, length, tag uuid, shared_sequence]], generation}
//   clock             {device_time_ps, timestamp_set, timestamp_ns, timestamp_set_at_ps}
//   scan              {valid, restart_dpa, restart_length, stopped_prematurely, records}
//   media_operation   opcode of an interrupted media-changing command (absent when none)
// The plain fields of each section are described once (the *_fields visitors of
// memdev_state_file.cc), for the writer and the reader alike.
// Integers must be JSON integers within their field's range; floats and out-of-range values
// are refused, never truncated.
// Saving writes a new file (mode 0600), fsyncs it, renames it over the old one and fsyncs the
// directory, so a crash leaves either the old or the new state, never a torn one, and a save
// that returned is durable. Callers serialize load..save with MemdevStateLock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/memdev_state.h"

namespace cxlsim::device {

inline constexpr int kStateFormatVersion = 1;
inline constexpr const char* kStateFormatName = "cxlsim-memdev-state";

// The state file for a device whose backing file is `backing_path`: "<backing_path>.state".
std::string state_path_beside(const std::string& backing_path);

// Where the command state of device `id` lives: "<state_dir>/<id>.state" when `state_dir` is
// given, else beside its first backing file of persistent, volatile, LSA; "" for a RAM-backed
// device (its state is not kept). `cxlsim mbox` saves it there; every fabric reads it.
std::string state_path_for(const std::string& id, const std::string& persistent_path,
                           const std::string& volatile_path, const std::string& lsa_path,
                           const std::string& state_dir = "");

// Writes `state` for a device with `config` to `path` atomically and durably. Throws
// std::runtime_error naming the path on I/O failure (the old state is then left in place).
void save_state(const std::string& path, const MemdevCciConfig& config, const MemdevState& state);

// Where a device without an LSA file keeps its labels when its state is kept at `state_path`:
// "<state_path>.lsa" (a sparse file, label_storage.h).
std::string label_path_beside(const std::string& state_path);

// Reads the state at `path`; nullopt when the file does not exist. Throws ParseError naming
// the path and the offending element when it is malformed, of another version, or describes
// a different device. A state written before labels moved out of it may hold the whole LSA:
// its bytes go to `*legacy_lsa` when given (empty otherwise).
std::optional<MemdevState> load_state(const std::string& path, const MemdevCciConfig& config,
                                      std::vector<uint8_t>* legacy_lsa = nullptr);

}  // namespace cxlsim::device
