#include "spec/dvsec.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "spec/error.h"

// Deviations from QEMU 7.2 (read for comparison; nothing copied):
//  - QEMU 7.2 puts revision 1 / length 0x38 (CXL 2.0) in the PCIe DVSEC for CXL Devices; we
//    model CXL 3.1: revision 3, length 0x3C with DVSEC CXL Capability3 at 0x38.
//  - QEMU 7.2 type 3 sets DVSEC CXL Status2 = 0x2 (CXL Reset Complete); we report Status2 = 0
//    (no reset was requested). Control matches QEMU (0x2: IO_Enable only): Mem_Enable keeps its
//    reset value 0, so Linux (cxl_hdm_decode_init) ignores the DVSEC ranges and uses the HDM
//    decoders instead of emulating decoders from range registers.
//  - QEMU 7.2 Flex Bus Port DVSEC is the CXL 2.0 revision 1 / 0x14 bytes with control 0x02 and
//    status 0x26 regardless of capability; we use revision 2 / 0x20 bytes (Capability2..Status2
//    present, read zero: no 256B flit / PBR support) and derive control/status from the
//    component's protocols.
//  - QEMU 7.2 switch upstream ports carry no GPF DVSEC, like us; its downstream ports and root
//    ports carry Extensions, GPF Port, Flex Bus and Register Locator, like us.
//  - QEMU 7.2 has no type 2 device.

namespace cxlsim {

namespace {

using A = Access;
constexpr uint8_t kDvsecCapVersion = 1;  // PCIe 6.0 §7.9.6.1: DVSEC Capability Version 1h

constexpr auto kDvsecHeader = std::to_array<FieldDesc>({
    {"DVSEC Vendor ID", 0x04, 4, 0, 15, A::kRO, 0, "PCIe 6.0 §7.9.6.2"},
    {"DVSEC Revision", 0x04, 4, 16, 19, A::kRO, 0, "PCIe 6.0 §7.9.6.2"},
    {"DVSEC Length", 0x04, 4, 20, 31, A::kRO, 0, "PCIe 6.0 §7.9.6.2"},
    {"DVSEC ID", 0x08, 2, 0, 15, A::kRO, 0, "PCIe 6.0 §7.9.6.3"},
});

// PCIe DVSEC for CXL Devices, CXL 3.1 §8.1.3 (revision 3, 0x3C bytes). Initiate Cache Write
// Back and Invalidation / Initiate CXL Reset always read zero and are left out.
constexpr uint16_t kCxlDeviceLength = 0x3C;
constexpr uint8_t kCxlDeviceRevision = 3;
constexpr auto kCxlDevice = std::to_array<FieldDesc>({
    {"Cache_Capable", 0x0A, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"IO_Capable", 0x0A, 2, 1, 1, A::kRO, 1, "CXL 3.1 §8.1.3.1"},
    {"Mem_Capable", 0x0A, 2, 2, 2, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"Mem_HwInit_Mode", 0x0A, 2, 3, 3, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"HDM_Count", 0x0A, 2, 4, 5, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"Cache Writeback and Invalidate Capable", 0x0A, 2, 6, 6, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"CXL Reset Capable", 0x0A, 2, 7, 7, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"CXL Reset Timeout", 0x0A, 2, 8, 10, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"CXL Reset Mem Clr Capable", 0x0A, 2, 11, 11, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"TSP Capable", 0x0A, 2, 12, 12, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"Multiple Logical Device", 0x0A, 2, 13, 13, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"Viral_Capable", 0x0A, 2, 14, 14, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"PM Init Completion Reporting Capable", 0x0A, 2, 15, 15, A::kRO, 0, "CXL 3.1 §8.1.3.1"},
    {"Cache_Enable", 0x0C, 2, 0, 0, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"IO_Enable", 0x0C, 2, 1, 1, A::kRO, 1, "CXL 3.1 §8.1.3.2"},
    {"Mem_Enable", 0x0C, 2, 2, 2, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Cache_SF_Coverage", 0x0C, 2, 3, 7, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Cache_SF_Granularity", 0x0C, 2, 8, 10, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Cache_Clean_Eviction", 0x0C, 2, 11, 11, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Direct P2P Mem Enable", 0x0C, 2, 12, 12, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Viral_Enable", 0x0C, 2, 14, 14, A::kRW, 0, "CXL 3.1 §8.1.3.2"},
    {"Viral_Status", 0x0E, 2, 14, 14, A::kRW1C, 0, "CXL 3.1 §8.1.3.3"},
    {"Disable Caching", 0x10, 2, 0, 0, A::kRW, 0, "CXL 3.1 §8.1.3.4"},
    {"CXL Reset Mem Clr Enable", 0x10, 2, 3, 3, A::kRW, 0, "CXL 3.1 §8.1.3.4"},
    {"Desired Volatile HDM State after Hot Reset", 0x10, 2, 4, 4, A::kRW, 0, "CXL 3.1 §8.1.3.4"},
    {"Modified Completion Enable", 0x10, 2, 5, 5, A::kRW, 0, "CXL 3.1 §8.1.3.4"},
    {"Cache Invalid", 0x12, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.3.5"},
    {"CXL Reset Complete", 0x12, 2, 1, 1, A::kRO, 0, "CXL 3.1 §8.1.3.5"},
    {"CXL Reset Error", 0x12, 2, 2, 2, A::kRO, 0, "CXL 3.1 §8.1.3.5"},
    {"Volatile HDM Preservation Error", 0x12, 2, 3, 3, A::kRW1C, 0, "CXL 3.1 §8.1.3.5"},
    {"Power Management Initialization Complete", 0x12, 2, 15, 15, A::kRO, 0, "CXL 3.1 §8.1.3.5"},
    {"CONFIG_LOCK", 0x14, 2, 0, 0, A::kRW1S, 0, "CXL 3.1 §8.1.3.6"},
    {"Cache Size Unit", 0x16, 2, 0, 3, A::kRO, 0, "CXL 3.1 §8.1.3.7"},
    {"Fallback Capability", 0x16, 2, 4, 5, A::kRO, 0, "CXL 3.1 §8.1.3.7"},
    {"Modified Completion Capable", 0x16, 2, 6, 6, A::kRO, 0, "CXL 3.1 §8.1.3.7"},
    {"No Clean Writeback", 0x16, 2, 7, 7, A::kRO, 0, "CXL 3.1 §8.1.3.7"},
    {"Cache Size", 0x16, 2, 8, 15, A::kRO, 0, "CXL 3.1 §8.1.3.7"},
    {"Range 1 Memory_Size_High", 0x18, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.1.3.8"},
    {"Range 1 Memory_Info_Valid", 0x1C, 4, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Memory_Active", 0x1C, 4, 1, 1, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Media_Type", 0x1C, 4, 2, 4, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Memory_Class", 0x1C, 4, 5, 7, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Desired_Interleave", 0x1C, 4, 8, 12, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Memory_Active_Timeout", 0x1C, 4, 13, 15, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Memory_Size_Low", 0x1C, 4, 28, 31, A::kRO, 0, "CXL 3.1 §8.1.3.9"},
    {"Range 1 Memory_Base_High", 0x20, 4, 0, 31, A::kRW, 0, "CXL 3.1 §8.1.3.10"},
    {"Range 1 Memory_Base_Low", 0x24, 4, 28, 31, A::kRW, 0, "CXL 3.1 §8.1.3.11"},
    {"Range 2 Memory_Size_High", 0x28, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.1.3.12"},
    {"Range 2 Memory_Info_Valid", 0x2C, 4, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Memory_Active", 0x2C, 4, 1, 1, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Media_Type", 0x2C, 4, 2, 4, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Memory_Class", 0x2C, 4, 5, 7, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Desired_Interleave", 0x2C, 4, 8, 12, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Memory_Active_Timeout", 0x2C, 4, 13, 15, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Memory_Size_Low", 0x2C, 4, 28, 31, A::kRO, 0, "CXL 3.1 §8.1.3.13"},
    {"Range 2 Memory_Base_High", 0x30, 4, 0, 31, A::kRW, 0, "CXL 3.1 §8.1.3.14"},
    {"Range 2 Memory_Base_Low", 0x34, 4, 28, 31, A::kRW, 0, "CXL 3.1 §8.1.3.15"},
    {"Default Volatile HDM State after Cold Reset", 0x38, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.3.16"},
    {"Default Volatile HDM State after Warm Reset", 0x38, 2, 1, 1, A::kRO, 0, "CXL 3.1 §8.1.3.16"},
    {"Default Volatile HDM State after Hot Reset", 0x38, 2, 2, 2, A::kRO, 0, "CXL 3.1 §8.1.3.16"},
    {"Volatile HDM State after Hot Reset - Configurability", 0x38, 2, 3, 3, A::kRO, 0,
     "CXL 3.1 §8.1.3.16"},
});

// Non-CXL Function Map DVSEC, CXL 3.1 §8.1.4 (revision 0, 0x2C bytes).
constexpr uint16_t kNonCxlMapLength = 0x2C;
constexpr auto kNonCxlMap = std::to_array<FieldDesc>({
    {"Non-CXL Function Map Register 0", 0x0C, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 1", 0x10, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 2", 0x14, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 3", 0x18, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 4", 0x1C, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 5", 0x20, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 6", 0x24, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
    {"Non-CXL Function Map Register 7", 0x28, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.4.1"},
});

// CXL Extensions DVSEC for Ports, CXL 3.1 §8.1.5 (revision 0, 0x28 bytes).
constexpr uint16_t kPortExtLength = 0x28;
constexpr auto kPortExt = std::to_array<FieldDesc>({
    {"Port Power Management Initialization Complete", 0x0A, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.5.1"},
    {"Viral Status", 0x0A, 2, 14, 14, A::kRW1C, 0, "CXL 3.1 §8.1.5.1"},
    {"Unmask SBR", 0x0C, 2, 0, 0, A::kRW, 0, "CXL 3.1 §8.1.5.2"},
    {"Unmask Link Disable", 0x0C, 2, 1, 1, A::kRW, 0, "CXL 3.1 §8.1.5.2"},
    {"Alt Memory and ID Space Enable", 0x0C, 2, 2, 2, A::kRW, 0, "CXL 3.1 §8.1.5.2"},
    {"Alt BME", 0x0C, 2, 3, 3, A::kRW, 0, "CXL 3.1 §8.1.5.2"},
    {"Viral Enable", 0x0C, 2, 14, 14, A::kRW, 0, "CXL 3.1 §8.1.5.2"},
    {"Alt Bus Base", 0x0E, 1, 0, 7, A::kRW, 0, "CXL 3.1 §8.1.5.3"},
    {"Alt Bus Limit", 0x0F, 1, 0, 7, A::kRW, 0, "CXL 3.1 §8.1.5.4"},
    {"Alt Memory Base", 0x10, 2, 4, 15, A::kRW, 0, "CXL 3.1 §8.1.5.5"},
    {"Alt Memory Limit", 0x12, 2, 4, 15, A::kRW, 0, "CXL 3.1 §8.1.5.6"},
    {"Alt Prefetchable Memory Base", 0x14, 2, 4, 15, A::kRW, 0, "CXL 3.1 §8.1.5.7"},
    {"Alt Prefetchable Memory Limit", 0x16, 2, 4, 15, A::kRW, 0, "CXL 3.1 §8.1.5.8"},
    {"Alt Prefetchable Memory Base High", 0x18, 4, 0, 31, A::kRW, 0, "CXL 3.1 §8.1.5.9"},
    {"Alt Prefetchable Memory Limit High", 0x1C, 4, 0, 31, A::kRW, 0, "CXL 3.1 §8.1.5.10"},
    {"CXL RCRB Enable", 0x20, 4, 0, 0, A::kRW, 0, "CXL 3.1 §8.1.5.11"},
    {"CXL RCRB Base Address Low", 0x20, 4, 13, 31, A::kRW, 0, "CXL 3.1 §8.1.5.11"},
    {"CXL RCRB Base Address High", 0x24, 4, 0, 31, A::kRW, 0, "CXL 3.1 §8.1.5.12"},
});

// GPF DVSEC for CXL Ports, CXL 3.1 §8.1.6 (revision 0, 0x10 bytes).
constexpr uint16_t kGpfLength = 0x10;
constexpr auto kGpfPort = std::to_array<FieldDesc>({
    {"Port GPF Phase 1 Timeout Base", 0x0C, 2, 0, 3, A::kRW, 0, "CXL 3.1 §8.1.6.2"},
    {"Port GPF Phase 1 Timeout Scale", 0x0C, 2, 8, 11, A::kRW, 0, "CXL 3.1 §8.1.6.2"},
    {"Port GPF Phase 2 Timeout Base", 0x0E, 2, 0, 3, A::kRW, 0, "CXL 3.1 §8.1.6.3"},
    {"Port GPF Phase 2 Timeout Scale", 0x0E, 2, 8, 11, A::kRW, 0, "CXL 3.1 §8.1.6.3"},
});

// GPF DVSEC for CXL Devices, CXL 3.1 §8.1.7 (revision 0, 0x10 bytes).
constexpr auto kGpfDevice = std::to_array<FieldDesc>({
    {"Device GPF Phase 2 Time Base", 0x0A, 2, 0, 3, A::kHwInit, 0, "CXL 3.1 §8.1.7.2"},
    {"Device GPF Phase 2 Time Scale", 0x0A, 2, 8, 11, A::kHwInit, 0, "CXL 3.1 §8.1.7.2"},
    {"GPF Phase 2 Power", 0x0C, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.7.3"},
});

// PCIe DVSEC for Flex Bus Port, CXL 3.1 §8.1.8 (revision 2, 0x20 bytes). Capability2,
// Control2 and Status2 (0x14..0x1F) read zero: no 256B flit, no PBR.
constexpr uint16_t kFlexBusLength = 0x20;
constexpr uint8_t kFlexBusRevision = 2;
constexpr auto kFlexBus = std::to_array<FieldDesc>({
    {"Cache_Capable", 0x0A, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.8.1"},
    {"IO_Capable", 0x0A, 2, 1, 1, A::kRO, 1, "CXL 3.1 §8.1.8.1"},
    {"Mem_Capable", 0x0A, 2, 2, 2, A::kRO, 0, "CXL 3.1 §8.1.8.1"},
    {"CXL_68B_Flit_and_VH_Capable", 0x0A, 2, 5, 5, A::kRO, 1, "CXL 3.1 §8.1.8.1"},
    {"CXL_Multi-Logical_Device_Capable", 0x0A, 2, 6, 6, A::kRO, 0, "CXL 3.1 §8.1.8.1"},
    {"Cache_Enable", 0x0C, 2, 0, 0, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"IO_Enable", 0x0C, 2, 1, 1, A::kRO, 1, "CXL 3.1 §8.1.8.2"},
    {"Mem_Enable", 0x0C, 2, 2, 2, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"CXL_Sync_Hdr_Bypass_Enable", 0x0C, 2, 3, 3, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"Drift_Buffer_Enable", 0x0C, 2, 4, 4, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"CXL_68B_Flit_and_VH_Enable", 0x0C, 2, 5, 5, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"CXL_Multi-Logical_Device_Enable", 0x0C, 2, 6, 6, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"Disable_CXL1p1_Training", 0x0C, 2, 7, 7, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"Retimer1_Present", 0x0C, 2, 8, 8, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"Retimer2_Present", 0x0C, 2, 9, 9, A::kRW, 0, "CXL 3.1 §8.1.8.2"},
    {"Cache_Enabled", 0x0E, 2, 0, 0, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"IO_Enabled", 0x0E, 2, 1, 1, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"Mem_Enabled", 0x0E, 2, 2, 2, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_Sync_Hdr_Bypass_Enabled", 0x0E, 2, 3, 3, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"Drift_Buffer_Enabled", 0x0E, 2, 4, 4, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_68B_Flit_and_VH_Enabled", 0x0E, 2, 5, 5, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_Multi-Logical_Device_Enabled", 0x0E, 2, 6, 6, A::kRO, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_Correctable_Protocol_ID_Framing_Error", 0x0E, 2, 8, 8, A::kRW1C, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_Uncorrectable_Protocol_ID_Framing_Error", 0x0E, 2, 9, 9, A::kRW1C, 0, "CXL 3.1 §8.1.8.3"},
    {"CXL_Unexpected_Protocol_ID_Dropped", 0x0E, 2, 10, 10, A::kRW1C, 0, "CXL 3.1 §8.1.8.3"},
    {"Retimers_Present_Mismatched", 0x0E, 2, 11, 11, A::kRW1C, 0, "CXL 3.1 §8.1.8.3"},
    {"FlexBusEnableBits_Phase2_Mismatch", 0x0E, 2, 12, 12, A::kRW1C, 0, "CXL 3.1 §8.1.8.3"},
    {"Received Flex Bus Data Phase1", 0x10, 4, 0, 23, A::kRO, 0, "CXL 3.1 §8.1.8.4"},
});

// One Register Locator entry, CXL 3.1 §8.1.9.1 (relative to the entry).
constexpr auto kRegisterBlock = std::to_array<FieldDesc>({
    {"Register BIR", 0x0, 4, 0, 2, A::kHwInit, 0, "CXL 3.1 §8.1.9.1"},
    {"Register Block Identifier", 0x0, 4, 8, 15, A::kHwInit, 0, "CXL 3.1 §8.1.9.1"},
    {"Register Block Offset Low", 0x0, 4, 16, 31, A::kHwInit, 0, "CXL 3.1 §8.1.9.1"},
    {"Register Block Offset High", 0x4, 4, 0, 31, A::kHwInit, 0, "CXL 3.1 §8.1.9.2"},
});
constexpr uint16_t kRegisterLocatorHeader = 0x0C;
constexpr uint16_t kRegisterLocatorEntry = 8;

uint16_t add_dvsec(ConfigSpace& cs, const std::string& name, DvsecId id, uint8_t revision,
                   std::span<const FieldDesc> body, uint16_t length) {
  const uint16_t at = cs.add_extended_capability("DVSEC: " + name, ConfigSpace::kDvsecCapabilityId,
                                                 kDvsecCapVersion, body, length);
  RegisterFile& r = cs.registers();
  r.add_structure("DVSEC header: " + name, at, kDvsecHeader, length);
  r.init_field(at, "DVSEC Vendor ID", kCxlDvsecVendorId);
  r.init_field(at, "DVSEC Revision", revision);
  r.init_field(at, "DVSEC Length", length);
  r.init_field(at, "DVSEC ID", static_cast<uint16_t>(id));
  return at;
}

void check_range_size(Bytes size, const char* what) {
  if (size.value() == 0 || size.value() % MiB(256).value() != 0) {
    throw ValidationError(
        fmt::format("{} size {} is not a non-zero multiple of 256 MiB", what, format_bytes(size)));
  }
}

}  // namespace

uint16_t add_cxl_device_dvsec(ConfigSpace& cs, const CxlDeviceDvsecParams& p) {
  if (p.ranges.size() > 2 || (p.mem_capable && p.ranges.empty()) ||
      (!p.mem_capable && !p.ranges.empty())) {
    throw std::invalid_argument(
        fmt::format("PCIe DVSEC for CXL Devices: {} DPA ranges for a {}Mem_Capable device",
                    p.ranges.size(), p.mem_capable ? "" : "non-"));
  }
  for (Bytes r : p.ranges) check_range_size(r, "CXL DVSEC range");
  const uint16_t at = add_dvsec(cs, "PCIe DVSEC for CXL Devices", DvsecId::kCxlDevice,
                                kCxlDeviceRevision, kCxlDevice, kCxlDeviceLength);
  RegisterFile& r = cs.registers();
  r.init_field(at, "Cache_Capable", p.cache_capable);
  r.init_field(at, "Mem_Capable", p.mem_capable);
  r.init_field(at, "Mem_HwInit_Mode", p.mem_capable);
  r.init_field(at, "HDM_Count", p.ranges.size());
  for (size_t i = 0; i < p.ranges.size(); ++i) {
    const std::string n = fmt::format("Range {} ", i + 1);
    const uint64_t size = p.ranges[i].value();
    r.init_field(at, n + "Memory_Size_High", size >> 32);
    r.init_field(at, n + "Memory_Size_Low", (size >> 28) & 0xF);
    r.init_field(at, n + "Memory_Info_Valid", 1);
    r.init_field(at, n + "Memory_Active", 1);
    // 010b: memory characteristics are communicated via CDAT (CXL 3.1 §8.1.3.9).
    r.init_field(at, n + "Media_Type", 2);
    r.init_field(at, n + "Memory_Class", 2);
  }
  return at;
}

uint16_t add_non_cxl_function_map_dvsec(ConfigSpace& cs, std::span<const uint32_t, 8> map) {
  const uint16_t at = add_dvsec(cs, "Non-CXL Function Map", DvsecId::kNonCxlFunctionMap, 0,
                                kNonCxlMap, kNonCxlMapLength);
  for (size_t i = 0; i < map.size(); ++i) cs.registers().init_field(at, kNonCxlMap[i].name, map[i]);
  return at;
}

uint16_t add_port_extensions_dvsec(ConfigSpace& cs) {
  return add_dvsec(cs, "CXL Extensions DVSEC for Ports", DvsecId::kPortExtensions, 0, kPortExt,
                   kPortExtLength);
}

uint16_t add_gpf_port_dvsec(ConfigSpace& cs) {
  return add_dvsec(cs, "GPF DVSEC for CXL Ports", DvsecId::kGpfPort, 0, kGpfPort, kGpfLength);
}

uint16_t add_gpf_device_dvsec(ConfigSpace& cs, const GpfDeviceParams& p) {
  const uint16_t at =
      add_dvsec(cs, "GPF DVSEC for CXL Devices", DvsecId::kGpfDevice, 0, kGpfDevice, kGpfLength);
  cs.registers().init_field(at, "Device GPF Phase 2 Time Base", p.phase2_time_base);
  cs.registers().init_field(at, "Device GPF Phase 2 Time Scale", p.phase2_time_scale);
  cs.registers().init_field(at, "GPF Phase 2 Power", p.phase2_power_mw);
  return at;
}

uint16_t add_flex_bus_port_dvsec(ConfigSpace& cs, const FlexBusParams& p) {
  const uint16_t at = add_dvsec(cs, "PCIe DVSEC for Flex Bus Port", DvsecId::kFlexBusPort,
                                kFlexBusRevision, kFlexBus, kFlexBusLength);
  RegisterFile& r = cs.registers();
  r.init_field(at, "Cache_Capable", p.cache);
  r.init_field(at, "IO_Capable", p.io);
  r.init_field(at, "Mem_Capable", p.mem);
  r.init_field(at, "CXL_Multi-Logical_Device_Capable", p.mld);
  // The link trained in CXL mode (68B flit, VH) with every capable protocol enabled.
  r.init_field(at, "Cache_Enable", p.cache);
  r.init_field(at, "Mem_Enable", p.mem);
  r.init_field(at, "CXL_68B_Flit_and_VH_Enable", 1);
  r.init_field(at, "CXL_Multi-Logical_Device_Enable", p.mld);
  r.init_field(at, "Cache_Enabled", p.cache);
  r.init_field(at, "IO_Enabled", p.io);
  r.init_field(at, "Mem_Enabled", p.mem);
  r.init_field(at, "CXL_68B_Flit_and_VH_Enabled", 1);
  r.init_field(at, "CXL_Multi-Logical_Device_Enabled", p.mld);
  return at;
}

uint16_t add_register_locator_dvsec(ConfigSpace& cs, std::span<const RegisterBlockEntry> entries) {
  for (const RegisterBlockEntry& e : entries) {
    if (e.bir > 5 || e.offset % KiB(64).value() != 0) {
      throw std::invalid_argument(
          fmt::format("Register Locator: block {} at BIR {} offset {:#x} "
                      "(BIR must be 0..5, offset 64 KiB aligned)",
                      static_cast<int>(e.id), e.bir, e.offset));
    }
  }
  const auto length =
      static_cast<uint16_t>(kRegisterLocatorHeader + kRegisterLocatorEntry * entries.size());
  const uint16_t at = add_dvsec(cs, "Register Locator", DvsecId::kRegisterLocator, 0,
                                std::span<const FieldDesc>{}, length);
  RegisterFile& r = cs.registers();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto base =
        static_cast<uint32_t>(at + kRegisterLocatorHeader + kRegisterLocatorEntry * i);
    r.add_structure(fmt::format("Register Locator: Register Block {}", i + 1), base, kRegisterBlock,
                    kRegisterLocatorEntry);
    r.init_field(base, "Register BIR", entries[i].bir);
    r.init_field(base, "Register Block Identifier", static_cast<uint8_t>(entries[i].id));
    r.init_field(base, "Register Block Offset Low", (entries[i].offset >> 16) & 0xFFFF);
    r.init_field(base, "Register Block Offset High", entries[i].offset >> 32);
  }
  return at;
}

std::vector<RegisterBlockEntry> read_register_locator(const ConfigSpace& cs) {
  std::vector<RegisterBlockEntry> out;
  auto at = cs.find_dvsec(kCxlDvsecVendorId, static_cast<uint16_t>(DvsecId::kRegisterLocator));
  if (!at) return out;
  const uint32_t length = cs.read32(static_cast<uint16_t>(*at + 4)) >> 20;
  for (uint32_t off = kRegisterLocatorHeader; off + kRegisterLocatorEntry <= length;
       off += kRegisterLocatorEntry) {
    const uint32_t lo = cs.read32(static_cast<uint16_t>(*at + off));
    const uint32_t hi = cs.read32(static_cast<uint16_t>(*at + off + 4));
    out.push_back({static_cast<uint8_t>(lo & 0x7), static_cast<RegisterBlockId>((lo >> 8) & 0xFF),
                   (uint64_t{hi} << 32) | (lo & 0xFFFF0000u)});
  }
  return out;
}

std::vector<uint16_t> cxl_dvsec_ids(const ConfigSpace& cs) {
  std::vector<uint16_t> ids;
  uint16_t p = ConfigSpace::kExtendedCapabilityStart;
  for (unsigned i = 0; p >= ConfigSpace::kExtendedCapabilityStart && i < 1024; ++i) {
    const uint32_t h = cs.read32(p);
    if (h == 0) break;
    if ((h & 0xFFFF) == ConfigSpace::kDvsecCapabilityId &&
        cs.read16(static_cast<uint16_t>(p + 4)) == kCxlDvsecVendorId) {
      ids.push_back(cs.read16(static_cast<uint16_t>(p + 8)));
    }
    p = static_cast<uint16_t>((h >> 20) & 0xFFC);
  }
  return ids;
}

std::string_view dvsec_name(uint16_t id) {
  switch (static_cast<DvsecId>(id)) {
    case DvsecId::kCxlDevice:
      return "PCIe DVSEC for CXL Devices";
    case DvsecId::kNonCxlFunctionMap:
      return "Non-CXL Function Map";
    case DvsecId::kPortExtensions:
      return "CXL Extensions DVSEC for Ports";
    case DvsecId::kGpfPort:
      return "GPF DVSEC for CXL Ports";
    case DvsecId::kGpfDevice:
      return "GPF DVSEC for CXL Devices";
    case DvsecId::kFlexBusPort:
      return "PCIe DVSEC for Flex Bus Port";
    case DvsecId::kRegisterLocator:
      return "Register Locator";
  }
  return "";
}

std::string_view port_type_name(PciePortType t) {
  switch (t) {
    case PciePortType::kEndpoint:
      return "endpoint";
    case PciePortType::kLegacyEndpoint:
      return "legacy-endpoint";
    case PciePortType::kRootPort:
      return "root-port";
    case PciePortType::kSwitchUpstream:
      return "switch-upstream-port";
    case PciePortType::kSwitchDownstream:
      return "switch-downstream-port";
    case PciePortType::kRcIntegratedEndpoint:
      return "rc-integrated-endpoint";
  }
  return "unknown";
}

nlohmann::json describe(const ConfigSpace& cs) {
  nlohmann::json j{{"header_type", cs.read8(0x0E) & 0x7F},
                   {"vendor_id", cs.read16(0x00)},
                   {"device_id", cs.read16(0x02)},
                   {"class_code", cs.read32(0x08) >> 8}};
  if (auto t = cs.port_type()) j["port_type"] = port_type_name(*t);
  if (auto n = cs.port_number()) j["port_number"] = *n;
  nlohmann::json bars = nlohmann::json::array();
  for (unsigned i = 0; i < 6; ++i) {
    if (auto a = cs.bar_address(i)) bars.push_back({{"index", i}, {"address", *a}});
  }
  j["bars"] = std::move(bars);
  nlohmann::json dvsecs = nlohmann::json::array();
  for (uint16_t id : cxl_dvsec_ids(cs)) {
    dvsecs.push_back(
        {{"id", id}, {"name", dvsec_name(id)}, {"offset", *cs.find_dvsec(kCxlDvsecVendorId, id)}});
  }
  j["dvsecs"] = std::move(dvsecs);
  nlohmann::json blocks = nlohmann::json::array();
  for (const RegisterBlockEntry& e : read_register_locator(cs)) {
    blocks.push_back({{"bir", e.bir}, {"id", static_cast<int>(e.id)}, {"offset", e.offset}});
  }
  j["register_blocks"] = std::move(blocks);
  return j;
}

namespace {

// Identity defaults per kind (the values QEMU 7.2 uses for its CXL devices, so guests see the
// same functions); any non-zero field of `given` wins.
PciIdentity with_defaults(const PciIdentity& given, PciIdentity d) {
  if (given.vendor_id) d.vendor_id = given.vendor_id;
  if (given.device_id) d.device_id = given.device_id;
  if (given.class_code) d.class_code = given.class_code;
  if (given.revision_id) d.revision_id = given.revision_id;
  if (given.subsystem_vendor_id) d.subsystem_vendor_id = given.subsystem_vendor_id;
  if (given.subsystem_id) d.subsystem_id = given.subsystem_id;
  return d;
}

// The builder's own entries plus the caller's; every entry must point into an implemented BAR.
std::vector<RegisterBlockEntry> with_extra(const ConfigSpace& cs,
                                           std::vector<RegisterBlockEntry> base,
                                           const std::vector<RegisterBlockEntry>& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  for (const RegisterBlockEntry& e : base) {
    if (!cs.bar_address(e.bir)) {
      throw std::invalid_argument(
          fmt::format("Register Locator: block {} points at BAR{}, which this "
                      "function does not implement",
                      static_cast<int>(e.id), e.bir));
    }
  }
  return base;
}

// Root ports and switch downstream ports carry the GPF port DVSEC; upstream ports do not.
ConfigSpace make_port(const PortConfigOptions& o, PciePortType type, PciIdentity defaults,
                      bool gpf) {
  ConfigSpace cs(HeaderType::kType1, with_defaults(o.identity, defaults));
  cs.add_bar({kComponentRegisterBar, kComponentBlockBarSize, true, false});
  cs.add_pcie_capability(type, o.link);
  add_port_extensions_dvsec(cs);
  if (gpf) add_gpf_port_dvsec(cs);
  add_flex_bus_port_dvsec(cs, {.cache = false, .io = true, .mem = true, .mld = false});
  const auto blocks =
      with_extra(cs, {{kComponentRegisterBar, RegisterBlockId::kComponent, 0}}, o.extra_blocks);
  add_register_locator_dvsec(cs, blocks);
  return cs;
}

ConfigSpace make_device(Bytes volatile_capacity, const DeviceConfigOptions& o, bool type2) {
  if (volatile_capacity.value() == 0 && o.persistent_capacity.value() == 0) {
    throw ValidationError("CXL device needs a non-zero volatile or persistent capacity");
  }
  std::vector<Bytes> ranges;
  if (volatile_capacity.value()) {
    check_range_size(volatile_capacity, "volatile capacity");
    ranges.push_back(volatile_capacity);
  }
  if (o.persistent_capacity.value()) {
    check_range_size(o.persistent_capacity, "persistent capacity");
    ranges.push_back(o.persistent_capacity);
  }
  const PciIdentity defaults = type2 ? PciIdentity{0x8086, 0x0D93, 0x120000, 0, 0x8086, 0}
                                     : PciIdentity{0x8086, 0x0D93, 0x050210, 0, 0x8086, 0};
  ConfigSpace cs(HeaderType::kType0, with_defaults(o.identity, defaults));
  const bool memdev_regs = o.memory_device_registers.value_or(!type2);
  cs.add_bar({kComponentRegisterBar, kComponentBlockBarSize, true, false});
  if (memdev_regs) cs.add_bar({kDeviceRegisterBar, o.memory_device_bar_size, true, false});
  cs.add_pcie_capability(PciePortType::kEndpoint, o.link);
  add_cxl_device_dvsec(cs, {.cache_capable = type2, .mem_capable = true, .ranges = ranges});
  std::vector<RegisterBlockEntry> blocks{{kComponentRegisterBar, RegisterBlockId::kComponent, 0}};
  if (memdev_regs) blocks.push_back({kDeviceRegisterBar, RegisterBlockId::kMemoryDevice, 0});
  add_register_locator_dvsec(cs, with_extra(cs, blocks, o.extra_blocks));
  add_gpf_device_dvsec(cs, o.gpf);
  add_flex_bus_port_dvsec(cs, {.cache = type2, .io = true, .mem = true, .mld = false});
  return cs;
}

}  // namespace

ConfigSpace make_root_port_config_space(const PortConfigOptions& o) {
  return make_port(o, PciePortType::kRootPort, {0x8086, 0x7075, 0x060400, 0, 0, 0}, true);
}

ConfigSpace make_switch_upstream_config_space(const PortConfigOptions& o) {
  return make_port(o, PciePortType::kSwitchUpstream, {0x19E5, 0xA128, 0x060400, 0, 0, 0}, false);
}

ConfigSpace make_switch_downstream_config_space(const PortConfigOptions& o) {
  return make_port(o, PciePortType::kSwitchDownstream, {0x19E5, 0xA129, 0x060400, 0, 0, 0}, true);
}

ConfigSpace make_type3_config_space(Bytes capacity, const DeviceConfigOptions& o) {
  return make_device(capacity, o, false);
}

ConfigSpace make_type2_config_space(Bytes capacity, const DeviceConfigOptions& o) {
  return make_device(capacity, o, true);
}

}  // namespace cxlsim
