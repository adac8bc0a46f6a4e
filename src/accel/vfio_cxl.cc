#include "accel/vfio_cxl.h"

namespace cxlsim::accel {

std::optional<VfioCxlLayout> parse_vfio_cxl_layout(std::string_view s) {
  if (s == "v1") return VfioCxlLayout::kV1;
  if (s == "v2") return VfioCxlLayout::kV2;
  if (s == "v3") return VfioCxlLayout::kV3;
  return std::nullopt;
}

std::string_view vfio_cxl_layout_name(VfioCxlLayout l) {
  switch (l) {
    case VfioCxlLayout::kV1:
      return "v1";
    case VfioCxlLayout::kV2:
      return "v2";
    case VfioCxlLayout::kV3:
      return "v3";
  }
  return "?";
}

CompRegsWindow vfio_cxl_comp_regs_window(VfioCxlLayout l, uint32_t block_size,
                                         uint32_t cache_mem_offset, uint32_t hdm_offset,
                                         uint32_t hdm_size) {
  switch (l) {
    case VfioCxlLayout::kV1:  // the compact HDM decoder array (PATCH 13/20, March 2026)
      return {hdm_offset, hdm_size};
    case VfioCxlLayout::kV2:  // capability array header at region offset 0
      return {cache_mem_offset, hdm_offset + hdm_size - cache_mem_offset};
    case VfioCxlLayout::kV3:  // the component block, zero below CXL_CM_OFFSET
      return {0, block_size};
  }
  return {};
}

std::vector<vfio_region_sparse_mmap_area> vfio_cxl_sparse_areas(uint64_t bar_size,
                                                                uint64_t block_offset,
                                                                uint64_t block_size) {
  std::vector<vfio_region_sparse_mmap_area> areas;
  if (block_offset > 0) areas.push_back({0, block_offset});
  const uint64_t end = block_offset + block_size;
  if (end < bar_size) areas.push_back({end, bar_size - end});
  return areas;
}

}  // namespace cxlsim::accel
