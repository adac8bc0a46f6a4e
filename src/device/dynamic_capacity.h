// Dynamic Capacity (CXL 3.1 §8.2.9.9.9, §9.13.3): DC regions of a DCD and the extents the
// host has accepted or the fabric manager has offered. All addresses are DPAs in bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "device/mbox_payload.h"

namespace cxlsim::device {

struct DcRegion {
  uint64_t base = 0;        // DPA, 256 MiB aligned
  uint64_t length = 0;      // bytes, multiple of block_size
  uint64_t block_size = 0;  // power of two, >= 64 B
  uint32_t dsmad_handle = 0;
  bool sanitize_on_release = false;
  [[nodiscard]] bool contains(uint64_t dpa, uint64_t len) const {
    return dpa >= base && len <= length && dpa - base <= length - len;
  }
};

struct DcExtent {
  uint64_t dpa = 0;
  uint64_t length = 0;
  Uuid tag{};
  uint16_t shared_sequence = 0;
  bool operator==(const DcExtent&) const = default;
  [[nodiscard]] bool overlaps(uint64_t d, uint64_t l) const {
    return d < dpa + length && dpa < d + l;
  }
};

// Extents are kept sorted by DPA and non-overlapping.
struct DynamicCapacity {
  std::vector<DcRegion> regions;
  std::vector<DcExtent> accepted;  // capacity the host owns
  std::vector<DcExtent> pending;   // offered by Add Capacity events, awaiting a response
  uint32_t generation = 0;         // Extent List Generation Number
  uint32_t max_extents = 64;

  // Index of the region holding [dpa, dpa+len), or nullopt.
  [[nodiscard]] std::optional<size_t> region_of(uint64_t dpa, uint64_t len) const;
  [[nodiscard]] bool accepted_covers(uint64_t dpa, uint64_t len) const;
  // Removes [dpa, dpa+len) from the accepted list, splitting extents.
  void release(uint64_t dpa, uint64_t len);
};

}  // namespace cxlsim::device
