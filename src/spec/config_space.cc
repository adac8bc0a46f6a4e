#include "spec/config_space.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace cxlsim {

namespace {

using A = Access;
constexpr std::string_view kHdr = "PCIe 6.0 §7.5.1.1";
constexpr std::string_view kHdr0 = "PCIe 6.0 §7.5.1.2";
constexpr std::string_view kHdr1 = "PCIe 6.0 §7.5.1.3";
constexpr std::string_view kCap = "PCIe 6.0 §7.5.3";
constexpr std::string_view kExt = "PCIe 6.0 §7.6.3";

// Type 0/1 common header, PCIe 6.0 §7.5.1.1 (Table 7-4 and following).
constexpr auto kCommonHeader = std::to_array<FieldDesc>({
    {"Vendor ID", 0x00, 2, 0, 15, A::kHwInit, 0, kHdr},
    {"Device ID", 0x02, 2, 0, 15, A::kHwInit, 0, kHdr},
    {"I/O Space Enable", 0x04, 2, 0, 0, A::kRW, 0, kHdr},
    {"Memory Space Enable", 0x04, 2, 1, 1, A::kRW, 0, kHdr},
    {"Bus Master Enable", 0x04, 2, 2, 2, A::kRW, 0, kHdr},
    {"Special Cycle Enable", 0x04, 2, 3, 3, A::kRO, 0, kHdr},
    {"Memory Write and Invalidate", 0x04, 2, 4, 4, A::kRO, 0, kHdr},
    {"VGA Palette Snoop", 0x04, 2, 5, 5, A::kRO, 0, kHdr},
    {"Parity Error Response", 0x04, 2, 6, 6, A::kRW, 0, kHdr},
    {"IDSEL Stepping/Wait Cycle Control", 0x04, 2, 7, 7, A::kRO, 0, kHdr},
    {"SERR# Enable", 0x04, 2, 8, 8, A::kRW, 0, kHdr},
    {"Fast Back-to-Back Transactions Enable", 0x04, 2, 9, 9, A::kRO, 0, kHdr},
    {"Interrupt Disable", 0x04, 2, 10, 10, A::kRW, 0, kHdr},
    {"Command Reserved", 0x04, 2, 11, 15, A::kRsvdP, 0, kHdr},
    {"Immediate Readiness", 0x06, 2, 0, 0, A::kRO, 0, kHdr},
    {"Interrupt Status", 0x06, 2, 3, 3, A::kRO, 0, kHdr},
    {"Capabilities List", 0x06, 2, 4, 4, A::kRO, 1, kHdr},  // hardwired 1 on PCIe functions
    {"66 MHz Capable", 0x06, 2, 5, 5, A::kRO, 0, kHdr},
    {"Fast Back-to-Back Transactions Capable", 0x06, 2, 7, 7, A::kRO, 0, kHdr},
    {"Master Data Parity Error", 0x06, 2, 8, 8, A::kRW1C, 0, kHdr},
    {"DEVSEL Timing", 0x06, 2, 9, 10, A::kRO, 0, kHdr},
    {"Signaled Target Abort", 0x06, 2, 11, 11, A::kRW1C, 0, kHdr},
    {"Received Target Abort", 0x06, 2, 12, 12, A::kRW1C, 0, kHdr},
    {"Received Master Abort", 0x06, 2, 13, 13, A::kRW1C, 0, kHdr},
    {"Signaled System Error", 0x06, 2, 14, 14, A::kRW1C, 0, kHdr},
    {"Detected Parity Error", 0x06, 2, 15, 15, A::kRW1C, 0, kHdr},
    {"Revision ID", 0x08, 1, 0, 7, A::kHwInit, 0, kHdr},
    {"Programming Interface", 0x09, 1, 0, 7, A::kHwInit, 0, kHdr},
    {"Sub-Class Code", 0x0A, 1, 0, 7, A::kHwInit, 0, kHdr},
    {"Base Class Code", 0x0B, 1, 0, 7, A::kHwInit, 0, kHdr},
    {"Cache Line Size", 0x0C, 1, 0, 7, A::kRW, 0, kHdr},
    {"Latency Timer", 0x0D, 1, 0, 7, A::kRO, 0, kHdr},
    {"Header Layout", 0x0E, 1, 0, 6, A::kRO, 0, kHdr},
    {"Multi-Function Device", 0x0E, 1, 7, 7, A::kRO, 0, kHdr},
    {"BIST", 0x0F, 1, 0, 7, A::kRO, 0, kHdr},
    {"Capabilities Pointer", 0x34, 1, 0, 7, A::kRO, 0, kHdr},
    {"Interrupt Line", 0x3C, 1, 0, 7, A::kRW, 0xFF, kHdr},
    {"Interrupt Pin", 0x3D, 1, 0, 7, A::kRO, 0, kHdr},
});

// Type 0 specific fields, PCIe 6.0 §7.5.1.2. BARs are placed by add_bar; Cardbus CIS Pointer
// and Expansion ROM BAR are not implemented (read zero, as permitted).
constexpr auto kType0Header = std::to_array<FieldDesc>({
    {"Subsystem Vendor ID", 0x2C, 2, 0, 15, A::kHwInit, 0, kHdr0},
    {"Subsystem ID", 0x2E, 2, 0, 15, A::kHwInit, 0, kHdr0},
    {"Min_Gnt", 0x3E, 1, 0, 7, A::kRO, 0, kHdr0},
    {"Max_Lat", 0x3F, 1, 0, 7, A::kRO, 0, kHdr0},
});

// Type 1 specific fields, PCIe 6.0 §7.5.1.3. 16-bit I/O decoding (upper I/O registers read
// zero); prefetchable window is 64-bit capable.
constexpr auto kType1Header = std::to_array<FieldDesc>({
    {"Primary Bus Number", 0x18, 1, 0, 7, A::kRW, 0, kHdr1},
    {"Secondary Bus Number", 0x19, 1, 0, 7, A::kRW, 0, kHdr1},
    {"Subordinate Bus Number", 0x1A, 1, 0, 7, A::kRW, 0, kHdr1},
    {"Secondary Latency Timer", 0x1B, 1, 0, 7, A::kRO, 0, kHdr1},
    {"I/O Addressing Capability (Base)", 0x1C, 1, 0, 3, A::kRO, 0, kHdr1},
    {"I/O Base", 0x1C, 1, 4, 7, A::kRW, 0, kHdr1},
    {"I/O Addressing Capability (Limit)", 0x1D, 1, 0, 3, A::kRO, 0, kHdr1},
    {"I/O Limit", 0x1D, 1, 4, 7, A::kRW, 0, kHdr1},
    {"Secondary 66 MHz Capable", 0x1E, 2, 5, 5, A::kRO, 0, kHdr1},
    {"Secondary Fast Back-to-Back Capable", 0x1E, 2, 7, 7, A::kRO, 0, kHdr1},
    {"Secondary Master Data Parity Error", 0x1E, 2, 8, 8, A::kRW1C, 0, kHdr1},
    {"Secondary DEVSEL Timing", 0x1E, 2, 9, 10, A::kRO, 0, kHdr1},
    {"Secondary Signaled Target Abort", 0x1E, 2, 11, 11, A::kRW1C, 0, kHdr1},
    {"Secondary Received Target Abort", 0x1E, 2, 12, 12, A::kRW1C, 0, kHdr1},
    {"Secondary Received Master Abort", 0x1E, 2, 13, 13, A::kRW1C, 0, kHdr1},
    {"Secondary Received System Error", 0x1E, 2, 14, 14, A::kRW1C, 0, kHdr1},
    {"Secondary Detected Parity Error", 0x1E, 2, 15, 15, A::kRW1C, 0, kHdr1},
    {"Memory Base", 0x20, 2, 4, 15, A::kRW, 0, kHdr1},
    {"Memory Limit", 0x22, 2, 4, 15, A::kRW, 0, kHdr1},
    {"Prefetchable Addressing Capability (Base)", 0x24, 2, 0, 3, A::kRO, 1, kHdr1},
    {"Prefetchable Memory Base", 0x24, 2, 4, 15, A::kRW, 0, kHdr1},
    {"Prefetchable Addressing Capability (Limit)", 0x26, 2, 0, 3, A::kRO, 1, kHdr1},
    {"Prefetchable Memory Limit", 0x26, 2, 4, 15, A::kRW, 0, kHdr1},
    {"Prefetchable Base Upper 32 Bits", 0x28, 4, 0, 31, A::kRW, 0, kHdr1},
    {"Prefetchable Limit Upper 32 Bits", 0x2C, 4, 0, 31, A::kRW, 0, kHdr1},
    {"Parity Error Response Enable", 0x3E, 2, 0, 0, A::kRW, 0, kHdr1},
    {"SERR# Enable (Bridge Control)", 0x3E, 2, 1, 1, A::kRW, 0, kHdr1},
    {"ISA Enable", 0x3E, 2, 2, 2, A::kRW, 0, kHdr1},
    {"VGA Enable", 0x3E, 2, 3, 3, A::kRW, 0, kHdr1},
    {"VGA 16-bit Decode", 0x3E, 2, 4, 4, A::kRW, 0, kHdr1},
    {"Master Abort Mode", 0x3E, 2, 5, 5, A::kRO, 0, kHdr1},
    {"Secondary Bus Reset", 0x3E, 2, 6, 6, A::kRW, 0, kHdr1},
    {"Fast Back-to-Back Transactions Enable (Bridge Control)", 0x3E, 2, 7, 7, A::kRO, 0, kHdr1},
    {"Bridge Control Reserved", 0x3E, 2, 12, 15, A::kRsvdP, 0, kHdr1},
});

constexpr auto kCapHeader = std::to_array<FieldDesc>({
    {"Capability ID", 0x0, 1, 0, 7, A::kRO, 0, kCap},
    {"Next Capability Pointer", 0x1, 1, 0, 7, A::kRO, 0, kCap},
});

constexpr auto kExtCapHeader = std::to_array<FieldDesc>({
    {"PCI Express Extended Capability ID", 0x0, 4, 0, 15, A::kRO, 0, kExt},
    {"Capability Version", 0x0, 4, 16, 19, A::kRO, 0, kExt},
    {"Next Capability Offset", 0x0, 4, 20, 31, A::kRO, 0, kExt},
});

// PCI Express Capability, PCIe 6.0 §7.5.3 (ID 0x10, 0x3C bytes). Slot registers are absent
// (Slot Implemented = 0); Root Control/Status are added for root ports (kPcieRootRegs).
// Initiate FLR and Retrain Link always read zero and are left out.
constexpr uint16_t kPcieCapLength = 0x3C;
constexpr auto kPcieCap = std::to_array<FieldDesc>({
    {"Capability Version", 0x02, 2, 0, 3, A::kRO, 2, "PCIe 6.0 §7.5.3.2"},
    {"Device/Port Type", 0x02, 2, 4, 7, A::kRO, 0, "PCIe 6.0 §7.5.3.2"},
    {"Slot Implemented", 0x02, 2, 8, 8, A::kHwInit, 0, "PCIe 6.0 §7.5.3.2"},
    {"Interrupt Message Number", 0x02, 2, 9, 13, A::kRO, 0, "PCIe 6.0 §7.5.3.2"},
    {"Max_Payload_Size Supported", 0x04, 4, 0, 2, A::kRO, 1, "PCIe 6.0 §7.5.3.3"},
    {"Phantom Functions Supported", 0x04, 4, 3, 4, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Extended Tag Field Supported", 0x04, 4, 5, 5, A::kRO, 1, "PCIe 6.0 §7.5.3.3"},
    {"Endpoint L0s Acceptable Latency", 0x04, 4, 6, 8, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Endpoint L1 Acceptable Latency", 0x04, 4, 9, 11, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Role-Based Error Reporting", 0x04, 4, 15, 15, A::kRO, 1, "PCIe 6.0 §7.5.3.3"},
    {"Captured Slot Power Limit Value", 0x04, 4, 18, 25, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Captured Slot Power Limit Scale", 0x04, 4, 26, 27, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Function Level Reset Capability", 0x04, 4, 28, 28, A::kRO, 0, "PCIe 6.0 §7.5.3.3"},
    {"Correctable Error Reporting Enable", 0x08, 2, 0, 0, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Non-Fatal Error Reporting Enable", 0x08, 2, 1, 1, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Fatal Error Reporting Enable", 0x08, 2, 2, 2, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Unsupported Request Reporting Enable", 0x08, 2, 3, 3, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Enable Relaxed Ordering", 0x08, 2, 4, 4, A::kRW, 1, "PCIe 6.0 §7.5.3.4"},
    {"Max_Payload_Size", 0x08, 2, 5, 7, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Extended Tag Field Enable", 0x08, 2, 8, 8, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Phantom Functions Enable", 0x08, 2, 9, 9, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Aux Power PM Enable", 0x08, 2, 10, 10, A::kRW, 0, "PCIe 6.0 §7.5.3.4"},
    {"Enable No Snoop", 0x08, 2, 11, 11, A::kRW, 1, "PCIe 6.0 §7.5.3.4"},
    {"Max_Read_Request_Size", 0x08, 2, 12, 14, A::kRW, 2, "PCIe 6.0 §7.5.3.4"},
    {"Correctable Error Detected", 0x0A, 2, 0, 0, A::kRW1C, 0, "PCIe 6.0 §7.5.3.5"},
    {"Non-Fatal Error Detected", 0x0A, 2, 1, 1, A::kRW1C, 0, "PCIe 6.0 §7.5.3.5"},
    {"Fatal Error Detected", 0x0A, 2, 2, 2, A::kRW1C, 0, "PCIe 6.0 §7.5.3.5"},
    {"Unsupported Request Detected", 0x0A, 2, 3, 3, A::kRW1C, 0, "PCIe 6.0 §7.5.3.5"},
    {"AUX Power Detected", 0x0A, 2, 4, 4, A::kRO, 0, "PCIe 6.0 §7.5.3.5"},
    {"Transactions Pending", 0x0A, 2, 5, 5, A::kRO, 0, "PCIe 6.0 §7.5.3.5"},
    {"Emergency Power Reduction Detected", 0x0A, 2, 6, 6, A::kRW1C, 0, "PCIe 6.0 §7.5.3.5"},
    {"Max Link Speed", 0x0C, 4, 0, 3, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"Maximum Link Width", 0x0C, 4, 4, 9, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"ASPM Support", 0x0C, 4, 10, 11, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"L0s Exit Latency", 0x0C, 4, 12, 14, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"L1 Exit Latency", 0x0C, 4, 15, 17, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"Clock Power Management", 0x0C, 4, 18, 18, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"Surprise Down Error Reporting Capable", 0x0C, 4, 19, 19, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"Data Link Layer Link Active Reporting Capable", 0x0C, 4, 20, 20, A::kRO, 0,
     "PCIe 6.0 §7.5.3.6"},
    {"Link Bandwidth Notification Capability", 0x0C, 4, 21, 21, A::kRO, 0, "PCIe 6.0 §7.5.3.6"},
    {"ASPM Optionality Compliance", 0x0C, 4, 22, 22, A::kHwInit, 1, "PCIe 6.0 §7.5.3.6"},
    {"Port Number", 0x0C, 4, 24, 31, A::kHwInit, 0, "PCIe 6.0 §7.5.3.6"},
    {"ASPM Control", 0x10, 2, 0, 1, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Read Completion Boundary", 0x10, 2, 3, 3, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Link Disable", 0x10, 2, 4, 4, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Common Clock Configuration", 0x10, 2, 6, 6, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Extended Synch", 0x10, 2, 7, 7, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Enable Clock Power Management", 0x10, 2, 8, 8, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Hardware Autonomous Width Disable", 0x10, 2, 9, 9, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Link Bandwidth Management Interrupt Enable", 0x10, 2, 10, 10, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Link Autonomous Bandwidth Interrupt Enable", 0x10, 2, 11, 11, A::kRW, 0, "PCIe 6.0 §7.5.3.7"},
    {"Current Link Speed", 0x12, 2, 0, 3, A::kRO, 0, "PCIe 6.0 §7.5.3.8"},
    {"Negotiated Link Width", 0x12, 2, 4, 9, A::kRO, 0, "PCIe 6.0 §7.5.3.8"},
    {"Link Training", 0x12, 2, 11, 11, A::kRO, 0, "PCIe 6.0 §7.5.3.8"},
    {"Slot Clock Configuration", 0x12, 2, 12, 12, A::kHwInit, 0, "PCIe 6.0 §7.5.3.8"},
    {"Data Link Layer Link Active", 0x12, 2, 13, 13, A::kRO, 0, "PCIe 6.0 §7.5.3.8"},
    {"Link Bandwidth Management Status", 0x12, 2, 14, 14, A::kRW1C, 0, "PCIe 6.0 §7.5.3.8"},
    {"Link Autonomous Bandwidth Status", 0x12, 2, 15, 15, A::kRW1C, 0, "PCIe 6.0 §7.5.3.8"},
    {"Completion Timeout Ranges Supported", 0x24, 4, 0, 3, A::kHwInit, 0, "PCIe 6.0 §7.5.3.15"},
    {"ARI Forwarding Supported", 0x24, 4, 5, 5, A::kRO, 0, "PCIe 6.0 §7.5.3.15"},
    {"Completion Timeout Value", 0x28, 2, 0, 3, A::kRW, 0, "PCIe 6.0 §7.5.3.16"},
    {"ARI Forwarding Enable", 0x28, 2, 5, 5, A::kRW, 0, "PCIe 6.0 §7.5.3.16"},
    {"Supported Link Speeds Vector", 0x2C, 4, 1, 7, A::kRO, 0, "PCIe 6.0 §7.5.3.18"},
    {"Target Link Speed", 0x30, 2, 0, 3, A::kRW, 0, "PCIe 6.0 §7.5.3.19"},
    {"Hardware Autonomous Speed Disable", 0x30, 2, 5, 5, A::kRW, 0, "PCIe 6.0 §7.5.3.19"},
});

// Root Control / Root Capabilities / Root Status, root ports only (PCIe 6.0 §7.5.3.12-14).
constexpr auto kPcieRootRegs = std::to_array<FieldDesc>({
    {"System Error on Correctable Error Enable", 0x1C, 2, 0, 0, A::kRW, 0, "PCIe 6.0 §7.5.3.12"},
    {"System Error on Non-Fatal Error Enable", 0x1C, 2, 1, 1, A::kRW, 0, "PCIe 6.0 §7.5.3.12"},
    {"System Error on Fatal Error Enable", 0x1C, 2, 2, 2, A::kRW, 0, "PCIe 6.0 §7.5.3.12"},
    {"PME Interrupt Enable", 0x1C, 2, 3, 3, A::kRW, 0, "PCIe 6.0 §7.5.3.12"},
    {"CRS Software Visibility Enable", 0x1C, 2, 4, 4, A::kRW, 0, "PCIe 6.0 §7.5.3.12"},
    {"CRS Software Visibility", 0x1E, 2, 0, 0, A::kRO, 0, "PCIe 6.0 §7.5.3.13"},
    {"PME Requester ID", 0x20, 4, 0, 15, A::kRO, 0, "PCIe 6.0 §7.5.3.14"},
    {"PME Status", 0x20, 4, 16, 16, A::kRW1C, 0, "PCIe 6.0 §7.5.3.14"},
    {"PME Pending", 0x20, 4, 17, 17, A::kRO, 0, "PCIe 6.0 §7.5.3.14"},
});

constexpr unsigned kMaxListWalk = 1024;  // >= number of dwords in config space: loop guard

}  // namespace

ConfigSpace::ConfigSpace(HeaderType type, const PciIdentity& id) : type_(type), regs_(kSize) {
  regs_.add_structure("Header (common)", 0, kCommonHeader, 0x40);
  if (type == HeaderType::kType0) {
    regs_.add_structure("Header (type 0)", 0, kType0Header, 0x40);
    regs_.init_field(0, "Subsystem Vendor ID", id.subsystem_vendor_id);
    regs_.init_field(0, "Subsystem ID", id.subsystem_id);
  } else {
    regs_.add_structure("Header (type 1)", 0, kType1Header, 0x40);
  }
  regs_.init_field(0, "Vendor ID", id.vendor_id);
  regs_.init_field(0, "Device ID", id.device_id);
  regs_.init_field(0, "Revision ID", id.revision_id);
  regs_.init_field(0, "Programming Interface", id.class_code & 0xFF);
  regs_.init_field(0, "Sub-Class Code", (id.class_code >> 8) & 0xFF);
  regs_.init_field(0, "Base Class Code", (id.class_code >> 16) & 0xFF);
  regs_.init_field(0, "Header Layout", static_cast<uint8_t>(type));
}

uint32_t ConfigSpace::read(uint16_t off, unsigned size) const {
  if (size != 1 && size != 2 && size != 4) {
    throw std::invalid_argument(fmt::format("config read of {} bytes", size));
  }
  return static_cast<uint32_t>(regs_.read(off, size));
}

void ConfigSpace::write(uint16_t off, unsigned size, uint32_t value) {
  if (size != 1 && size != 2 && size != 4) {
    throw std::invalid_argument(fmt::format("config write of {} bytes", size));
  }
  regs_.write(off, size, value);
}

void ConfigSpace::add_bar(const BarSpec& bar) {
  const unsigned slots = type_ == HeaderType::kType0 ? 6 : 2;
  const unsigned used = bar.is_64bit ? 2 : 1;
  if (bar.index + used > slots) {
    throw std::invalid_argument(fmt::format("BAR{} ({}-bit) does not fit a type {} header",
                                            bar.index, bar.is_64bit ? 64 : 32,
                                            static_cast<int>(type_)));
  }
  const auto mask = static_cast<uint8_t>(((1u << used) - 1) << bar.index);
  if (bars_used_ & mask) {
    throw std::invalid_argument(fmt::format("BAR{} is already implemented", bar.index));
  }
  const uint64_t size = bar.size.value();
  const uint64_t limit = bar.is_64bit ? (1ull << 63) : (1ull << 31);
  if (size < 16 || !std::has_single_bit(size) || size > limit) {
    throw std::invalid_argument(fmt::format("BAR{} size {:#x} is not a power of two in [16, {:#x}]",
                                            bar.index, size, limit));
  }
  const auto n = static_cast<uint8_t>(std::countr_zero(size));
  const uint8_t width = bar.is_64bit ? 8 : 4;
  const auto top = static_cast<uint8_t>(width * 8 - 1);
  std::vector<FieldDesc> f{
      {"Memory Space Indicator", 0, width, 0, 0, A::kRO, 0, kHdr0},
      {"Memory Type", 0, width, 1, 2, A::kRO, bar.is_64bit ? 2u : 0u, kHdr0},
      {"Prefetchable", 0, width, 3, 3, A::kRO, bar.prefetchable ? 1u : 0u, kHdr0},
      {"Base Address", 0, width, n, top, A::kRW, 0, kHdr0},
  };
  const auto base = static_cast<uint16_t>(0x10 + 4 * bar.index);
  // A 64-bit register must be 8-byte aligned within its structure; slot 1/3/5 BARs start at
  // 4 mod 8, so 64-bit BARs are placed as structures of their own (base = BAR offset).
  regs_.add_structure(fmt::format("BAR{}", bar.index), base, f, width);
  bars_used_ |= mask;
}

std::optional<uint64_t> ConfigSpace::bar_address(unsigned index) const {
  const auto base = static_cast<uint16_t>(0x10 + 4 * index);
  if (index >= 6 || !(bars_used_ & (1u << index)) || !regs_.has_field(base, "Base Address")) {
    return std::nullopt;
  }
  const bool is64 = regs_.field(base, "Memory Type") == 2;
  const uint64_t raw = regs_.read(base, is64 ? 8 : 4);
  return raw & ~uint64_t{0xF};
}

uint16_t ConfigSpace::add_capability(std::string name, uint8_t cap_id,
                                     std::span<const FieldDesc> body, uint16_t length) {
  const auto len = static_cast<uint16_t>((length + 3u) & ~3u);
  if (length < 2 || next_cap_ + len > 0x100) {
    throw std::length_error(
        fmt::format("{}: no room for {} bytes in the capability area", name, length));
  }
  const uint16_t at = next_cap_;
  regs_.add_structure(name + " header", at, kCapHeader, 2);
  regs_.add_structure(std::move(name), at, body, length);
  regs_.init_field(at, "Capability ID", cap_id);
  if (last_cap_ == 0) {
    regs_.init_field(0, "Capabilities Pointer", at);
  } else {
    regs_.init_field(last_cap_, "Next Capability Pointer", at);
  }
  last_cap_ = at;
  next_cap_ = static_cast<uint16_t>(at + len);
  return at;
}

uint16_t ConfigSpace::add_extended_capability(std::string name, uint16_t cap_id, uint8_t version,
                                              std::span<const FieldDesc> body, uint16_t length) {
  const auto len = static_cast<uint16_t>((length + 3u) & ~3u);
  if (length < 4 || next_ext_ + len > kSize) {
    throw std::length_error(
        fmt::format("{}: no room for {} bytes in extended config space", name, length));
  }
  const uint16_t at = next_ext_;
  regs_.add_structure(name + " header", at, kExtCapHeader, 4);
  regs_.add_structure(std::move(name), at, body, length);
  regs_.init_field(at, "PCI Express Extended Capability ID", cap_id);
  regs_.init_field(at, "Capability Version", version);
  if (last_ext_ != 0) regs_.init_field(last_ext_, "Next Capability Offset", at);
  last_ext_ = at;
  next_ext_ = static_cast<uint16_t>(at + len);
  return at;
}

uint16_t ConfigSpace::add_pcie_capability(PciePortType port_type, const PcieLinkInfo& link) {
  if (link.max_speed < 1 || link.max_speed > 7 || link.max_width == 0 || link.max_width > 32) {
    throw std::invalid_argument(
        fmt::format("PCIe link speed {} / width x{} out of range", link.max_speed, link.max_width));
  }
  const uint16_t at =
      add_capability("PCI Express Capability", kPcieCapabilityId, kPcieCap, kPcieCapLength);
  if (port_type == PciePortType::kRootPort) {
    regs_.add_structure("PCI Express Capability (root)", at, kPcieRootRegs, kPcieCapLength);
  }
  regs_.init_field(at, "Device/Port Type", static_cast<uint8_t>(port_type));
  regs_.init_field(at, "Max Link Speed", link.max_speed);
  regs_.init_field(at, "Maximum Link Width", link.max_width);
  regs_.init_field(at, "Port Number", link.port_number);
  regs_.init_field(at, "Supported Link Speeds Vector", (1u << link.max_speed) - 1);
  regs_.init_field(at, "Target Link Speed", link.max_speed);
  // The modelled link is trained at its maximum: current speed/width as advertised.
  regs_.init_field(at, "Current Link Speed", link.max_speed);
  regs_.init_field(at, "Negotiated Link Width", link.max_width);
  const bool downstream_facing =
      port_type == PciePortType::kRootPort || port_type == PciePortType::kSwitchDownstream;
  if (downstream_facing) {
    regs_.init_field(at, "Data Link Layer Link Active Reporting Capable", 1);
    regs_.init_field(at, "Data Link Layer Link Active", 1);
  }
  return at;
}

std::optional<uint16_t> ConfigSpace::find_capability(uint8_t cap_id) const {
  if (!(read16(0x06) & (1u << 4))) return std::nullopt;
  uint16_t p = read8(kCapabilitiesPointer) & 0xFC;
  for (unsigned i = 0; p != 0 && i < kMaxListWalk; ++i) {
    if (read8(p) == cap_id) return p;
    p = read8(static_cast<uint16_t>(p + 1)) & 0xFC;
  }
  return std::nullopt;
}

std::optional<uint16_t> ConfigSpace::find_extended_capability(uint16_t cap_id) const {
  uint16_t p = kExtendedCapabilityStart;
  for (unsigned i = 0; p >= kExtendedCapabilityStart && i < kMaxListWalk; ++i) {
    const uint32_t h = read32(p);
    if (h == 0) return std::nullopt;
    if ((h & 0xFFFF) == cap_id) return p;
    p = static_cast<uint16_t>((h >> 20) & 0xFFC);
  }
  return std::nullopt;
}

std::optional<uint16_t> ConfigSpace::find_dvsec(uint16_t vendor, uint16_t dvsec_id) const {
  uint16_t p = kExtendedCapabilityStart;
  for (unsigned i = 0; p >= kExtendedCapabilityStart && i < kMaxListWalk; ++i) {
    const uint32_t h = read32(p);
    if (h == 0) return std::nullopt;
    if ((h & 0xFFFF) == kDvsecCapabilityId && read16(static_cast<uint16_t>(p + 4)) == vendor &&
        read16(static_cast<uint16_t>(p + 8)) == dvsec_id) {
      return p;
    }
    p = static_cast<uint16_t>((h >> 20) & 0xFFC);
  }
  return std::nullopt;
}

nlohmann::json ConfigSpace::to_json() const { return regs_.to_json(); }

std::optional<uint8_t> ConfigSpace::port_number() const {
  auto cap = find_capability(kPcieCapabilityId);
  if (!cap) return std::nullopt;
  return read8(static_cast<uint16_t>(*cap + 0x0F));
}

std::optional<PciePortType> ConfigSpace::port_type() const {
  auto cap = find_capability(kPcieCapabilityId);
  if (!cap) return std::nullopt;
  return static_cast<PciePortType>((read16(static_cast<uint16_t>(*cap + 2)) >> 4) & 0xF);
}

}  // namespace cxlsim
