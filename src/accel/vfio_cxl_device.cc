#include "accel/vfio_cxl_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "spec/error.h"

namespace cxlsim::accel {
namespace {

using Hdm = HdmDecoderCapability;

Bytes round_up_256m(uint64_t bytes) {
  const uint64_t g = Hdm::kAlign.value();
  return Bytes((bytes + g - 1) / g * g);
}

template <typename T>
void append(std::vector<std::byte>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

// `info` (a vfio_device_info or vfio_region_info: argsz and cap_offset fields) followed by the
// capability chain `caps` when `argsz` leaves room for it; otherwise `info` alone with the size
// it needs in argsz and cap_offset 0 (VFIO's rule for GET_INFO and GET_REGION_INFO). A client
// buffer smaller than `min_reply` still gets `min_reply` bytes.
template <typename Info>
std::vector<std::byte> with_caps(Info info, const std::vector<std::byte>& caps, uint32_t argsz,
                                 size_t min_reply) {
  info.argsz = static_cast<uint32_t>(sizeof info + caps.size());
  const bool fits = argsz >= info.argsz;
  info.cap_offset = fits ? static_cast<uint32_t>(sizeof info) : 0;
  std::vector<std::byte> out;
  append(out, info);
  if (fits) {
    out.insert(out.end(), caps.begin(), caps.end());
  } else if (argsz < sizeof info) {
    out.resize(std::max<size_t>(argsz, min_reply));
  }
  return out;
}

vfio_info_cap_header cap_header(uint16_t id, uint16_t version) { return {id, version, 0}; }

// The HDM the guest's decoders may decode: the memory (rounded up to the 256 MiB granule), or
// more when the device's committed decoders already map more (a topology's device served with
// a smaller --memory: the DPA region is the memory, the decoders keep the device's HDM).
Bytes hdm_capacity(const DeviceMemory& memory, const Hdm* hdm) {
  Bytes size = round_up_256m(memory.size());
  for (unsigned n = 0; hdm != nullptr && n < hdm->decoder_count(); ++n) {
    const DecoderState s = hdm->state(n);
    if (s.committed) size = std::max(size, Bytes(s.dpa_base.value()) + s.dpa_size);
  }
  return size;
}

}  // namespace

VfioCxlDevice::VfioCxlDevice(DeviceMemory& memory, HdmDecoderCapability* hdm,
                             const ConfigSpace* config, const VfioCxlOptions& o)
    : memory_(memory),
      layout_(o.layout),
      hdm_size_(hdm_capacity(memory, hdm)),
      capacity_(hdm_size_),
      own_hdm_(hdm != nullptr ? nullptr
                              : std::make_unique<Hdm>(HdmKind::kEndpoint, 1, 0, &capacity_)),
      physical_(hdm != nullptr ? hdm : own_hdm_.get()),
      guest_hdm_(HdmKind::kEndpoint, physical_->decoder_count(), 0, &capacity_),
      guest_block_(make_endpoint_component_registers(guest_hdm_)),
      initial_config_(config != nullptr ? *config : make_type2_config_space(hdm_size_)),
      config_(initial_config_) {
  const auto dvsec = config_.find_dvsec(kCxlDvsecVendorId, 0);
  if (!dvsec) throw ValidationError("vfio-cxl: the device has no CXL Device DVSEC");
  dvsec_ = *dvsec;
  bool found = false;
  for (const RegisterBlockEntry& e : read_register_locator(config_)) {
    if (e.id == RegisterBlockId::kComponent) {
      component_ = e;
      found = true;
    }
  }
  if (!found) throw ValidationError("vfio-cxl: the device has no component register block");
  if (o.precommit && !physical_->state(0).committed) {
    // What the host's firmware (or CXL driver) does before vfio-pci binds: decoder 0 maps all
    // of the HDM at the host's address, DPA 0, locked.
    DecoderSettings s;
    s.base = o.host_base;
    s.size = hdm_size_;
    s.target_type = HdmTargetType::kDeviceCoherent;  // HDM-D(B): a Type 2 device's memory
    s.lock_on_commit = true;
    physical_->set_enabled(true);
    physical_->program(0, s);
    if (!physical_->commit(0)) {
      throw ValidationError(fmt::format("vfio-cxl: firmware commit of decoder 0 at {:#x}: {}",
                                        o.host_base.value(), physical_->last_error()));
    }
  }
  precommitted_count_ = physical_->committed_count();
  precommitted_ = precommitted_count_ > 0;
  guest_hdm_.set_commit_observer([this](unsigned /*n*/, bool /*committed*/) {
    if (!rebasing_) update_active();
  });
  snapshot();
}

uint32_t VfioCxlDevice::hdm_block_offset() const {
  return ComponentRegisters::kCacheMemOffset + ComponentRegisters::kHdmOffset;
}

CompRegsWindow VfioCxlDevice::comp_regs_window() const {
  return vfio_cxl_comp_regs_window(layout_, ComponentRegisters::kBlockSize,
                                   ComponentRegisters::kCacheMemOffset, hdm_block_offset(),
                                   guest_hdm_.size_bytes());
}

// The guest's decoders from the physical ones, through the registers: programming copied,
// then Commit written for each committed decoder (the register model validates it again).
// Committed decoders get BASE 0 (packed upwards in decoder order) and no Lock On Commit: the
// host's HPA is not the guest's business (the series' v2 shadow).
void VfioCxlDevice::snapshot() {
  rebasing_ = true;
  guest_hdm_.reset();
  guest_hdm_.write32(Hdm::kGlobalControlReg, physical_->read32(Hdm::kGlobalControlReg));
  uint64_t next_base = 0;
  for (unsigned n = 0; n < physical_->decoder_count(); ++n) {
    const DecoderState s = physical_->state(n);
    for (const uint32_t r : {Hdm::kSizeLo, Hdm::kSizeHi, Hdm::kTargetLo, Hdm::kTargetHi}) {
      guest_hdm_.write32(Hdm::decoder_reg(n, r), physical_->read32(Hdm::decoder_reg(n, r)));
    }
    uint64_t base = s.base.value();
    if (s.committed) {
      base = next_base;
      next_base += s.size.value();
    }
    guest_hdm_.write32(Hdm::decoder_reg(n, Hdm::kBaseLo), static_cast<uint32_t>(base));
    guest_hdm_.write32(Hdm::decoder_reg(n, Hdm::kBaseHi), static_cast<uint32_t>(base >> 32));
    const uint32_t ctrl = physical_->read32(Hdm::decoder_reg(n, Hdm::kControl)) &
                          ~(Hdm::kCtrlCommit | Hdm::kCtrlCommitted | Hdm::kCtrlErrorNotCommitted |
                            Hdm::kCtrlLockOnCommit);
    guest_hdm_.write32(Hdm::decoder_reg(n, Hdm::kControl), ctrl);
    if (s.committed) {
      guest_hdm_.write32(Hdm::decoder_reg(n, Hdm::kControl), ctrl | Hdm::kCtrlCommit);
    }
  }
  rebasing_ = false;
  update_active();
}

void VfioCxlDevice::update_active() { memory_.set_shared(guest_hdm_.committed_count() > 0); }

void VfioCxlDevice::reset() {
  memory_.set_shared(false);  // zap first: nothing reaches the memory while the device resets
  config_ = initial_config_;
  snapshot();
}

std::vector<std::byte> VfioCxlDevice::cxl_capability() const {
  std::vector<std::byte> out;
  const auto header = cap_header(kVfioDeviceInfoCapCxl, kVfioDeviceInfoCapCxlVersion);
  const uint32_t hdm_in_bar = static_cast<uint32_t>(component_.offset) + hdm_block_offset();
  switch (layout_) {
    case VfioCxlLayout::kV1: {
      VfioCxlCapV1 c{};
      c.header = header;
      c.hdm_count = static_cast<uint8_t>(guest_hdm_.decoder_count());
      c.hdm_regs_bar_index = component_.bir;
      // v1 sets COMMITTED only together with PRECOMMITTED (vfio_cxl_get_info()): the flags
      // describe the device at open, before any guest commit.
      c.flags = precommitted_ ? kVfioCxlV1Committed | kVfioCxlV1Precommitted : 0;
      c.hdm_regs_size = guest_hdm_.size_bytes();
      c.hdm_regs_offset = hdm_in_bar;
      c.dpa_size = memory_.size();
      c.dpa_region_index = kVfioCxlDpaRegionIndex;
      c.comp_regs_region_index = kVfioCxlCompRegsRegionIndex;
      append(out, c);
      break;
    }
    case VfioCxlLayout::kV2: {
      VfioCxlCapV2 c{};
      c.header = header;
      c.hdm_regs_bar_index = component_.bir;
      const bool cache = (config_.read16(static_cast<uint16_t>(dvsec_ + 0x0A)) & 1u) != 0;
      c.flags =
          (precommitted_ ? kVfioCxlV2FirmwareCommitted : 0) | (cache ? kVfioCxlV2CacheCapable : 0);
      c.hdm_regs_offset = component_.offset + ComponentRegisters::kCacheMemOffset;
      c.dpa_region_index = kVfioCxlDpaRegionIndex;
      c.comp_regs_region_index = kVfioCxlCompRegsRegionIndex;
      append(out, c);
      break;
    }
    case VfioCxlLayout::kV3: {
      VfioCxlCapV3 c{};
      c.header = header;
      c.flags = precommitted_ ? kVfioCxlV3HostFirmwareCommitted : 0;
      c.hdm_region_idx = kVfioCxlDpaRegionIndex;
      c.comp_reg_region_idx = kVfioCxlCompRegsRegionIndex;
      c.comp_reg_bar = component_.bir;
      c.comp_reg_offset = component_.offset;
      c.comp_reg_size = ComponentRegisters::kBlockSize;
      append(out, c);
      break;
    }
  }
  return out;
}

std::vector<std::byte> VfioCxlDevice::device_info(uint32_t argsz, uint32_t flags) const {
  vfio_device_info i{};
  i.flags = flags | VFIO_DEVICE_FLAGS_CAPS | kVfioDeviceFlagsCxl;
  i.num_regions = kVfioCxlNumRegions;
  // 16 bytes at least: vfio-user's DEVICE_GET_INFO without capabilities (vfio_user.h).
  return with_caps(i, cxl_capability(), argsz, 16);
}

std::optional<VfioCxlDevice::RegionInfo> VfioCxlDevice::region_info(uint32_t index,
                                                                    uint32_t argsz) const {
  vfio_region_info i{};
  i.index = index;
  i.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_CAPS;
  std::vector<std::byte> caps;
  int fd = -1;
  if (index == component_.bir) {
    const uint64_t bar = kComponentBlockBarSize.value();
    const auto areas =
        vfio_cxl_sparse_areas(bar, component_.offset, ComponentRegisters::kBlockSize);
    // struct vfio_region_info_cap_sparse_mmap: header, nr_areas, reserved, areas[].
    append(caps, cap_header(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1));
    append(caps, static_cast<uint32_t>(areas.size()));
    append(caps, uint32_t{0});
    for (const auto& a : areas) append(caps, a);
    if (!areas.empty()) i.flags |= VFIO_REGION_INFO_FLAG_MMAP;
    i.size = bar;
  } else if (index == kVfioCxlDpaRegionIndex || index == kVfioCxlCompRegsRegionIndex) {
    const bool dpa = index == kVfioCxlDpaRegionIndex;
    vfio_region_info_cap_type t{};
    t.header = cap_header(VFIO_REGION_INFO_CAP_TYPE, 1);
    t.type = kVfioRegionTypeCxl;
    t.subtype = dpa ? kVfioRegionSubtypeCxl : kVfioRegionSubtypeCxlCompRegs;
    append(caps, t);
    if (dpa) {
      // Mappable always: a mapping faults while no decoder is committed (DeviceMemory).
      i.flags |= VFIO_REGION_INFO_FLAG_MMAP;
      i.size = memory_.size();
      fd = memory_.fd();
    } else {
      i.size = comp_regs_window().size;
    }
  } else {
    return std::nullopt;
  }
  return RegionInfo{with_caps(i, caps, argsz, sizeof i), fd};
}

std::optional<int> VfioCxlDevice::read(uint32_t region, uint64_t offset, std::span<std::byte> out) {
  if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
    if (offset > ConfigSpace::kSize || out.size() > ConfigSpace::kSize - offset) return -EINVAL;
    for (size_t k = 0; k < out.size(); ++k) {
      out[k] = std::byte{config_.read8(static_cast<uint16_t>(offset + k))};
    }
    return 0;
  }
  if (region == component_.bir) return -EINVAL;  // the registers are reached through COMP_REGS
  if (region == kVfioCxlDpaRegionIndex) return dpa_access(offset, out, false);
  if (region == kVfioCxlCompRegsRegionIndex) return comp_regs_access(offset, out, false);
  return std::nullopt;
}

std::optional<int> VfioCxlDevice::write(uint32_t region, uint64_t offset,
                                        std::span<const std::byte> in) {
  // The accesses below only read `in` when writing.
  const std::span<std::byte> data(const_cast<std::byte*>(in.data()), in.size());
  if (region == VFIO_PCI_CONFIG_REGION_INDEX) return config_write(offset, in);
  if (region == component_.bir) return -EINVAL;
  if (region == kVfioCxlDpaRegionIndex) return dpa_access(offset, data, true);
  if (region == kVfioCxlCompRegsRegionIndex) return comp_regs_access(offset, data, true);
  return std::nullopt;
}

int VfioCxlDevice::dpa_access(uint64_t offset, std::span<std::byte> data, bool write) {
  const uint64_t size = memory_.size();
  if (offset > size || data.size() > size - offset) return -EINVAL;
  if (!dpa_active()) return -EIO;  // the kernel's answer while the region is inactive
  std::byte* p = memory_.host(DeviceMemory::kBase + offset, data.size());
  if (data.empty()) return 0;
  if (write) {
    std::memcpy(p, data.data(), data.size());
  } else {
    std::memcpy(data.data(), p, data.size());
  }
  return 0;
}

// COMP_REGS: exactly 4 bytes at a 4-byte aligned offset inside the region, else -EINVAL
// (vfio_cxl_comp_regs_rw()). Writes outside the HDM decoders are dropped: the capability
// array and the other capabilities are read-only to the guest.
int VfioCxlDevice::comp_regs_access(uint64_t offset, std::span<std::byte> data, bool write) {
  const CompRegsWindow w = comp_regs_window();
  if (data.size() != 4 || offset % 4 != 0 || w.size < 4 || offset > w.size - 4) return -EINVAL;
  const auto at = static_cast<uint32_t>(w.start + offset);
  if (!write) {
    const uint32_t v = guest_block_.read32(at);
    std::memcpy(data.data(), &v, 4);
    return 0;
  }
  uint32_t v = 0;
  std::memcpy(&v, data.data(), 4);
  const uint32_t hdm = hdm_block_offset();
  if (at >= hdm && at - hdm < guest_hdm_.size_bytes()) guest_hdm_write(at - hdm, v);
  return 0;
}

// A firmware-committed decoder's BASE is the VMM's to place (v2): the write decommits, writes
// and commits again through the registers; the DPA region stays live throughout.
void VfioCxlDevice::guest_hdm_write(uint32_t off, uint32_t value) {
  if (off >= 0x10) {
    const unsigned n = (off - 0x10) / 0x20;
    const uint32_t r = (off - 0x10) % 0x20;
    const DecoderState s = guest_hdm_.state(n);
    if ((r == Hdm::kBaseLo || r == Hdm::kBaseHi) && n < precommitted_count_ && s.committed &&
        !s.lock_on_commit) {
      const uint32_t ctrl_reg = Hdm::decoder_reg(n, Hdm::kControl);
      const uint32_t ctrl = guest_hdm_.read32(ctrl_reg);
      rebasing_ = true;
      guest_hdm_.write32(ctrl_reg, ctrl & ~Hdm::kCtrlCommit);
      if ((guest_hdm_.read32(ctrl_reg) & Hdm::kCtrlCommitted) == 0) {
        guest_hdm_.write32(off, value);
        guest_hdm_.write32(ctrl_reg, ctrl | Hdm::kCtrlCommit);
      }
      rebasing_ = false;
      update_active();
      return;
    }
  }
  guest_hdm_.write32(off, value);
}

// Config writes reach the CXL Device DVSEC body only (CXL 3.1 §8.1.3), with the series'
// rules on top of the registers' own access types: Control and Control2 are locked by
// CONFIG_LOCK, the range registers are fixed (HwInit / RsvdZ to the guest). Elsewhere: EINVAL.
int VfioCxlDevice::config_write(uint64_t offset, std::span<const std::byte> in) {
  const size_t n = in.size();
  if (n != 1 && n != 2 && n != 4) return -EINVAL;
  const uint64_t body = dvsec_ + 0x0Au, end = dvsec_ + 0x3Cu;
  if (offset < body || offset + n > end) return -EINVAL;
  const bool locked = (config_.read16(static_cast<uint16_t>(dvsec_ + 0x14)) & 1u) != 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t rel = offset + k - dvsec_;
    const bool control = (rel >= 0x0C && rel < 0x0E) || (rel >= 0x10 && rel < 0x12);
    if ((locked && control) || (rel >= 0x18 && rel < 0x38)) continue;
    config_.write(static_cast<uint16_t>(offset + k), 1, static_cast<uint32_t>(in[k]));
  }
  return 0;
}

}  // namespace cxlsim::accel
