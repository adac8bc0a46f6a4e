// Page placement for trace replay: maps each 4 KiB page of the trace's address space onto
// local DRAM or the topology's CXL memory, the way a NUMA policy would.
//   all-dram            every page in local DRAM
//   all-cxl             every page in CXL memory (the first window)
//   interleave:D:C      D pages to DRAM, then C pages to CXL, repeating (by first touch order)
//   first-touch:BYTES   the first BYTES of touched pages go to DRAM, the rest to CXL
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace cxlsim::frontend {

struct PlacementPolicy {
  enum class Kind { kAllDram, kAllCxl, kInterleave, kFirstTouch } kind = Kind::kAllDram;
  uint64_t dram_pages = 1, cxl_pages = 1;  // interleave
  uint64_t dram_bytes = 0;                 // first-touch
};

// Throws ParseError naming the text.
PlacementPolicy parse_placement(const std::string& text);

class Placement {
 public:
  static constexpr uint64_t kPage = 4096;
  Placement(const PlacementPolicy& p, uint64_t dram_base, uint64_t dram_size, uint64_t cxl_base, uint64_t cxl_size);
  // Host physical address of a trace address. Pages are assigned on first touch.
  uint64_t map(uint64_t address);
  uint64_t dram_pages() const { return dram_used_; }
  uint64_t cxl_pages() const { return cxl_used_; }

 private:
  PlacementPolicy p_;
  uint64_t dram_base_, dram_size_, cxl_base_, cxl_size_;
  uint64_t dram_used_ = 0, cxl_used_ = 0, touched_ = 0;
  std::unordered_map<uint64_t, uint64_t> pages_;  // trace page -> HPA page base
};

}  // namespace cxlsim::frontend
