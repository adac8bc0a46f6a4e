#include "frontend/placement.h"

#include <fmt/format.h>

#include "spec/error.h"
#include "spec/units.h"

namespace cxlsim::frontend {

PlacementPolicy parse_placement(const std::string& text) {
  PlacementPolicy p;
  auto bad = [&] {
    return ParseError(fmt::format("invalid --placement '{}': expected all-dram, all-cxl, interleave:D:C or first-touch:BYTES", text));
  };
  if (text == "all-dram") {
    p.kind = PlacementPolicy::Kind::kAllDram;
  } else if (text == "all-cxl") {
    p.kind = PlacementPolicy::Kind::kAllCxl;
  } else if (text.rfind("interleave:", 0) == 0) {
    p.kind = PlacementPolicy::Kind::kInterleave;
    unsigned long long d = 0, c = 0;
    char tail = 0;
    if (std::sscanf(text.c_str() + 11, "%llu:%llu%c", &d, &c, &tail) != 2 || d + c == 0) throw bad();
    p.dram_pages = d;
    p.cxl_pages = c;
  } else if (text.rfind("first-touch:", 0) == 0) {
    p.kind = PlacementPolicy::Kind::kFirstTouch;
    try {
      p.dram_bytes = parse_bytes(text.substr(12)).value();
    } catch (const ParseError&) {
      throw bad();
    }
  } else {
    throw bad();
  }
  return p;
}

Placement::Placement(const PlacementPolicy& p, uint64_t dram_base, uint64_t dram_size, uint64_t cxl_base, uint64_t cxl_size)
    : p_(p), dram_base_(dram_base), dram_size_(dram_size), cxl_base_(cxl_base), cxl_size_(cxl_size) {
  if (p_.kind != PlacementPolicy::Kind::kAllDram && cxl_size_ == 0) {
    throw ValidationError("placement puts pages in CXL memory, but the system has no CXL window");
  }
}

uint64_t Placement::map(uint64_t address) {
  const uint64_t page = address / kPage;
  auto it = pages_.find(page);
  if (it == pages_.end()) {
    bool dram = true;
    switch (p_.kind) {
      case PlacementPolicy::Kind::kAllDram: dram = true; break;
      case PlacementPolicy::Kind::kAllCxl: dram = false; break;
      case PlacementPolicy::Kind::kInterleave: dram = touched_ % (p_.dram_pages + p_.cxl_pages) < p_.dram_pages; break;
      case PlacementPolicy::Kind::kFirstTouch: dram = dram_used_ * kPage < p_.dram_bytes; break;
    }
    ++touched_;
    uint64_t base;
    if (dram) {
      base = dram_base_ + (dram_used_++ * kPage) % dram_size_;
    } else {
      base = cxl_base_ + (cxl_used_++ * kPage) % cxl_size_;
    }
    it = pages_.emplace(page, base).first;
  }
  return it->second + address % kPage;
}

}  // namespace cxlsim::frontend
