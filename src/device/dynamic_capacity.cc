#include "device/dynamic_capacity.h"

#include <algorithm>

namespace cxlsim::device {

std::optional<size_t> DynamicCapacity::region_of(uint64_t dpa, uint64_t len) const {
  for (size_t i = 0; i < regions.size(); ++i) {
    if (regions[i].contains(dpa, len)) return i;
  }
  return std::nullopt;
}

bool DynamicCapacity::accepted_covers(uint64_t dpa, uint64_t len) const {
  // Extents are sorted and disjoint; walk them until the range is covered.
  uint64_t a = dpa;
  const uint64_t end = dpa + len;
  for (const auto& e : accepted) {
    if (e.dpa > a) break;
    if (e.dpa + e.length > a) a = e.dpa + e.length;
    if (a >= end) return true;
  }
  return a >= end;
}

void DynamicCapacity::release(uint64_t dpa, uint64_t len) {
  std::vector<DcExtent> out;
  const uint64_t end = dpa + len;
  for (const auto& e : accepted) {
    if (!e.overlaps(dpa, len)) {
      out.push_back(e);
      continue;
    }
    if (e.dpa < dpa) {
      DcExtent lo = e;
      lo.length = dpa - e.dpa;
      out.push_back(lo);
    }
    if (e.dpa + e.length > end) {
      DcExtent hi = e;
      hi.dpa = end;
      hi.length = e.dpa + e.length - end;
      out.push_back(hi);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const DcExtent& a, const DcExtent& b) { return a.dpa < b.dpa; });
  accepted = std::move(out);
}

}  // namespace cxlsim::device
