#include "spec/hdm_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "spec/interleave.h"

namespace cxlsim {

namespace {

// Decoder Count field encoding (§8.2.4.20.1 bits 3:0).
constexpr std::array<unsigned, 13> kDecoderCounts = {1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32};

uint32_t encode_decoder_count(unsigned count) {
  auto it = std::find(kDecoderCounts.begin(), kDecoderCounts.end(), count);
  if (it == kDecoderCounts.end()) {
    throw std::invalid_argument(fmt::format("HDM decoder count {} is not encodable", count));
  }
  return static_cast<uint32_t>(it - kDecoderCounts.begin());
}

}  // namespace

bool HdmDecoderCapability::encodable_decoder_count(unsigned count) {
  return std::find(kDecoderCounts.begin(), kDecoderCounts.end(), count) != kDecoderCounts.end();
}

namespace {

uint64_t join(uint32_t lo, uint32_t hi) { return (uint64_t{hi} << 32) | lo; }

// HDM Decoder Capability and Global Control registers (§8.2.4.20.1, §8.2.4.20.2); the HwInit
// values are set by the constructor.
constexpr FieldDesc kCapabilityFields[] = {
    {"Decoder Count", 0x00, 4, 0, 3, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"Target Count", 0x00, 4, 4, 7, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"A11to8 Interleave Capable", 0x00, 4, 8, 8, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"A14to12 Interleave Capable", 0x00, 4, 9, 9, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"Poison On Decode Error Capability", 0x00, 4, 10, 10, Access::kHwInit, 0,
     "CXL 3.1 §8.2.4.20.1"},
    {"3, 6, 12 Way Interleave Capable", 0x00, 4, 11, 11, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"16 Way Interleave Capable", 0x00, 4, 12, 12, Access::kHwInit, 0, "CXL 3.1 §8.2.4.20.1"},
    {"Reserved", 0x00, 4, 13, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.1"},
    {"Poison On Decode Error Enable", 0x04, 4, 0, 0, Access::kRO, 0, "CXL 3.1 §8.2.4.20.2"},
    {"HDM Decoder Enable", 0x04, 4, 1, 1, Access::kRW, 0, "CXL 3.1 §8.2.4.20.2"},
    {"Reserved", 0x04, 4, 2, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.2"},
    {"Reserved (08h)", 0x08, 4, 0, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20"},
    {"Reserved (0Ch)", 0x0c, 4, 0, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20"},
};

// One decoder's registers relative to its base 0x10 + 0x20 n (§8.2.4.20.5 .. §8.2.4.20.9).
// Base, size, target list and DPA skip are RWL: RegisterFile sees RW, write32 adds the lock.
constexpr FieldDesc kDecoderFields[] = {
    {"Memory Base Low (RsvdP)", 0x00, 4, 0, 27, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.5"},
    {"Memory Base Low", 0x00, 4, 28, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.5"},
    {"Memory Base High", 0x04, 4, 0, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.6"},
    {"Memory Size Low (RsvdP)", 0x08, 4, 0, 27, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.7"},
    {"Memory Size Low", 0x08, 4, 28, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.7"},
    {"Memory Size High", 0x0c, 4, 0, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.8"},
    {"IG", 0x10, 4, 0, 3, Access::kRW, 0, "CXL 3.1 §8.2.4.20.9"},
    {"IW", 0x10, 4, 4, 7, Access::kRW, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Lock On Commit", 0x10, 4, 8, 8, Access::kRW, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Commit", 0x10, 4, 9, 9, Access::kRW, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Committed", 0x10, 4, 10, 10, Access::kRO, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Error Not Committed", 0x10, 4, 11, 11, Access::kRO, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Target Device Type", 0x10, 4, 12, 12, Access::kRW, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Reserved", 0x10, 4, 13, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.9"},
    {"Reserved (1Ch)", 0x1c, 4, 0, 31, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20"},
};

// Offsets 14h/18h: a port's Target List (§8.2.4.20.10, .11), an endpoint's DPA Skip
// (§8.2.4.20.12, .13).
constexpr FieldDesc kPortTargetFields[] = {
    {"Target List Low", 0x14, 4, 0, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.10"},
    {"Target List High", 0x18, 4, 0, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.11"},
};
constexpr FieldDesc kEndpointSkipFields[] = {
    {"DPA Skip Low (RsvdP)", 0x14, 4, 0, 27, Access::kRsvdP, 0, "CXL 3.1 §8.2.4.20.12"},
    {"DPA Skip Low", 0x14, 4, 28, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.12"},
    {"DPA Skip High", 0x18, 4, 0, 31, Access::kRW, 0, "CXL 3.1 §8.2.4.20.13"},
};

}  // namespace

HdmDecoderCapability::HdmDecoderCapability(HdmKind kind, unsigned decoder_count,
                                           unsigned target_count, const HdmDecoderContext* context)
    : kind_(kind),
      decoder_count_(decoder_count),
      target_count_(kind == HdmKind::kPort ? target_count : 0),
      context_(context),
      regs_(0x10 + 0x20 * decoder_count) {
  const uint32_t count_enc = encode_decoder_count(decoder_count);
  if (kind == HdmKind::kPort && target_count != 1 && target_count != 2 && target_count != 4 &&
      target_count != 8) {
    throw std::invalid_argument(fmt::format("HDM target count {} is not encodable", target_count));
  }
  regs_.add_structure("HDM Decoder Capability", 0, kCapabilityFields, 0x10);
  const bool port = kind == HdmKind::kPort;
  for (unsigned n = 0; n < decoder_count; ++n) {
    regs_.add_structure(fmt::format("Decoder {}", n), decoder_reg(n, 0), kDecoderFields, 0x20);
    regs_.add_structure(fmt::format("Decoder {} {}", n, port ? "Target List" : "DPA Skip"),
                        decoder_reg(n, 0),
                        port ? std::span<const FieldDesc>(kPortTargetFields)
                             : std::span<const FieldDesc>(kEndpointSkipFields),
                        0x20);
  }
  locked_.assign(decoder_count, false);
  const bool endpoint = kind == HdmKind::kEndpoint;
  regs_.init_field(kCapabilityReg, "Decoder Count", count_enc);
  regs_.init_field(kCapabilityReg, "Target Count", target_count_);
  regs_.init_field(kCapabilityReg, "A11to8 Interleave Capable", 1);
  regs_.init_field(kCapabilityReg, "A14to12 Interleave Capable", 1);
  regs_.init_field(kCapabilityReg, "3, 6, 12 Way Interleave Capable", endpoint ? 1 : 0);
  regs_.init_field(kCapabilityReg, "16 Way Interleave Capable", endpoint ? 1 : 0);
}

uint32_t HdmDecoderCapability::read32(uint32_t off) const {
  if (off % 4 != 0 || off >= size_bytes()) return 0;
  return reg(off);
}

uint32_t HdmDecoderCapability::unlocked_mask(uint32_t off) const {
  if (off < 0x10) return ~0u;
  const unsigned n = (off - 0x10) / 0x20;
  const uint32_t r = (off - 0x10) % 0x20;
  if (locked_[n]) return 0;
  if (reg(decoder_reg(n, kControl)) & kCtrlCommitted) return r == kControl ? kCtrlCommit : 0;
  return ~0u;
}

void HdmDecoderCapability::write32(uint32_t off, uint32_t value) {
  if (off % 4 != 0 || off >= size_bytes()) return;
  const bool is_control = off >= 0x10 && (off - 0x10) % 0x20 == kControl;
  const unsigned n = off >= 0x10 ? (off - 0x10) / 0x20 : 0;
  if (is_control && locked_[n] && !(value & kCtrlCommit)) {
    last_error_ = fmt::format("decoder {} is locked (Lock On Commit): decommit ignored", n);
  }
  const uint32_t mask = unlocked_mask(off);
  const uint32_t old = reg(off);
  regs_.write32(off, (old & ~mask) | (value & mask));
  if (is_control) on_control_write(n, old, reg(off));
}

void HdmDecoderCapability::set_commit_status(unsigned n, bool committed, bool error) {
  regs_.set_field(decoder_reg(n, 0), "Committed", committed ? 1 : 0);
  regs_.set_field(decoder_reg(n, 0), "Error Not Committed", error ? 1 : 0);
}

void HdmDecoderCapability::on_control_write(unsigned n, uint32_t old_ctrl, uint32_t new_ctrl) {
  const bool rising = !(old_ctrl & kCtrlCommit) && (new_ctrl & kCtrlCommit);
  const bool falling = (old_ctrl & kCtrlCommit) && !(new_ctrl & kCtrlCommit);
  if (rising) {
    if (auto reason = validate_commit(n)) {
      last_error_ = fmt::format("decoder {}: {}", n, *reason);
      set_commit_status(n, false, true);
      return;
    }
    set_commit_status(n, true, false);
    if (new_ctrl & kCtrlLockOnCommit) locked_[n] = true;
    notify(n, true);
  } else if (falling) {
    if (!(old_ctrl & kCtrlCommitted)) {
      set_commit_status(n, false, false);
      return;
    }
    // §8.2.4.20.12: decoders are decommitted in reverse order of commit.
    if (n + 1 < decoder_count_ && (reg(decoder_reg(n + 1, kControl)) & kCtrlCommitted)) {
      last_error_ = fmt::format("decoder {}: decoder {} must be decommitted first", n, n + 1);
      regs_.set_field(decoder_reg(n, 0), "Commit", 1);
      return;
    }
    set_commit_status(n, false, false);
    notify(n, false);
  }
}

std::optional<std::string> HdmDecoderCapability::validate_commit(unsigned n) const {
  const DecoderState s = state(n);
  const uint64_t align = kAlign.value();
  if (s.base.value() % align != 0) return "base is not 256 MiB aligned";
  if (s.size.value() == 0) return "size is zero";
  if (s.size.value() % align != 0) return "size is not 256 MiB aligned";
  if (!s.granularity) return "invalid interleave granularity encoding";
  if (!s.ways) return "invalid interleave ways encoding";
  const unsigned ways = *s.ways;
  if (kind_ == HdmKind::kPort) {
    if (!std::has_single_bit(ways)) {
      return fmt::format("{}-way interleave is not supported by a port", ways);
    }
    if (ways > target_count_) {
      return fmt::format("{}-way interleave exceeds the target count {}", ways, target_count_);
    }
  }
  if (s.size.value() % (align * ways) != 0) {
    return fmt::format("size is not a multiple of {} ways x 256 MiB", ways);
  }
  if (n > 0) {
    const DecoderState prev = state(n - 1);
    if (!prev.committed) return fmt::format("decoder {} is not committed (commit in order)", n - 1);
    if (s.base < prev.base + prev.size) return "base is below the previous decoder's base + size";
  }
  if (kind_ == HdmKind::kPort) {
    const std::vector<uint8_t> dports =
        context_ ? context_->dport_numbers() : std::vector<uint8_t>{};
    for (unsigned i = 0; i < ways; ++i) {
      if (std::find(dports.begin(), dports.end(), s.targets[i]) == dports.end()) {
        return fmt::format("target {} names port {}, which is not a downstream port", i,
                           s.targets[i]);
      }
    }
    return std::nullopt;
  }
  const Bytes vol = context_ ? context_->volatile_capacity() : Bytes(0);
  const Bytes pmem = context_ ? context_->persistent_capacity() : Bytes(0);
  const Bytes dc = context_ ? context_->dynamic_capacity() : Bytes(0);
  const Dpa end = s.dpa_base + s.dpa_size;
  if (end > Dpa(0) + vol + pmem + dc) {
    return fmt::format("DPA range {:#x}-{:#x} exceeds the device capacity {:#x}",
                       s.dpa_base.value(), end.value() - 1, (vol + pmem + dc).value());
  }
  if (s.dpa_base < Dpa(0) + vol + pmem && end > Dpa(0) + vol + pmem) {
    return "DPA range straddles the static/dynamic capacity boundary";
  }
  if (s.dpa_base < Dpa(vol.value()) && end > Dpa(vol.value())) {
    return "DPA range straddles the volatile/persistent partition boundary";
  }
  return std::nullopt;
}

void HdmDecoderCapability::notify(unsigned n, bool committed) {
  if (observer_) observer_(n, committed);
}

void HdmDecoderCapability::set_enabled(bool on) {
  write32(kGlobalControlReg, on ? kGlobalHdmEnable : 0);
}

bool HdmDecoderCapability::enabled() const { return reg(kGlobalControlReg) & kGlobalHdmEnable; }

void HdmDecoderCapability::program(unsigned n, const DecoderSettings& s) {
  const uint8_t eiw = ways_to_eiw(s.ways).value_or(0xf);
  const uint8_t eig = granularity_to_eig(s.granularity).value_or(0xf);
  write32(decoder_reg(n, kBaseLo), static_cast<uint32_t>(s.base.value()));
  write32(decoder_reg(n, kBaseHi), static_cast<uint32_t>(s.base.value() >> 32));
  write32(decoder_reg(n, kSizeLo), static_cast<uint32_t>(s.size.value()));
  write32(decoder_reg(n, kSizeHi), static_cast<uint32_t>(s.size.value() >> 32));
  uint64_t list = 0;
  if (kind_ == HdmKind::kPort) {
    for (size_t i = 0; i < s.targets.size() && i < kMaxTargets; ++i) {
      list |= uint64_t{s.targets[i]} << (8 * i);
    }
  } else {
    list = s.dpa_skip.value();
  }
  write32(decoder_reg(n, kTargetLo), static_cast<uint32_t>(list));
  write32(decoder_reg(n, kTargetHi), static_cast<uint32_t>(list >> 32));
  const uint32_t keep = reg(decoder_reg(n, kControl)) & kCtrlCommit;
  write32(decoder_reg(n, kControl),
          keep | eig | (uint32_t{eiw} << 4) | (s.lock_on_commit ? kCtrlLockOnCommit : 0u) |
              (s.target_type == HdmTargetType::kHostOnly ? kCtrlTargetType : 0u));
}

bool HdmDecoderCapability::commit(unsigned n) {
  const uint32_t ctrl = reg(decoder_reg(n, kControl));
  if (ctrl & kCtrlCommitted) return true;
  if (ctrl & kCtrlCommit) write32(decoder_reg(n, kControl), ctrl & ~kCtrlCommit);
  write32(decoder_reg(n, kControl), reg(decoder_reg(n, kControl)) | kCtrlCommit);
  return reg(decoder_reg(n, kControl)) & kCtrlCommitted;
}

bool HdmDecoderCapability::decommit(unsigned n) {
  write32(decoder_reg(n, kControl), reg(decoder_reg(n, kControl)) & ~kCtrlCommit);
  return !(reg(decoder_reg(n, kControl)) & kCtrlCommitted);
}

DecoderState HdmDecoderCapability::state(unsigned n) const {
  DecoderState s;
  s.base = Hpa(join(reg(decoder_reg(n, kBaseLo)), reg(decoder_reg(n, kBaseHi))));
  s.size = Bytes(join(reg(decoder_reg(n, kSizeLo)), reg(decoder_reg(n, kSizeHi))));
  const uint32_t ctrl = reg(decoder_reg(n, kControl));
  s.granularity = eig_to_granularity(static_cast<uint8_t>(ctrl & 0xf));
  s.ways = eiw_to_ways(static_cast<uint8_t>((ctrl >> 4) & 0xf));
  s.lock_on_commit = ctrl & kCtrlLockOnCommit;
  s.commit = ctrl & kCtrlCommit;
  s.committed = ctrl & kCtrlCommitted;
  s.error_not_committed = ctrl & kCtrlErrorNotCommitted;
  s.target_type =
      (ctrl & kCtrlTargetType) ? HdmTargetType::kHostOnly : HdmTargetType::kDeviceCoherent;
  const uint64_t list = join(reg(decoder_reg(n, kTargetLo)), reg(decoder_reg(n, kTargetHi)));
  if (kind_ == HdmKind::kPort) {
    for (unsigned i = 0; i < kMaxTargets; ++i) s.targets[i] = static_cast<uint8_t>(list >> (8 * i));
    return s;
  }
  s.dpa_skip = Bytes(list);
  s.dpa_size = s.ways ? s.size / *s.ways : Bytes(0);
  uint64_t dpa = 0;  // previous decoders' DPA end: the sum of their skips and DPA sizes
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t c = reg(decoder_reg(i, kControl));
    const auto w = eiw_to_ways(static_cast<uint8_t>((c >> 4) & 0xf));
    dpa += join(reg(decoder_reg(i, kTargetLo)), reg(decoder_reg(i, kTargetHi)));
    if (w) dpa += join(reg(decoder_reg(i, kSizeLo)), reg(decoder_reg(i, kSizeHi))) / *w;
  }
  s.dpa_base = Dpa(dpa + s.dpa_skip.value());
  return s;
}

unsigned HdmDecoderCapability::committed_count() const {
  unsigned k = 0;
  for (unsigned n = 0; n < decoder_count_; ++n) {
    if (reg(decoder_reg(n, kControl)) & kCtrlCommitted) ++k;
  }
  return k;
}

void HdmDecoderCapability::reset() {
  std::vector<bool> was_committed(decoder_count_);
  for (unsigned n = 0; n < decoder_count_; ++n) {
    was_committed[n] = reg(decoder_reg(n, kControl)) & kCtrlCommitted;
  }
  regs_.reset();
  std::fill(locked_.begin(), locked_.end(), false);
  for (unsigned n = decoder_count_; n-- > 0;) {
    if (was_committed[n]) notify(n, false);
  }
}

}  // namespace cxlsim
