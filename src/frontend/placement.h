// Page placement for trace replay and `cxlsim run`: maps each 4 KiB page of a program's (or a
// trace's) address space onto local DRAM or the topology's CXL memory, the way a NUMA policy
// would.
//   all-dram            every page in local DRAM
//   all-cxl             every page in CXL memory (the first window)
//   interleave:D:C      D pages to DRAM, then C pages to CXL, repeating (by first touch order)
//   first-touch:BYTES   the first BYTES of touched pages go to DRAM, the rest to CXL
// CXL capacity is the window's: a page that finds it full spills to DRAM (spilled_pages()).
//
// Pages are looked up in a flat two-level page table (1 GiB of address space per leaf, leaves
// allocated on first touch, the last leaf used remembered), not a hash map: a lookup is two
// dependent loads, so placement never dominates the engine's cost.
#pragma once

#include <cstdint>
#include <memory>
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

// Page number -> frame number + 1 (0: not mapped yet), for any 64-bit address space.
class PageTable {
 public:
  static constexpr unsigned kLeafBits = 18;  // 2^18 pages of 4 KiB = 1 GiB per leaf
  // The entry of `page` (created as 0 on first use).
  uint32_t& at(uint64_t page) {
    const uint64_t key = page >> kLeafBits;
    if (key != last_key_ || last_ == nullptr) {
      auto& leaf = leaves_[key];
      if (!leaf) leaf = std::make_unique<uint32_t[]>(uint64_t{1} << kLeafBits);
      last_key_ = key;
      last_ = leaf.get();
    }
    return last_[page & ((uint64_t{1} << kLeafBits) - 1)];
  }

 private:
  std::unordered_map<uint64_t, std::unique_ptr<uint32_t[]>> leaves_;  // few: one per GiB touched
  uint64_t last_key_ = 0;
  uint32_t* last_ = nullptr;
};

class Placement {
 public:
  static constexpr uint64_t kPage = 4096;
  Placement(const PlacementPolicy& p, uint64_t dram_base, uint64_t dram_size, uint64_t cxl_base,
            uint64_t cxl_size);
  // Host physical address of a trace address. Pages are assigned on first touch.
  uint64_t map(uint64_t address) {
    uint32_t& e = table_.at(address / kPage);
    if (e == 0) e = place();
    return (uint64_t{e} - 1) * kPage + address % kPage;
  }
  // Whether the page holding `address` has been placed (no state change besides the table).
  bool placed(uint64_t address) { return table_.at(address / kPage) != 0; }
  uint64_t dram_pages() const { return dram_used_; }
  uint64_t cxl_pages() const { return cxl_used_; }
  // Pages the policy sent to CXL memory that went to DRAM because the CXL window was full.
  uint64_t spilled_pages() const { return spilled_; }

 private:
  uint32_t place();  // the next touched page's frame number + 1
  PlacementPolicy p_;
  uint64_t dram_base_, dram_size_, cxl_base_, cxl_size_;
  uint64_t dram_used_ = 0, cxl_used_ = 0, touched_ = 0, spilled_ = 0;
  PageTable table_;
};

}  // namespace cxlsim::frontend
