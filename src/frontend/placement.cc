#include "frontend/placement.h"

#include <fmt/format.h>

#include <algorithm>

#include "spec/error.h"
#include "spec/units.h"

namespace cxlsim::frontend {

PlacementPolicy parse_placement(const std::string& text) {
  PlacementPolicy p;
  auto bad = [&] {
    return ParseError(fmt::format(
        "invalid --placement '{}': expected all-dram, all-cxl, interleave:D:C or first-touch:BYTES",
        text));
  };
  if (text == "all-dram") {
    p.kind = PlacementPolicy::Kind::kAllDram;
  } else if (text == "all-cxl") {
    p.kind = PlacementPolicy::Kind::kAllCxl;
  } else if (text.rfind("interleave:", 0) == 0) {
    p.kind = PlacementPolicy::Kind::kInterleave;
    unsigned long long d = 0, c = 0;
    char tail = 0;
    if (std::sscanf(text.c_str() + 11, "%llu:%llu%c", &d, &c, &tail) != 2 || d + c == 0) {
      throw bad();
    }
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

Placement::Placement(const PlacementPolicy& p, uint64_t dram_base, uint64_t dram_size,
                     uint64_t cxl_base, uint64_t cxl_size)
    : p_(p),
      dram_base_(dram_base),
      dram_size_(dram_size),
      cxl_base_(cxl_base),
      cxl_size_(cxl_size) {
  if (p_.kind != PlacementPolicy::Kind::kAllDram && cxl_size_ == 0) {
    throw ValidationError("placement puts pages in CXL memory, but the system has no CXL window");
  }
  if ((std::max(dram_base_ + dram_size_, cxl_base_ + cxl_size_) - 1) / kPage + 1 >= UINT32_MAX) {
    throw ValidationError("placement: memory beyond 16 TiB of host physical address space");
  }
}

uint32_t Placement::place() {
  bool dram = true;
  switch (p_.kind) {
    case PlacementPolicy::Kind::kAllDram:
      dram = true;
      break;
    case PlacementPolicy::Kind::kAllCxl:
      dram = false;
      break;
    case PlacementPolicy::Kind::kInterleave:
      dram = touched_ % (p_.dram_pages + p_.cxl_pages) < p_.dram_pages;
      break;
    case PlacementPolicy::Kind::kFirstTouch:
      dram = dram_used_ * kPage < p_.dram_bytes;
      break;
  }
  ++touched_;
  if (!dram && (cxl_used_ + 1) * kPage > cxl_size_) {
    dram = true;  // the CXL window is full: spill
    ++spilled_;
  }
  const uint64_t base =
      dram ? dram_base_ + (dram_used_++ * kPage) % dram_size_ : cxl_base_ + cxl_used_++ * kPage;
  return static_cast<uint32_t>(base / kPage + 1);
}

}  // namespace cxlsim::frontend
