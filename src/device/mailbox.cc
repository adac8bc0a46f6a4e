#include "device/mailbox.h"

#include <algorithm>

#include "device/command_table.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

size_t Mailbox::dev_payload_size() const { return dev_.config().payload_size(); }

MboxResult Mailbox::execute(uint16_t op, std::span<const uint8_t> in) {
  MboxResult r;
  if (in.size() > payload_.size()) {
    r.rc = MboxReturn::kInvalidPayloadLength;
    return r;
  }
  const CommandSpec* cmd = find_command(op);
  if (cmd == nullptr) {
    r.rc = MboxReturn::kUnsupported;
    return r;
  }
  if (!cmd->input.accepts(in.size())) {
    r.rc = MboxReturn::kInvalidPayloadLength;
    return r;
  }
  // A background command while another runs: Busy (§8.2.8.4.6).
  if ((cmd->effects & effect::kBackgroundOperation) && bg_.running) {
    r.rc = MboxReturn::kBusy;
    return r;
  }
  if ((cmd->gates & gate::kMedia) && dev_.media_disabled()) {
    r.rc = MboxReturn::kMediaDisabled;
    return r;
  }
  if ((cmd->gates & gate::kUnlocked) && dev_.state().security.locked) {
    r.rc = MboxReturn::kInvalidSecurityState;
    return r;
  }
  r.rc = cmd->handler(dev_, in, r.out);
  if (r.out.size() > payload_.size()) {  // a handler bug must not overrun the payload area
    r.out.clear();
    r.rc = MboxReturn::kInternalError;
  }
  if (r.rc != MboxReturn::kSuccess) r.out.clear();
  return r;
}

uint64_t Mailbox::read(uint32_t offset, unsigned size) const {
  auto field = [&](uint64_t reg, uint32_t base) {
    const unsigned shift = (offset - base) * 8;
    const uint64_t v = shift >= 64 ? 0 : reg >> shift;
    return size >= 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
  };
  if (offset >= mbox_reg::kPayload) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
      const size_t at = offset - mbox_reg::kPayload + i;
      if (at < payload_.size()) v |= static_cast<uint64_t>(payload_[at]) << (8 * i);
    }
    return v;
  }
  if (offset < mbox_reg::kControl) {
    // Capabilities: payload size, BG command complete interrupt capable (bit 6).
    const uint64_t caps = dev_.config().payload_size_log2 | (1u << 6);
    return field(caps, mbox_reg::kCapabilities);
  }
  if (offset < mbox_reg::kCommand) return field(control_, mbox_reg::kControl);
  if (offset < mbox_reg::kStatus) return field(command_, mbox_reg::kCommand);
  if (offset < mbox_reg::kBackgroundStatus) return field(status_register(), mbox_reg::kStatus);
  return field(background_status_register(), mbox_reg::kBackgroundStatus);
}

void Mailbox::write(uint32_t offset, unsigned size, uint64_t value) {
  const uint64_t mask = size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
  value &= mask;
  if (offset >= mbox_reg::kPayload) {
    for (unsigned i = 0; i < size; ++i) {
      const size_t at = offset - mbox_reg::kPayload + i;
      if (at < payload_.size()) payload_[at] = static_cast<uint8_t>(value >> (8 * i));
    }
    return;
  }
  if (offset >= mbox_reg::kControl && offset < mbox_reg::kCommand) {
    // Control: bit 0 doorbell (RW, device clears), bit 1 doorbell irq, bit 2 BG irq (RW).
    const unsigned shift = (offset - mbox_reg::kControl) * 8;
    const auto m = static_cast<uint32_t>(mask << shift);
    const auto v = static_cast<uint32_t>(value << shift);
    const bool doorbell_was_set = control_ & 1u;
    // While the doorbell is set the host may not change the interrupt enables (§8.2.8.4.4).
    if (doorbell_was_set) return;
    control_ = (control_ & ~m) | (v & m & 0x7u);
    if (control_ & 1u) ring_doorbell();
    return;
  }
  if (offset >= mbox_reg::kCommand && offset < mbox_reg::kStatus) {
    if (control_ & 1u) return;  // the command register is frozen while the doorbell is set
    const unsigned shift = (offset - mbox_reg::kCommand) * 8;
    const uint64_t m = (mask << shift) & ((uint64_t{1} << 37) - 1);  // opcode 15:0, length 36:16
    command_ = (command_ & ~m) | ((value << shift) & m);
  }
  // Status and background status are read-only.
}

void Mailbox::ring_doorbell() {
  const auto op = static_cast<uint16_t>(command_ & 0xffff);
  const auto len = static_cast<size_t>((command_ >> 16) & 0x1fffff);
  MboxResult r;
  if (len > payload_.size()) {
    r.rc = MboxReturn::kInvalidPayloadLength;
  } else {
    const std::vector<uint8_t> in(payload_.begin(), payload_.begin() + static_cast<long>(len));
    r = execute(op, in);
  }
  std::copy(r.out.begin(), r.out.end(), payload_.begin());
  return_code_ = static_cast<uint16_t>(r.rc);
  command_ = (command_ & 0xffff) | (static_cast<uint64_t>(r.out.size()) << 16);
  control_ &= ~1u;  // command complete
}

uint64_t Mailbox::status_register() const {
  return (bg_.running ? 1u : 0u) | (static_cast<uint64_t>(return_code_) << 32);
}

uint64_t Mailbox::background_status_register() const {
  return bg_.opcode | (static_cast<uint64_t>(bg_.percent & 0x7f) << 16) |
         (static_cast<uint64_t>(bg_.rc) << 32) | (static_cast<uint64_t>(bg_.vendor_status) << 48);
}

void Mailbox::start_background(uint16_t opcode, Duration total, Completion done,
                               AbortHook on_abort) {
  bg_ = BackgroundStatus{true, opcode, 0, MboxReturn::kSuccess, 0};
  bg_start_ = dev_.now();
  bg_total_ = total;
  bg_done_ = std::move(done);
  bg_abort_ = std::move(on_abort);
  poll(dev_.now());  // a zero-length operation completes at once
}

void Mailbox::poll(Duration now) {
  if (!bg_.running) return;
  const Duration elapsed = now - bg_start_;
  if (elapsed < bg_total_) {
    const auto pct = bg_total_.picoseconds() == 0
                         ? 0
                         : static_cast<int64_t>(static_cast<double>(elapsed.picoseconds()) * 100.0 /
                                                static_cast<double>(bg_total_.picoseconds()));
    bg_.percent = static_cast<uint8_t>(std::min<int64_t>(pct, 99));
    return;
  }
  Completion done = std::move(bg_done_);
  bg_done_ = nullptr;
  bg_abort_ = nullptr;
  bg_.running = false;  // completion may inspect the device as idle
  bg_.rc = done ? done(dev_) : MboxReturn::kSuccess;
  bg_.percent = 100;
  if (control_ & (1u << 2)) ++interrupts_;
}

void Mailbox::cancel_for_reset() {
  if (!bg_.running) return;
  bg_.running = false;
  bg_.rc = MboxReturn::kInterrupted;
  bg_done_ = nullptr;
  bg_abort_ = nullptr;
}

MboxReturn Mailbox::request_abort() {
  if (!bg_.running) return MboxReturn::kSuccess;  // nothing to abort
  if (!bg_abort_) return MboxReturn::kRequestAbortNotSupported;
  AbortHook hook = std::move(bg_abort_);
  const double done = bg_total_.picoseconds() == 0
                          ? 1.0
                          : static_cast<double>((dev_.now() - bg_start_).picoseconds()) /
                                static_cast<double>(bg_total_.picoseconds());
  bg_.running = false;
  bg_.rc = MboxReturn::kAborted;
  bg_done_ = nullptr;
  bg_abort_ = nullptr;
  hook(dev_, done);
  if (control_ & (1u << 2)) ++interrupts_;
  return MboxReturn::kSuccess;
}

}  // namespace cxlsim::device
