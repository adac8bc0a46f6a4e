// The CXL component register block (CXL 3.1 §8.2.3, §8.2.4): 64 KiB, the CXL.cache/CXL.mem
// registers at 0x1000..0x1FFF. They start with the CXL Capability Header (ID 1) followed by one
// header dword per capability (ID, version, 12-bit pointer relative to 0x1000), then the
// capability structures: RAS (ID 2, §8.2.4.17), Link (ID 4, §8.2.4.19) and HDM Decoder (ID 5,
// §8.2.4.20). RAS and Link live in this block's RegisterFile; the HDM Decoder Capability lives
// in the object that decodes with it (the port or memdev, src/spec/hdm_decoder.h) and the block
// routes its offsets there. Everything else in the 64 KiB reads zero and ignores writes.
//
// Which capability each kind carries (CXL 3.1 §8.2.4 Table 8-22):
//   host bridge (CHBCR, referenced by CEDT CHBS): HDM only; mandatory with more than one root
//                 port, optional with one (it may decode pass-through, §9.13.1)
//   root port, switch downstream port: RAS, Link
//   switch upstream port: RAS, Link, HDM (absent when it routes pass-through)
//   endpoint (type 2/3 device): RAS, Link, HDM
// Layout inside the cache/mem range follows QEMU 7.2 (RAS at 0x80, Link at 0xE0, HDM at 0x200);
// QEMU 7.2 additionally gives root ports and host bridges HDM, Extended Security and Snoop
// capabilities, which CXL 3.1 does not require of them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

#include "spec/register_table.h"
#include "spec/units.h"

namespace cxlsim {

class HdmDecoderCapability;

// CXL_Capability_ID values of the cache/mem capability headers (CXL 3.1 Table 8-22).
enum class CacheMemCapabilityId : uint16_t {
  kCapabilityHeader = 1,
  kRas = 2,
  kSecurity = 3,
  kLink = 4,
  kHdmDecoder = 5,
  kExtendedSecurity = 6,
  kIde = 7,
  kSnoopFilter = 8,
};

enum class ComponentKind : uint8_t {
  kHostBridge,
  kRootPort,
  kSwitchUpstream,
  kSwitchDownstream,
  kEndpoint
};
std::string_view component_kind_name(ComponentKind k);

// A capability structure whose registers another object keeps; the block forwards 32-bit
// accesses at structure-relative offsets. Non-owning: the target must outlive the block.
struct ExternalCapability {
  uint16_t id = 0;
  uint8_t version = 0;
  uint32_t size_bytes = 0;
  std::function<uint32_t(uint32_t)> read32;
  std::function<void(uint32_t, uint32_t)> write32;

  // Adapts any object with `static constexpr uint16_t kCapabilityId`, `uint32_t read32(uint32_t)
  // const`, `void write32(uint32_t, uint32_t)` and `uint32_t size_bytes() const`.
  template <typename T>
  static ExternalCapability of(T& cap, uint8_t version) {
    return {T::kCapabilityId, version, cap.size_bytes(),
            [&cap](uint32_t off) { return cap.read32(off); },
            [&cap](uint32_t off, uint32_t v) { cap.write32(off, v); }};
  }
};

// HDM Decoder Capability Structure version of CXL 3.1 (§8.2.4.20; CXL 2.0 used 1).
inline constexpr uint8_t kHdmCapabilityVersion = 3;
// The HDM Decoder Capability `hdm` as routed capability, or nullopt when `hdm` is null.
std::optional<ExternalCapability> hdm_capability(HdmDecoderCapability* hdm);

class ComponentRegisters {
 public:
  static constexpr uint32_t kBlockSize = 64 * 1024;
  static constexpr uint32_t kCacheMemOffset = 0x1000;
  static constexpr uint32_t kCacheMemSize = 0x1000;
  // Capability structure offsets inside the cache/mem range.
  static constexpr uint32_t kRasOffset = 0x80, kLinkOffset = 0xE0, kHdmOffset = 0x200;
  static constexpr uint32_t kRasSize = 0x58, kLinkSize = 0x38;

  // A block for `kind`: RAS and Link unless it is a host bridge, the HDM capability if `hdm`
  // is given. Throws std::invalid_argument if `hdm` is given to a root or downstream port,
  // its ID is not 5, or it does not fit the cache/mem range.
  ComponentRegisters(ComponentKind kind, std::optional<ExternalCapability> hdm);
  ComponentRegisters(const ComponentRegisters&) = delete;
  ComponentRegisters& operator=(const ComponentRegisters&) = delete;
  ComponentRegisters(ComponentRegisters&&) = default;
  ComponentRegisters& operator=(ComponentRegisters&&) = default;

  [[nodiscard]] ComponentKind kind() const { return kind_; }

  // Bus view at block offsets (0 .. kBlockSize-4, 4-byte aligned; std::out_of_range otherwise).
  [[nodiscard]] uint32_t read32(uint32_t off) const;
  void write32(uint32_t off, uint32_t value);
  // 64-bit access as two 32-bit accesses, low dword first (as Linux's lo_hi_readq does).
  [[nodiscard]] uint64_t read64(uint32_t off) const;
  void write64(uint32_t off, uint64_t value);

  // Block offset of the capability with `id`, found by walking the capability headers over the
  // bus view as system software does.
  [[nodiscard]] std::optional<uint32_t> find_capability(CacheMemCapabilityId id) const;
  [[nodiscard]] bool has_hdm() const { return hdm_.has_value(); }

  // RAS error injection (hardware side): sets the status bit; for uncorrectable errors the
  // First_Error_Pointer is set to `bit` when the error it pointed at is no longer pending, and
  // `header` (if any) is logged. Throws std::invalid_argument for a bit that is not defined,
  // or when the block has no RAS capability.
  void raise_uncorrectable(unsigned bit, std::optional<std::array<uint32_t, 16>> header = {});
  void raise_correctable(unsigned bit);

  // RAS, Link and header registers (hardware access, JSON). Offsets are cache/mem relative.
  RegisterFile& cache_mem() { return regs_; }
  [[nodiscard]] const RegisterFile& cache_mem() const { return regs_; }

  // {"kind", "cache_mem_offset", "cache_mem": RegisterFile::to_json(), "hdm": {"offset",
  //  "version", "dwords": [{"offset", "value"}]} (absent without HDM)}; offsets block-relative.
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  ComponentKind kind_;
  RegisterFile regs_;
  std::optional<ExternalCapability> hdm_;
};

// Builders, one per kind. `hdm` is non-owning (see ExternalCapability).
// Host bridge: HDM required when root_ports > 1; optional with a single root port (which may
// decode pass-through, CXL 3.1 §9.13.1; QEMU 7.2's pxb-cxl always has HDM decoders).
ComponentRegisters make_host_bridge_component_registers(unsigned root_ports,
                                                        HdmDecoderCapability* hdm);
ComponentRegisters make_root_port_component_registers();
ComponentRegisters make_switch_downstream_component_registers();
// Switch upstream port: `hdm` may be null for a pass-through switch with one downstream port.
ComponentRegisters make_switch_upstream_component_registers(HdmDecoderCapability* hdm);
// Endpoint (type 2 or type 3 device): `hdm` is required.
ComponentRegisters make_endpoint_component_registers(HdmDecoderCapability& hdm);

}  // namespace cxlsim
