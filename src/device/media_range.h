// DPA range checks shared by the poison and media commands: a range is addressable when it
// lies in the static capacity or in dynamic capacity the host has accepted.
#pragma once

#include <cstdint>

#include "device/memdev_cci.h"

namespace cxlsim::device {

inline bool dpa_range_valid(const MemdevCci& dev, uint64_t dpa, uint64_t len) {
  const uint64_t cap = dev.config().static_capacity().value();
  if (len == 0) return false;
  if (len <= cap && dpa <= cap - len) return true;
  const uint64_t span = dev.config().dpa_span().value();
  if (len > span || dpa > span - len) return false;
  return dpa >= cap && dev.state().dc.region_of(dpa, len).has_value();
}

}  // namespace cxlsim::device
