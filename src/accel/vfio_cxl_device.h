// The accelerator's vfio-cxl face (docs/vfio_cxl.md): what the kernel's vfio-cxl driver adds to
// a vfio-pci device, served by the device server over vfio-user in one of the UAPI layouts of
// vfio_cxl.h. Two HDM Decoder Capabilities, both the register model of src/spec/hdm_decoder.h:
//  - the device's own (physical) decoders: the fabric memdev's when the server serves a device
//    of a topology, else one of this object's; "firmware" (--precommit) commits decoder 0 there
//    before the device is opened, with the host's HPA and DPA 0;
//  - the guest's decoders behind the COMP_REGS region, snapshotted from the physical ones by
//    bus reads and writes at open and after every reset (FLR), as the kernel shadows them. A
//    firmware-committed decoder appears committed with BASE 0 and Lock On Commit clear, and
//    its BASE stays rewritable by the VMM (the series' v2 rule; SIZE and DPA stay fixed);
//    everything else follows the register model (COMMIT -> COMMITTED, Lock On Commit, BASE/SIZE
//    locked while committed).
// The DPA region is live while a guest decoder is committed: then the device memory's file is
// shared with the clients' mappings; otherwise it is zapped (DeviceMemory::set_shared) and
// REGION_READ/WRITE of it fail with EIO, the kernel's answer while its region is inactive.
// Config space: the device's, copied at open (restored at reset), with the CXL Device DVSEC
// body writable as the series virtualizes it; other config writes are refused (EINVAL).
// Not thread-safe: the device server serializes every access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "accel/device_memory.h"
#include "accel/vfio_cxl.h"
#include "spec/address.h"
#include "spec/component_registers.h"
#include "spec/config_space.h"
#include "spec/dvsec.h"
#include "spec/hdm_decoder.h"

namespace cxlsim::accel {

struct VfioCxlOptions {
  VfioCxlLayout layout = kVfioCxlNewest;
  // Firmware commits physical decoder 0 (all the HDM, DPA 0, at `host_base`) before open.
  bool precommit = false;
  Hpa host_base = Hpa(uint64_t{64} << 30);
};

class VfioCxlDevice {
 public:
  // `hdm`: the device's HDM decoders (must outlive this), or null for one decoder of this
  // object's over the memory (rounded up to 256 MiB). `config`: the device's config space, or
  // null for a Type 2 one made here. Throws ValidationError when the memory exceeds the HDM.
  VfioCxlDevice(DeviceMemory& memory, HdmDecoderCapability* hdm, const ConfigSpace* config,
                const VfioCxlOptions& o);
  VfioCxlDevice(const VfioCxlDevice&) = delete;
  VfioCxlDevice& operator=(const VfioCxlDevice&) = delete;

  [[nodiscard]] VfioCxlLayout layout() const { return layout_; }
  // Whether a physical decoder was committed before open (firmware committed).
  [[nodiscard]] bool precommitted() const { return precommitted_; }
  [[nodiscard]] bool dpa_active() const { return memory_.shared(); }

  // VFIO_DEVICE_GET_INFO's reply for a client buffer of `argsz` bytes: struct vfio_device_info
  // with `flags` | CAPS | CXL and the CXL capability (or, when argsz is too small for it, the
  // size it needs in argsz and cap_offset 0, as VFIO answers).
  [[nodiscard]] std::vector<std::byte> device_info(uint32_t argsz, uint32_t flags) const;

  // VFIO_DEVICE_GET_REGION_INFO for the regions this face describes (the component BAR with
  // its sparse-mmap capability, the DPA and COMP_REGS regions with their type capability);
  // nullopt for the others. `fd` is the file to pass with the reply (-1: none).
  struct RegionInfo {
    std::vector<std::byte> reply;
    int fd = -1;
  };
  [[nodiscard]] std::optional<RegionInfo> region_info(uint32_t index, uint32_t argsz) const;

  // Region accesses for the regions this face serves (config space, component BAR, DPA,
  // COMP_REGS): 0 or the kernel's negative errno; nullopt for the other regions.
  std::optional<int> read(uint32_t region, uint64_t offset, std::span<std::byte> out);
  std::optional<int> write(uint32_t region, uint64_t offset, std::span<const std::byte> in);

  // Function level reset: the DPA mapping is zapped, config space and the guest's decoders are
  // restored and re-snapshotted from the physical ones, and the region is live again when a
  // decoder is committed after that.
  void reset();

  [[nodiscard]] const ConfigSpace& config() const { return config_; }
  [[nodiscard]] const HdmDecoderCapability& guest_hdm() const { return guest_hdm_; }
  [[nodiscard]] const HdmDecoderCapability& physical_hdm() const { return *physical_; }
  [[nodiscard]] CompRegsWindow comp_regs_window() const;

 private:
  class Capacity : public HdmDecoderContext {
   public:
    explicit Capacity(Bytes b) : bytes_(b) {}
    [[nodiscard]] Bytes volatile_capacity() const override { return bytes_; }

   private:
    Bytes bytes_;
  };

  void snapshot();
  void update_active();
  [[nodiscard]] std::vector<std::byte> cxl_capability() const;
  int comp_regs_access(uint64_t offset, std::span<std::byte> data, bool write);
  void guest_hdm_write(uint32_t off, uint32_t value);
  int config_write(uint64_t offset, std::span<const std::byte> in);
  int dpa_access(uint64_t offset, std::span<std::byte> data, bool write);
  [[nodiscard]] uint32_t hdm_block_offset() const;

  DeviceMemory& memory_;
  VfioCxlLayout layout_;
  Bytes hdm_size_;
  Capacity capacity_;
  std::unique_ptr<HdmDecoderCapability> own_hdm_;
  HdmDecoderCapability* physical_;
  HdmDecoderCapability guest_hdm_;
  ComponentRegisters guest_block_;
  ConfigSpace initial_config_;
  ConfigSpace config_;
  uint16_t dvsec_ = 0;  // the CXL Device DVSEC's offset
  RegisterBlockEntry component_;
  bool precommitted_ = false;
  unsigned precommitted_count_ = 0;
  bool rebasing_ = false;  // a VMM BASE rewrite in progress: commit changes are not acted on
};

}  // namespace cxlsim::accel
