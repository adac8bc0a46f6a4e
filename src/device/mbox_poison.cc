// Poison management (CXL 3.1 §8.2.9.9.4.1-3): Get Poison List (4300h), Inject Poison (4301h),
// Clear Poison (4302h). Poisoned DPAs make host reads report poison (MemdevCci::read).
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/media_range.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr uint64_t kAddrMask = ~uint64_t{0x3f};  // bits 5:0 reserved in DPA fields

// Input (Table 8-135): Physical Address (8), Length (8, 64 B units). Output (Table 8-136).
MboxReturn get_poison_list(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const uint64_t dpa = payload::DpaRange::kDpa.get(in) & kAddrMask;
  const uint64_t units = payload::DpaRange::kLength.get(in);
  if (units == 0 || units > (~uint64_t{0} >> 6)) return MboxReturn::kInvalidInput;
  const uint64_t len = units * kPoisonGranule;
  const uint64_t span = dev.config().dpa_span().value();
  if (len > span || dpa > span - len) return MboxReturn::kInvalidPhysicalAddress;
  const auto& pl = dev.state().poison;
  const auto recs = pl.overlapping(dpa, len);
  using L = payload::PoisonList;
  const size_t fit =
      (dev.mailbox().payload_size() - L::kRecords) / payload::MediaErrorRecord::kSize;
  const size_t n = std::min(fit, recs.size());
  uint8_t flags = 0;
  if (n < recs.size()) flags |= 1;
  if (pl.overflowed()) flags |= 2;
  const auto& bg = dev.mailbox().background_status();
  if (bg.running && bg.opcode == opcode::kScanMedia) flags |= 4;
  L::kFlags.put(out, flags);
  L::kOverflowTimestamp.put(out, pl.overflowed() ? pl.overflow_timestamp_ns() : 0);
  L::kRecordCount.put(out, n);
  out.resize(L::kRecords, 0);
  for (size_t i = 0; i < n; ++i) put_media_error_record(out, recs[i]);
  return MboxReturn::kSuccess;
}

// Input (Table 8-137): Inject Poison Physical Address (8).
MboxReturn inject_poison(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  const uint64_t dpa = payload::InjectPoison::kDpa.get(in) & kAddrMask;
  if (!dpa_range_valid(dev, dpa, kPoisonGranule)) return MboxReturn::kInvalidPhysicalAddress;
  auto& pl = dev.state().poison;
  if (pl.poisoned(dpa, kPoisonGranule)) return MboxReturn::kSuccess;  // already poisoned
  if (pl.injected_count() >= dev.config().inject_poison_limit) {
    return MboxReturn::kInjectPoisonLimitReached;
  }
  if (!pl.add(dpa, kPoisonGranule, PoisonSource::kInjected, dev.timestamp_ns())) {
    return MboxReturn::kInjectPoisonLimitReached;
  }
  return MboxReturn::kSuccess;
}

// Input (Table 8-138): Clear Poison Physical Address (8), Write Data (64). The data replaces
// the line whether or not it was poisoned.
MboxReturn clear_poison(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  using L = payload::ClearPoison;
  const uint64_t dpa = L::kDpa.get(in) & kAddrMask;
  if (!dpa_range_valid(dev, dpa, kPoisonGranule)) return MboxReturn::kInvalidPhysicalAddress;
  if (dpa + kPoisonGranule > dev.media().capacity().value()) {
    return MboxReturn::kInvalidPhysicalAddress;
  }
  dev.media().write(Dpa(dpa), L::kWriteData.get(in));
  dev.state().poison.clear(dpa, kPoisonGranule);
  return MboxReturn::kSuccess;
}

}  // namespace

void add_poison_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetPoisonList, "Get Poison List", get_poison_list,
               fixed_input(payload::DpaRange::kSize), 0, gate::kNone});
  t.push_back({opcode::kInjectPoison, "Inject Poison", inject_poison,
               fixed_input(payload::InjectPoison::kSize), effect::kImmediateDataChange,
               gate::kUnlocked | gate::kMedia});
  t.push_back({opcode::kClearPoison, "Clear Poison", clear_poison,
               fixed_input(payload::ClearPoison::kSize), effect::kImmediateDataChange,
               gate::kUnlocked | gate::kMedia});
}

}  // namespace cxlsim::device
