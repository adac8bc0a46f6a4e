// The CXL DVSECs (CXL 3.1 §8.1): Designated Vendor-Specific Extended Capabilities (PCIe
// extended capability ID 0x0023, DVSEC Vendor ID 0x1E98) that make a PCIe function a CXL
// component, their register layouts, and builders that produce the configuration space of
// each kind of CXL component with exactly the DVSECs it carries.
//
// Which DVSEC appears on which component (CXL 3.1 §8.1.1, Table 8-2; D2 = CXL 2.0+ device,
// LD = logical device of an MLD, R = root port, USP/DSP = switch upstream/downstream port):
//   ID 0 PCIe DVSEC for CXL Devices ........ D2, LD (mandatory)
//   ID 2 Non-CXL Function Map ............... D2, LD, USP (only when non-CXL functions exist)
//   ID 3 CXL Extensions DVSEC for Ports ..... R, USP, DSP
//   ID 4 GPF DVSEC for CXL Ports ............ R, DSP
//   ID 5 GPF DVSEC for CXL Devices .......... D2, LD (CXL.mem capable devices)
//   ID 7 PCIe DVSEC for Flex Bus Port ....... D2, LD, R, USP, DSP
//   ID 8 Register Locator ................... D2, LD, R, USP, DSP
// The builders follow this table. Known deviations of QEMU 7.2 (hw/mem/cxl_type3.c,
// hw/pci-bridge/cxl_root_port.c, cxl_upstream.c, cxl_downstream.c) are noted in dvsec.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "spec/config_space.h"
#include "spec/units.h"

namespace cxlsim {

inline constexpr uint16_t kCxlDvsecVendorId = 0x1E98;

// DVSEC IDs (CXL 3.1 Table 8-2).
enum class DvsecId : uint16_t {
  kCxlDevice = 0,
  kNonCxlFunctionMap = 2,
  kPortExtensions = 3,
  kGpfPort = 4,
  kGpfDevice = 5,
  kFlexBusPort = 7,
  kRegisterLocator = 8,
};

// Register Block Identifier of a Register Locator entry (CXL 3.1 §8.1.9.1).
enum class RegisterBlockId : uint8_t {
  kEmpty = 0,
  kComponent = 1,          // CXL component registers (§8.2.3)
  kBarVirtualization = 2,  // BAR Virtualization ACL registers
  kMemoryDevice = 3,       // CXL memory device registers: device status, mailbox (§8.2.8)
  kCpmu = 4,               // CXL performance monitoring unit
};

// One Register Locator entry: block `id` lives at `offset` (64 KiB aligned) into the BAR
// selected by `bir` (BAR Indicator Register: 0..5).
struct RegisterBlockEntry {
  uint8_t bir = 0;
  RegisterBlockId id = RegisterBlockId::kEmpty;
  uint64_t offset = 0;
  auto operator<=>(const RegisterBlockEntry&) const = default;
};

// ---- Individual DVSECs: each appends one DVSEC to `cs` and returns its offset. ----

// PCIe DVSEC for CXL Devices (ID 0, §8.1.3). Up to two DPA ranges; each range's size must be a
// non-zero multiple of 256 MiB (Memory_Size_Low holds bits 31:28). Ranges report
// Memory_Info_Valid and Memory_Active set (media ready at reset) and HDM_Count = #ranges;
// Mem_Enable stays 0 (its reset value): memory is decoded through the HDM decoders.
struct CxlDeviceDvsecParams {
  bool cache_capable = false;
  bool mem_capable = true;
  std::vector<Bytes> ranges;  // 1 or 2 entries when mem_capable, empty otherwise
};
uint16_t add_cxl_device_dvsec(ConfigSpace& cs, const CxlDeviceDvsecParams& p);

// Non-CXL Function Map (ID 2, §8.1.4): bit f of map register r set = function (32r + f)
// (or device number, with ARI off) is not a CXL function.
uint16_t add_non_cxl_function_map_dvsec(ConfigSpace& cs, std::span<const uint32_t, 8> map);

// CXL Extensions DVSEC for Ports (ID 3, §8.1.5): alternate bus/memory windows, RCRB base.
uint16_t add_port_extensions_dvsec(ConfigSpace& cs);

// GPF DVSEC for CXL Ports (ID 4, §8.1.6): phase 1/2 timeouts (software programmed).
uint16_t add_gpf_port_dvsec(ConfigSpace& cs);

// GPF DVSEC for CXL Devices (ID 5, §8.1.7). Phase 2 duration as base (0..15) x scale
// (0: 1 us, 1: 10 us, ... 7: 10 s) and active power in mW.
struct GpfDeviceParams {
  uint8_t phase2_time_base = 3;
  uint8_t phase2_time_scale = 6;  // 3 x 1 s = 3 s
  uint32_t phase2_power_mw = 0x33;
};
uint16_t add_gpf_device_dvsec(ConfigSpace& cs, const GpfDeviceParams& p);

// PCIe DVSEC for Flex Bus Port (ID 7, §8.1.8): capabilities, control and the negotiated
// status; the modelled link trains to CXL with every capable protocol enabled.
struct FlexBusParams {
  bool cache = false;
  bool io = true;
  bool mem = true;
  bool mld = false;
};
uint16_t add_flex_bus_port_dvsec(ConfigSpace& cs, const FlexBusParams& p);

// Register Locator (ID 8, §8.1.9). Throws std::invalid_argument for a BIR > 5 or an offset
// not aligned to 64 KiB.
uint16_t add_register_locator_dvsec(ConfigSpace& cs, std::span<const RegisterBlockEntry> entries);
// The entries of the Register Locator DVSEC, decoded over the bus view (empty if absent).
std::vector<RegisterBlockEntry> read_register_locator(const ConfigSpace& cs);

// ---- Builders: a complete configuration space per component kind. ----

// BAR layout used by every builder: BAR0 (64-bit, 64 KiB) holds the component register block
// at offset 0; devices add BAR2 (64-bit) for the memory device registers (Register Locator
// block id 3) unless disabled. `extra_blocks` appends more Register Locator entries (they
// must point into an implemented BAR).
inline constexpr unsigned kComponentRegisterBar = 0;
inline constexpr unsigned kDeviceRegisterBar = 2;
inline constexpr Bytes kComponentBlockBarSize = KiB(64);

struct PortConfigOptions {
  PciIdentity identity{};  // vendor/device; class code defaults to PCI-PCI bridge 0x060400
  PcieLinkInfo link{};     // Link Capabilities Port Number = link.port_number
  std::vector<RegisterBlockEntry> extra_blocks;
};

// Root port: type 1 header, PCIe port type 4; DVSECs 3, 4, 7, 8.
ConfigSpace make_root_port_config_space(const PortConfigOptions& o = {});
// Switch upstream port: type 1, port type 5; DVSECs 3, 7, 8.
ConfigSpace make_switch_upstream_config_space(const PortConfigOptions& o = {});
// Switch downstream port: type 1, port type 6; DVSECs 3, 4, 7, 8.
ConfigSpace make_switch_downstream_config_space(const PortConfigOptions& o = {});

struct DeviceConfigOptions {
  PciIdentity identity{};  // zero fields take the kind's defaults (class code etc.)
  PcieLinkInfo link{};
  Bytes persistent_capacity{};  // second DVSEC range (after the volatile one) when non-zero
  // BAR2 + Register Locator block id 3. Unset: the kind's default (type 3 yes, type 2 no).
  std::optional<bool> memory_device_registers;
  Bytes memory_device_bar_size = KiB(64);
  std::vector<RegisterBlockEntry> extra_blocks;
  GpfDeviceParams gpf{};
};

// Type 3 memory expander (class code 05/02/10, CXL 3.1 §8.1.12.1): type 0 header, port type
// endpoint; DVSECs 0 (Mem_Capable, range 1 = `capacity` volatile, range 2 = persistent), 5, 7,
// 8. `capacity` may be zero when persistent_capacity is not. Throws ValidationError when a
// size is not a multiple of 256 MiB or both are zero.
ConfigSpace make_type3_config_space(Bytes capacity, const DeviceConfigOptions& o = {});
// Type 2 accelerator with device-attached memory (class code 12/00/00, processing
// accelerator; identity defaults reuse the type 3 vendor/device ids, override them via
// `identity`): as type 3 but Cache_Capable and the Flex Bus cache protocol set; DVSECs 0, 5,
// 7, 8. Memory device registers default off for type 2 (they are optional there).
ConfigSpace make_type2_config_space(Bytes capacity, const DeviceConfigOptions& o = {});

// The DVSEC IDs present in `cs`, in list order (introspection, tests).
std::vector<uint16_t> cxl_dvsec_ids(const ConfigSpace& cs);
// The specification's name of a CXL DVSEC ID ("Register Locator"), "" if not defined here.
std::string_view dvsec_name(uint16_t id);
std::string_view port_type_name(PciePortType t);

// A compact description for listings, read over the bus view: {"header_type", "vendor_id",
// "device_id", "class_code", "port_type", "port_number", "bars": [{"index", "address"}],
// "dvsecs": [{"id", "name", "offset"}], "register_blocks": [{"bir", "id", "offset"}]}.
// The full register dump is ConfigSpace::to_json().
nlohmann::json describe(const ConfigSpace& cs);

}  // namespace cxlsim
