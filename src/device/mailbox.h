// The primary mailbox (CXL 3.1 §8.2.8.4): its registers, the doorbell protocol, dispatch
// through the command table, and the one background operation a mailbox may run at a time.
// Register offsets below are relative to the mailbox capability's base.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "device/mbox_command.h"
#include "device/mbox_return_code.h"
#include "spec/units.h"

namespace cxlsim::device {

class MemdevCci;

// Mailbox register offsets (§8.2.8.4.3 .. §8.2.8.4.8).
namespace mbox_reg {
inline constexpr uint32_t kCapabilities = 0x00;      // 32 bit
inline constexpr uint32_t kControl = 0x04;           // 32 bit
inline constexpr uint32_t kCommand = 0x08;           // 64 bit
inline constexpr uint32_t kStatus = 0x10;            // 64 bit
inline constexpr uint32_t kBackgroundStatus = 0x18;  // 64 bit
inline constexpr uint32_t kPayload = 0x20;
}  // namespace mbox_reg

struct MboxResult {
  MboxReturn rc = MboxReturn::kSuccess;
  std::vector<uint8_t> out;
};

// Background Command Status (§8.2.8.4.7).
struct BackgroundStatus {
  bool running = false;
  uint16_t opcode = 0;
  uint8_t percent = 0;  // 0..100
  MboxReturn rc = MboxReturn::kSuccess;
  uint16_t vendor_status = 0;
};

class Mailbox {
 public:
  // Runs when a background operation's simulated time has elapsed; its return code becomes the
  // background command's return code.
  using Completion = std::function<MboxReturn(MemdevCci&)>;
  // Runs when an abortable operation is aborted, with the fraction done (0..1).
  using AbortHook = std::function<void(MemdevCci&, double)>;

  explicit Mailbox(MemdevCci& dev) : dev_(dev), payload_(dev_payload_size()) {}

  // What a doorbell does, without the register protocol: checks length, gates and dispatches.
  MboxResult execute(uint16_t opcode, std::span<const uint8_t> in);

  // Register interface. Accesses of 1, 2, 4 or 8 bytes; unknown offsets read 0, writes to
  // read-only bits are ignored. Setting the doorbell executes the command at once.
  [[nodiscard]] uint64_t read(uint32_t offset, unsigned size) const;
  void write(uint32_t offset, unsigned size, uint64_t value);
  [[nodiscard]] size_t payload_size() const { return payload_.size(); }
  // Bytes the mailbox's register range spans (registers + payload).
  [[nodiscard]] uint32_t register_span() const {
    return static_cast<uint32_t>(mbox_reg::kPayload + payload_.size());
  }

  // Background operations (§8.2.8.4.6): handlers call start_background and return
  // kBackgroundCommandStarted. Only one runs at a time.
  // An operation is abortable when `on_abort` is given.
  void start_background(uint16_t opcode, Duration total, Completion done,
                        AbortHook on_abort = nullptr);
  [[nodiscard]] bool background_running() const { return bg_.running; }
  [[nodiscard]] const BackgroundStatus& background_status() const { return bg_; }
  // Advances running work to device time `now`; completes it when its time has passed.
  void poll(Duration now);
  // Request Abort Background Operation (§8.2.9.1.5).
  MboxReturn request_abort();
  // A reset ends any background operation, abortable or not; its return code is Interrupted.
  void cancel_for_reset();
  // Background-command-complete interrupts delivered (control bit 2 set at completion).
  [[nodiscard]] uint64_t interrupts() const { return interrupts_; }

 private:
  [[nodiscard]] size_t dev_payload_size() const;
  void ring_doorbell();
  [[nodiscard]] uint64_t status_register() const;
  [[nodiscard]] uint64_t background_status_register() const;

  MemdevCci& dev_;
  std::vector<uint8_t> payload_;
  uint32_t control_ = 0;
  uint64_t command_ = 0;
  uint16_t return_code_ = 0;
  BackgroundStatus bg_;
  Duration bg_start_;
  Duration bg_total_;
  Completion bg_done_;
  AbortHook bg_abort_;
  uint64_t interrupts_ = 0;
};

}  // namespace cxlsim::device
