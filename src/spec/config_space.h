// A PCIe function's 4 KiB configuration space (PCIe 6.0 §7.5): the type 0 (endpoint) or
// type 1 (bridge: root port, switch upstream/downstream port) header, BARs that size by the
// write-all-ones protocol, the capability list (0x40..0xFF, from the Capabilities Pointer)
// and the extended capability list (from 0x100). All state lives in one RegisterFile; the
// lists are linked through their real next pointers, so software walks them as on hardware.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>

#include "spec/register_table.h"
#include "spec/units.h"

namespace cxlsim {

enum class HeaderType : uint8_t {
  kType0 = 0,  // endpoint
  kType1 = 1,  // PCI-PCI bridge: root port, switch upstream and downstream ports
};

// PCI Express Capabilities Register, Device/Port Type (PCIe 6.0 §7.5.3.2).
enum class PciePortType : uint8_t {
  kEndpoint = 0x0,
  kLegacyEndpoint = 0x1,
  kRootPort = 0x4,
  kSwitchUpstream = 0x5,
  kSwitchDownstream = 0x6,
  kRcIntegratedEndpoint = 0x9,
};

// The identity a function reports in its header.
struct PciIdentity {
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint32_t class_code = 0;  // 24 bits: base class << 16 | sub-class << 8 | programming interface
  uint8_t revision_id = 0;
  uint16_t subsystem_vendor_id = 0;  // type 0 only
  uint16_t subsystem_id = 0;         // type 0 only
};

// A memory BAR. Size is a power of two >= 16 bytes (>= 128 bytes recommended by PCIe); a 64-bit
// BAR occupies slots `index` and `index + 1`. Base address bits below log2(size) are hardwired
// to zero, so writing all ones and reading back yields the size (PCIe 6.0 §7.5.1.2.1).
struct BarSpec {
  unsigned index = 0;  // 0..5 for type 0, 0..1 for type 1
  Bytes size;
  bool is_64bit = true;
  bool prefetchable = false;
};

// Link parameters carried in the PCI Express Capability. Speeds use the Supported Link Speeds
// Vector encoding: 1 = 2.5 GT/s .. 5 = 32 GT/s, 6 = 64 GT/s.
struct PcieLinkInfo {
  uint8_t port_number = 0;  // Link Capabilities Port Number: HDM target lists refer to it
  uint8_t max_speed = 5;    // 32 GT/s (CXL 2.0/3.x over PCIe 5.0 electricals)
  uint8_t max_width = 16;   // lanes
};

class ConfigSpace {
 public:
  static constexpr uint32_t kSize = 4096;
  static constexpr uint16_t kCapabilitiesPointer = 0x34;
  static constexpr uint16_t kExtendedCapabilityStart = 0x100;
  static constexpr uint8_t kPcieCapabilityId = 0x10;
  static constexpr uint16_t kDvsecCapabilityId = 0x0023;

  // An empty function of the given header type with its identity loaded (all HwInit/RO).
  ConfigSpace(HeaderType type, const PciIdentity& id);

  [[nodiscard]] HeaderType header_type() const { return type_; }

  // Bus view (what config reads/writes from software see). `size` is 1, 2 or 4 bytes.
  [[nodiscard]] uint32_t read(uint16_t off, unsigned size) const;
  void write(uint16_t off, unsigned size, uint32_t value);
  [[nodiscard]] uint8_t read8(uint16_t off) const { return static_cast<uint8_t>(read(off, 1)); }
  [[nodiscard]] uint16_t read16(uint16_t off) const { return static_cast<uint16_t>(read(off, 2)); }
  [[nodiscard]] uint32_t read32(uint16_t off) const { return read(off, 4); }
  void write32(uint16_t off, uint32_t v) { write(off, 4, v); }

  // Implements a memory BAR. Throws std::invalid_argument for a slot the header type lacks,
  // a slot already used, or a size that is not a power of two >= 16 bytes.
  void add_bar(const BarSpec& bar);
  // The address currently programmed into BAR `index` (64-bit BARs: both halves), if it
  // is implemented.
  [[nodiscard]] std::optional<uint64_t> bar_address(unsigned index) const;

  // Appends a capability (PCIe 6.0 §7.5.3 style list) of `length` bytes: a header (Capability
  // ID, Next Capability Pointer) is added at +0..+1 and `body` (offsets relative to the
  // capability start; must not use bytes 0..1) is placed after it. Returns the capability's
  // offset. Throws std::length_error when 0x40..0xFF has no room.
  uint16_t add_capability(std::string name, uint8_t cap_id, std::span<const FieldDesc> body,
                          uint16_t length);
  // Appends an extended capability from 0x100 on: header dword (ID, Version, Next Capability
  // Offset) at +0 and `body` (relative offsets, must not use bytes 0..3). Returns its offset.
  uint16_t add_extended_capability(std::string name, uint16_t cap_id, uint8_t version,
                                   std::span<const FieldDesc> body, uint16_t length);

  // The PCI Express Capability (ID 0x10) with the given port type and link information.
  uint16_t add_pcie_capability(PciePortType port_type, const PcieLinkInfo& link);

  // List walks over the bus view, as system software does (bounded against loops).
  [[nodiscard]] std::optional<uint16_t> find_capability(uint8_t cap_id) const;
  [[nodiscard]] std::optional<uint16_t> find_extended_capability(uint16_t cap_id) const;
  // The Designated Vendor-Specific Extended Capability with `vendor` / `dvsec_id` in its
  // DVSEC Header 1 / Header 2 (PCIe 6.0 §7.9.6).
  [[nodiscard]] std::optional<uint16_t> find_dvsec(uint16_t vendor, uint16_t dvsec_id) const;

  // Link Capabilities Port Number / Device/Port Type of the PCI Express Capability (absent
  // without one).
  [[nodiscard]] std::optional<uint8_t> port_number() const;
  [[nodiscard]] std::optional<PciePortType> port_type() const;

  // Hardware-side access to the fields of every structure (see RegisterFile).
  RegisterFile& registers() { return regs_; }
  [[nodiscard]] const RegisterFile& registers() const { return regs_; }

  [[nodiscard]] nlohmann::json to_json() const;

 private:
  HeaderType type_;
  RegisterFile regs_;
  uint16_t next_cap_ = 0x40;
  uint16_t last_cap_ = 0;  // 0: none yet
  uint16_t next_ext_ = kExtendedCapabilityStart;
  uint16_t last_ext_ = 0;
  uint8_t bars_used_ = 0;  // bit per slot
};

}  // namespace cxlsim
