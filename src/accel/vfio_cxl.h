// The vfio-cxl UAPI (CXL Type-2 device passthrough through vfio-pci), the three layouts the
// kernel series went through in 2026, defined once here for the device server's vfio-user face
// (vfio_cxl_device.h) and its clients. The standard VFIO numbers and structures (device flags,
// vfio_info_cap_header, region info capabilities, sparse mmap) are Linux's, from <linux/vfio.h>;
// what the series adds is below. Written here from the patches (nothing copied):
//
//   v1  Manish Honap, "[PATCH 06/20] vfio/cxl: Add UAPI for CXL Type-2 device passthrough",
//       linux-cxl, 11 Mar 2026 (Message-ID 20260311203440.752648-7-mhonap@nvidia.com) and
//       vfio_cxl_get_info() of the same series: hdm_count, hdm_regs_bar_index, flags
//       (COMMITTED, PRECOMMITTED), hdm_regs_size, hdm_regs_offset (the HDM Decoder
//       Capability's offset in the BAR), dpa_size, dpa_region_index, comp_regs_region_index.
//       The patch's struct body was not at hand, only its field list and the code filling it:
//       the field order and widths below follow that list with natural alignment, and the two
//       flags are bits 0 and 1 in the order the patch names them.
//   v2  the series' v2 (Documentation/driver-api/vfio-pci-cxl.rst "UAPI:
//       VFIO_DEVICE_INFO_CAP_CXL"): u8 hdm_regs_bar_index, u8 reserved[3], u32 flags
//       (FIRMWARE_COMMITTED bit 0, CACHE_CAPABLE bit 1), u64 hdm_regs_offset (component block
//       offset + 0x1000: the CXL.cache/mem range), u32 dpa_region_index, u32
//       comp_regs_region_index; hdm_count and the decoder offset are read from COMP_REGS.
//   v3  "[PATCH v3 05/11] vfio: UAPI for CXL Type-2 device passthrough", 25 Jun 2026: u32 flags
//       (HOST_FIRMWARE_COMMITTED bit 0), u32 hdm_region_idx, u32 comp_reg_region_idx, u32
//       comp_reg_bar, u32 __resv, u64 comp_reg_offset, u64 comp_reg_size.
//
// What the COMP_REGS region covers differs with the layout (vfio_cxl_comp_regs_window()):
// v1 the HDM Decoder Capability alone, v2 the CXL.cache/mem range from its capability array
// header through the HDM decoders, v3 the whole component register block (zero below 0x1000).
#pragma once

#include <linux/vfio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace cxlsim::accel {

// VFIO_DEVICE_FLAGS_CXL: vfio_device_info.flags bit 9 (all three versions).
inline constexpr uint32_t kVfioDeviceFlagsCxl = 1u << 9;
// VFIO_DEVICE_INFO_CAP_CXL: the device info capability id (all three versions), version 1.
inline constexpr uint16_t kVfioDeviceInfoCapCxl = 6;
inline constexpr uint16_t kVfioDeviceInfoCapCxlVersion = 1;
// Region type (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_CXL) and subtypes.
inline constexpr uint32_t kVfioRegionTypeCxl = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1E98u;
inline constexpr uint32_t kVfioRegionSubtypeCxl = 1;          // the DPA (HDM) memory
inline constexpr uint32_t kVfioRegionSubtypeCxlCompRegs = 2;  // the component register shadow
// The device-specific regions follow vfio-pci's fixed ones (BAR0-5, ROM, config, VGA).
inline constexpr uint32_t kVfioCxlDpaRegionIndex = VFIO_PCI_NUM_REGIONS;
inline constexpr uint32_t kVfioCxlCompRegsRegionIndex = VFIO_PCI_NUM_REGIONS + 1;
inline constexpr uint32_t kVfioCxlNumRegions = VFIO_PCI_NUM_REGIONS + 2;

enum class VfioCxlLayout : uint8_t { kV1 = 1, kV2 = 2, kV3 = 3 };
inline constexpr VfioCxlLayout kVfioCxlNewest = VfioCxlLayout::kV3;
// "v1", "v2", "v3" (the server's --vfio-cxl); nullopt for anything else.
std::optional<VfioCxlLayout> parse_vfio_cxl_layout(std::string_view s);
std::string_view vfio_cxl_layout_name(VfioCxlLayout l);

// v1 (March 2026).
inline constexpr uint32_t kVfioCxlV1Committed = 1u << 0;
inline constexpr uint32_t kVfioCxlV1Precommitted = 1u << 1;
struct VfioCxlCapV1 {
  vfio_info_cap_header header;
  uint8_t hdm_count;
  uint8_t hdm_regs_bar_index;
  uint16_t reserved;
  uint32_t flags;
  uint64_t hdm_regs_size;
  uint64_t hdm_regs_offset;
  uint64_t dpa_size;
  uint32_t dpa_region_index;
  uint32_t comp_regs_region_index;
};
static_assert(sizeof(VfioCxlCapV1) == 48 && offsetof(VfioCxlCapV1, hdm_regs_size) == 16);

// v2.
inline constexpr uint32_t kVfioCxlV2FirmwareCommitted = 1u << 0;
inline constexpr uint32_t kVfioCxlV2CacheCapable = 1u << 1;
struct VfioCxlCapV2 {
  vfio_info_cap_header header;
  uint8_t hdm_regs_bar_index;
  uint8_t reserved[3];
  uint32_t flags;
  uint64_t hdm_regs_offset;
  uint32_t dpa_region_index;
  uint32_t comp_regs_region_index;
};
static_assert(sizeof(VfioCxlCapV2) == 32 && offsetof(VfioCxlCapV2, hdm_regs_offset) == 16);

// v3 (June 2026).
inline constexpr uint32_t kVfioCxlV3HostFirmwareCommitted = 1u << 0;
struct VfioCxlCapV3 {
  vfio_info_cap_header header;
  uint32_t flags;
  uint32_t hdm_region_idx;
  uint32_t comp_reg_region_idx;
  uint32_t comp_reg_bar;
  uint32_t resv;
  uint64_t comp_reg_offset;
  uint64_t comp_reg_size;
};
static_assert(sizeof(VfioCxlCapV3) == 48 && offsetof(VfioCxlCapV3, comp_reg_offset) == 32);

// The part of the component register block [start, start + size) (block offsets) that the
// COMP_REGS region shows at region offset 0, for a block whose HDM Decoder Capability sits at
// `hdm_offset` with `hdm_size` bytes and whose CXL.cache/mem range starts at `cache_mem_offset`.
struct CompRegsWindow {
  uint32_t start = 0;
  uint32_t size = 0;
};
CompRegsWindow vfio_cxl_comp_regs_window(VfioCxlLayout l, uint32_t block_size,
                                         uint32_t cache_mem_offset, uint32_t hdm_offset,
                                         uint32_t hdm_size);

// The mmap-able areas of a component BAR of `bar_size` bytes whose component register block
// is [block_offset, block_offset + block_size): everything else, in offset order (0, 1 or 2
// areas: block at the end, at the start, in the middle). None when the block fills the BAR.
std::vector<vfio_region_sparse_mmap_area> vfio_cxl_sparse_areas(uint64_t bar_size,
                                                                uint64_t block_offset,
                                                                uint64_t block_size);

}  // namespace cxlsim::accel
