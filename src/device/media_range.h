// What the poison and media commands share: DPA range checks (a range is addressable when it
// lies in the static capacity or in dynamic capacity the host has accepted) and the Media Error
// Record both return.
#pragma once

#include <cstdint>
#include <vector>

#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"
#include "device/poison_list.h"

namespace cxlsim::device {

inline bool dpa_range_valid(const MemdevCci& dev, uint64_t dpa, uint64_t len) {
  const uint64_t cap = dev.config().static_capacity().value();
  if (len == 0) return false;
  if (len <= cap && dpa <= cap - len) return true;
  const uint64_t span = dev.config().dpa_span().value();
  if (len > span || dpa > span - len) return false;
  return dpa >= cap && dev.state().dc.region_of(dpa, len).has_value();
}

// Appends one Media Error Record (payload::MediaErrorRecord) for `r`.
inline void put_media_error_record(std::vector<uint8_t>& out, const PoisonRecord& r) {
  using L = payload::MediaErrorRecord;
  constexpr uint64_t kAddrMask = ~uint64_t{0x3f};  // bits 5:0 of a DPA field are not address
  const size_t at = out.size();
  out.resize(at + L::kSize, 0);
  L::kDpaAndSource.put(out, at, (r.dpa & kAddrMask) | static_cast<uint64_t>(r.source));
  L::kLength.put(out, at, r.length / kPoisonGranule);
}

}  // namespace cxlsim::device
