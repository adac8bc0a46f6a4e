#include "spec/hdm_decoder.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "spec/interleave.h"

namespace cxlsim {

namespace {

// Decoder Count field encoding (§8.2.4.20.1 bits 3:0).
constexpr std::array<unsigned, 13> kDecoderCounts = {1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32};

uint32_t encode_decoder_count(unsigned count) {
  auto it = std::find(kDecoderCounts.begin(), kDecoderCounts.end(), count);
  if (it == kDecoderCounts.end())
    throw std::invalid_argument(fmt::format("HDM decoder count {} is not encodable", count));
  return static_cast<uint32_t>(it - kDecoderCounts.begin());
}

uint32_t field_mask(const RegField& f) {
  return (f.width == 32 ? ~0u : ((1u << f.width) - 1)) << f.lsb;
}

uint64_t join(uint32_t lo, uint32_t hi) { return (uint64_t{hi} << 32) | lo; }

// Capability-relative descriptors of decoder n's registers (§8.2.4.20.2 .. §8.2.4.20.11).
void append_decoder_fields(std::vector<RegField>& out, unsigned n, HdmKind kind) {
  using C = HdmDecoderCapability;
  auto at = [n](uint32_t r) { return C::decoder_reg(n, r); };
  const RegField fields[] = {
      {at(C::kBaseLo), "Memory Base Low (RsvdP)", 0, 28, RegAccess::kRsvdP},
      {at(C::kBaseLo), "Memory Base Low", 28, 4, RegAccess::kRW},
      {at(C::kBaseHi), "Memory Base High", 0, 32, RegAccess::kRW},
      {at(C::kSizeLo), "Memory Size Low (RsvdP)", 0, 28, RegAccess::kRsvdP},
      {at(C::kSizeLo), "Memory Size Low", 28, 4, RegAccess::kRW},
      {at(C::kSizeHi), "Memory Size High", 0, 32, RegAccess::kRW},
      {at(C::kControl), "IG", 0, 4, RegAccess::kRW},
      {at(C::kControl), "IW", 4, 4, RegAccess::kRW},
      {at(C::kControl), "Lock On Commit", 8, 1, RegAccess::kRW},
      {at(C::kControl), "Commit", 9, 1, RegAccess::kRW},
      {at(C::kControl), "Committed", 10, 1, RegAccess::kRO},
      {at(C::kControl), "Error Not Committed", 11, 1, RegAccess::kRO},
      {at(C::kControl), "Target Device Type", 12, 1, RegAccess::kRW},
      {at(C::kControl), "Reserved", 13, 19, RegAccess::kRsvdP},
  };
  out.insert(out.end(), std::begin(fields), std::end(fields));
  if (kind == HdmKind::kPort) {
    out.push_back({at(C::kTargetLo), "Target List Low", 0, 32, RegAccess::kRW});
    out.push_back({at(C::kTargetHi), "Target List High", 0, 32, RegAccess::kRW});
  } else {
    out.push_back({at(C::kTargetLo), "DPA Skip Low (RsvdP)", 0, 28, RegAccess::kRsvdP});
    out.push_back({at(C::kTargetLo), "DPA Skip Low", 28, 4, RegAccess::kRW});
    out.push_back({at(C::kTargetHi), "DPA Skip High", 0, 32, RegAccess::kRW});
  }
  out.push_back({at(0x1c), "Reserved", 0, 32, RegAccess::kRsvdP});
}

}  // namespace

HdmDecoderCapability::HdmDecoderCapability(HdmKind kind, unsigned decoder_count,
                                           unsigned target_count,
                                           const HdmDecoderContext* context)
    : kind_(kind),
      decoder_count_(decoder_count),
      target_count_(kind == HdmKind::kPort ? target_count : 0),
      context_(context) {
  const uint32_t count_enc = encode_decoder_count(decoder_count);
  if (kind == HdmKind::kPort && target_count != 1 && target_count != 2 && target_count != 4 &&
      target_count != 8)
    throw std::invalid_argument(fmt::format("HDM target count {} is not encodable", target_count));
  fields_ = {
      {kCapabilityReg, "Decoder Count", 0, 4, RegAccess::kHwInit},
      {kCapabilityReg, "Target Count", 4, 4, RegAccess::kHwInit},
      {kCapabilityReg, "A11to8 Interleave Capable", 8, 1, RegAccess::kHwInit},
      {kCapabilityReg, "A14to12 Interleave Capable", 9, 1, RegAccess::kHwInit},
      {kCapabilityReg, "Poison On Decode Error Capability", 10, 1, RegAccess::kHwInit},
      {kCapabilityReg, "3, 6, 12 Way Interleave Capable", 11, 1, RegAccess::kHwInit},
      {kCapabilityReg, "16 Way Interleave Capable", 12, 1, RegAccess::kHwInit},
      {kCapabilityReg, "Reserved", 13, 19, RegAccess::kRsvdP},
      {kGlobalControlReg, "Poison On Decode Error Enable", 0, 1, RegAccess::kRO},
      {kGlobalControlReg, "HDM Decoder Enable", 1, 1, RegAccess::kRW},
      {kGlobalControlReg, "Reserved", 2, 30, RegAccess::kRsvdP},
      {0x08, "Reserved", 0, 32, RegAccess::kRsvdP},
      {0x0c, "Reserved", 0, 32, RegAccess::kRsvdP},
  };
  for (unsigned n = 0; n < decoder_count; ++n) append_decoder_fields(fields_, n, kind);
  const size_t nregs = (0x10 + 0x20 * decoder_count) / 4;
  rw_mask_.assign(nregs, 0);
  for (const RegField& f : fields_)
    if (f.access == RegAccess::kRW) rw_mask_[f.offset / 4] |= field_mask(f);
  regs_.assign(nregs, 0);
  locked_.assign(decoder_count, false);
  const bool endpoint = kind == HdmKind::kEndpoint;
  reg(kCapabilityReg) = count_enc | (target_count_ << 4) | (1u << 8) | (1u << 9) |
                        (endpoint ? (1u << 11) | (1u << 12) : 0u);
}

uint32_t HdmDecoderCapability::read32(uint32_t off) const {
  if (off % 4 != 0 || off >= size_bytes()) return 0;
  return reg(off);
}

uint32_t HdmDecoderCapability::writable_mask(uint32_t off) const {
  uint32_t mask = rw_mask_[off / 4];
  if (off < 0x10) return mask;
  const unsigned n = (off - 0x10) / 0x20;
  const uint32_t r = (off - 0x10) % 0x20;
  if (locked_[n]) return 0;
  if (reg(decoder_reg(n, kControl)) & kCtrlCommitted) return r == kControl ? kCtrlCommit : 0;
  return mask;
}

void HdmDecoderCapability::write32(uint32_t off, uint32_t value) {
  if (off % 4 != 0 || off >= size_bytes()) return;
  const bool is_control = off >= 0x10 && (off - 0x10) % 0x20 == kControl;
  const unsigned n = off >= 0x10 ? (off - 0x10) / 0x20 : 0;
  if (is_control && locked_[n] && !(value & kCtrlCommit))
    last_error_ = fmt::format("decoder {} is locked (Lock On Commit): decommit ignored", n);
  const uint32_t mask = writable_mask(off);
  const uint32_t old = reg(off);
  reg(off) = (old & ~mask) | (value & mask);
  if (is_control) on_control_write(n, old, reg(off));
}

void HdmDecoderCapability::on_control_write(unsigned n, uint32_t old_ctrl, uint32_t new_ctrl) {
  uint32_t& ctrl = reg(decoder_reg(n, kControl));
  const bool rising = !(old_ctrl & kCtrlCommit) && (new_ctrl & kCtrlCommit);
  const bool falling = (old_ctrl & kCtrlCommit) && !(new_ctrl & kCtrlCommit);
  if (rising) {
    if (auto reason = validate_commit(n)) {
      last_error_ = fmt::format("decoder {}: {}", n, *reason);
      ctrl = (ctrl & ~kCtrlCommitted) | kCtrlErrorNotCommitted;
      return;
    }
    ctrl = (ctrl | kCtrlCommitted) & ~kCtrlErrorNotCommitted;
    if (ctrl & kCtrlLockOnCommit) locked_[n] = true;
    notify(n, true);
  } else if (falling) {
    if (!(old_ctrl & kCtrlCommitted)) {
      ctrl &= ~kCtrlErrorNotCommitted;
      return;
    }
    // §8.2.4.20.12: decoders are decommitted in reverse order of commit.
    if (n + 1 < decoder_count_ && (reg(decoder_reg(n + 1, kControl)) & kCtrlCommitted)) {
      last_error_ = fmt::format("decoder {}: decoder {} must be decommitted first", n, n + 1);
      ctrl |= kCtrlCommit;
      return;
    }
    ctrl &= ~(kCtrlCommitted | kCtrlErrorNotCommitted);
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
    if (!std::has_single_bit(ways)) return fmt::format("{}-way interleave is not supported by a port", ways);
    if (ways > target_count_)
      return fmt::format("{}-way interleave exceeds the target count {}", ways, target_count_);
  }
  if (s.size.value() % (align * ways) != 0)
    return fmt::format("size is not a multiple of {} ways x 256 MiB", ways);
  if (n > 0) {
    const DecoderState prev = state(n - 1);
    if (!prev.committed) return fmt::format("decoder {} is not committed (commit in order)", n - 1);
    if (s.base < prev.base + prev.size) return "base is below the previous decoder's base + size";
  }
  if (kind_ == HdmKind::kPort) {
    const std::vector<uint8_t> dports = context_ ? context_->dport_numbers() : std::vector<uint8_t>{};
    for (unsigned i = 0; i < ways; ++i)
      if (std::find(dports.begin(), dports.end(), s.targets[i]) == dports.end())
        return fmt::format("target {} names port {}, which is not a downstream port", i, s.targets[i]);
    return std::nullopt;
  }
  const Bytes vol = context_ ? context_->volatile_capacity() : Bytes(0);
  const Bytes pmem = context_ ? context_->persistent_capacity() : Bytes(0);
  const Bytes dc = context_ ? context_->dynamic_capacity() : Bytes(0);
  const Dpa end = s.dpa_base + s.dpa_size;
  if (end > Dpa(0) + vol + pmem + dc)
    return fmt::format("DPA range {:#x}-{:#x} exceeds the device capacity {:#x}", s.dpa_base.value(),
                       end.value() - 1, (vol + pmem + dc).value());
  if (s.dpa_base < Dpa(0) + vol + pmem && end > Dpa(0) + vol + pmem)
    return "DPA range straddles the static/dynamic capacity boundary";
  if (s.dpa_base < Dpa(vol.value()) && end > Dpa(vol.value()))
    return "DPA range straddles the volatile/persistent partition boundary";
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
    for (size_t i = 0; i < s.targets.size() && i < kMaxTargets; ++i)
      list |= uint64_t{s.targets[i]} << (8 * i);
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
  s.target_type = (ctrl & kCtrlTargetType) ? HdmTargetType::kHostOnly : HdmTargetType::kDeviceCoherent;
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
  for (unsigned n = 0; n < decoder_count_; ++n)
    if (reg(decoder_reg(n, kControl)) & kCtrlCommitted) ++k;
  return k;
}

void HdmDecoderCapability::reset() {
  std::vector<bool> was_committed(decoder_count_);
  for (unsigned n = 0; n < decoder_count_; ++n)
    was_committed[n] = reg(decoder_reg(n, kControl)) & kCtrlCommitted;
  const uint32_t cap = reg(kCapabilityReg);
  std::fill(regs_.begin(), regs_.end(), 0);
  reg(kCapabilityReg) = cap;
  std::fill(locked_.begin(), locked_.end(), false);
  for (unsigned n = decoder_count_; n-- > 0;)
    if (was_committed[n]) notify(n, false);
}

}  // namespace cxlsim
