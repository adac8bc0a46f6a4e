// FM-API payload layouts (CXL 3.2 §7.6.7), each declared once with the mailbox's field types
// (device/mbox_layout.h) and checked at compile time; the fabric manager and `cxlsim fm` both
// encode and decode through these names. Extents are the DC extent record of the memory-device
// command set (device/mbox_payloads.h DcExtent, Table 8-230 in r3.2).
#pragma once

#include "device/mbox_layout.h"
#include "device/mbox_payloads.h"

namespace cxlsim::fm::payload {

using device::ByteField;
using device::check_layout;
using device::LeField;

// Identify (0001h) output, §8.2.10.1.1 (the fabric manager answers as a switch).
struct Identify {
  static constexpr size_t kSize = 0x12;
  static constexpr LeField kVendorId{0x00, 2};
  static constexpr LeField kDeviceId{0x02, 2};
  static constexpr LeField kSubsystemVendorId{0x04, 2};
  static constexpr LeField kSubsystemId{0x06, 2};
  static constexpr LeField kSerialNumber{0x08, 8};
  static constexpr LeField kMaxMessageSize{0x10, 1};  // log2 of bytes
  static constexpr LeField kComponentType{0x11, 1};   // 00h switch
};
static_assert(check_layout(Identify::kSize, Identify::kVendorId, Identify::kDeviceId,
                           Identify::kSubsystemVendorId, Identify::kSubsystemId,
                           Identify::kSerialNumber, Identify::kMaxMessageSize,
                           Identify::kComponentType));

// Identify Switch Device (5100h) output, §7.6.7.1.1.
struct IdentifySwitchDevice {
  static constexpr size_t kSize = 0x49;
  static constexpr LeField kIngressPortId{0x00, 1};
  static constexpr LeField kNumPhysicalPorts{0x02, 1};
  static constexpr LeField kNumVcss{0x03, 1};
  static constexpr ByteField kActivePortBitmask{0x04, 0x20};
  static constexpr ByteField kActiveVcsBitmask{0x24, 0x20};
  static constexpr LeField kTotalVppbs{0x44, 2};
  static constexpr LeField kBoundVppbs{0x46, 2};
  static constexpr LeField kHdmDecodersPerUsp{0x48, 1};
};
static_assert(check_layout(IdentifySwitchDevice::kSize, IdentifySwitchDevice::kIngressPortId,
                           IdentifySwitchDevice::kNumPhysicalPorts, IdentifySwitchDevice::kNumVcss,
                           IdentifySwitchDevice::kActivePortBitmask,
                           IdentifySwitchDevice::kActiveVcsBitmask,
                           IdentifySwitchDevice::kTotalVppbs, IdentifySwitchDevice::kBoundVppbs,
                           IdentifySwitchDevice::kHdmDecodersPerUsp));

// Get Virtual CXL Switch Info (5200h) input, §7.6.7.2.1: VCS IDs follow at kVcsIds.
struct GetVcsInfoIn {
  static constexpr LeField kStartVppb{0x00, 1};
  static constexpr LeField kVppbListLimit{0x01, 1};
  static constexpr LeField kNumVcss{0x02, 1};
  static constexpr size_t kVcsIds = 0x03;
};
static_assert(check_layout(GetVcsInfoIn::kVcsIds, GetVcsInfoIn::kStartVppb,
                           GetVcsInfoIn::kVppbListLimit, GetVcsInfoIn::kNumVcss));
// Output: the count, then one VcsInfoBlock per VCS.
struct GetVcsInfoOut {
  static constexpr LeField kNumVcss{0x00, 1};
  static constexpr size_t kBlocks = 0x04;
};
static_assert(check_layout(GetVcsInfoOut::kBlocks, GetVcsInfoOut::kNumVcss));
// VCS Information Block: vPPB entries from the Start vPPB follow at kVppbs.
struct VcsInfoBlock {
  static constexpr LeField kVcsId{0x00, 1};
  static constexpr LeField kState{0x01, 1};  // 0 disabled, 1 enabled, FFh invalid VCS ID
  static constexpr LeField kUspId{0x02, 1};
  static constexpr LeField kNumVppbs{0x03, 1};  // entries that follow
  static constexpr size_t kVppbs = 0x04;
};
static_assert(check_layout(VcsInfoBlock::kVppbs, VcsInfoBlock::kVcsId, VcsInfoBlock::kState,
                           VcsInfoBlock::kUspId, VcsInfoBlock::kNumVppbs));
struct VppbStatus {
  static constexpr size_t kSize = 0x04;
  // 0 unbound, 1 bind or unbind in progress, 2 bound to a physical port, 3 bound to an LD
  static constexpr LeField kBindingStatus{0x00, 1};
  static constexpr LeField kBoundPortId{0x01, 1};
  static constexpr LeField kBoundLdId{0x02, 1};  // FFh unless bound to an LD
};
static_assert(check_layout(VppbStatus::kSize, VppbStatus::kBindingStatus, VppbStatus::kBoundPortId,
                           VppbStatus::kBoundLdId));
inline constexpr uint8_t kVcsEnabled = 1;
inline constexpr uint8_t kVcsInvalid = 0xff;
inline constexpr uint8_t kVppbUnbound = 0;
inline constexpr uint8_t kVppbBoundLd = 3;

// Bind vPPB (5201h) input, §7.6.7.2.2: LD ID FFFFh binds a single-logical device.
struct BindVppb {
  static constexpr size_t kSize = 0x06;
  static constexpr LeField kVcsId{0x00, 1};
  static constexpr LeField kVppbId{0x01, 1};
  static constexpr LeField kPhysicalPortId{0x02, 1};
  static constexpr LeField kLdId{0x04, 2};
};
static_assert(check_layout(BindVppb::kSize, BindVppb::kVcsId, BindVppb::kVppbId,
                           BindVppb::kPhysicalPortId, BindVppb::kLdId));

// Unbind vPPB (5202h) input, §7.6.7.2.3.
struct UnbindVppb {
  static constexpr size_t kSize = 0x03;
  static constexpr LeField kVcsId{0x00, 1};
  static constexpr LeField kVppbId{0x01, 1};
  // Bits 3:0: 0 wait for the port's link down, 1 managed hot-remove, 2 surprise hot-remove.
  static constexpr LeField kOption{0x02, 1};
};
static_assert(check_layout(UnbindVppb::kSize, UnbindVppb::kVcsId, UnbindVppb::kVppbId,
                           UnbindVppb::kOption));
inline constexpr uint8_t kUnbindSurprise = 2;  // cxlsim: also what --force sends

// Tunnel Management Command (5300h), §7.6.7.3.1: a CCI message for the device at a physical port.
struct TunnelIn {
  static constexpr LeField kPortOrLdId{0x00, 1};
  static constexpr LeField kTargetType{0x01, 1};  // 0: the port's FM-owned LD
  static constexpr LeField kCommandSize{0x02, 2};
  static constexpr size_t kMessage = 0x04;
};
static_assert(check_layout(TunnelIn::kMessage, TunnelIn::kPortOrLdId, TunnelIn::kTargetType,
                           TunnelIn::kCommandSize));
struct TunnelOut {
  static constexpr LeField kResponseLength{0x00, 2};
  static constexpr size_t kMessage = 0x04;
};
static_assert(check_layout(TunnelOut::kMessage, TunnelOut::kResponseLength));

// Get LD Info (5400h) output, §7.6.7.4.1.
struct GetLdInfo {
  static constexpr size_t kSize = 0x0b;
  static constexpr LeField kMemorySize{0x00, 8};
  static constexpr LeField kLdCount{0x08, 2};
  static constexpr LeField kQosTelemetryCapability{0x0a, 1};
};
static_assert(check_layout(GetLdInfo::kSize, GetLdInfo::kMemorySize, GetLdInfo::kLdCount,
                           GetLdInfo::kQosTelemetryCapability));

// Get LD Allocations (5401h), §7.6.7.4.2.
struct GetLdAllocationsIn {
  static constexpr size_t kSize = 0x02;
  static constexpr LeField kStartLdId{0x00, 1};
  static constexpr LeField kListLimit{0x01, 1};
};
static_assert(check_layout(GetLdAllocationsIn::kSize, GetLdAllocationsIn::kStartLdId,
                           GetLdAllocationsIn::kListLimit));
struct GetLdAllocationsOut {
  static constexpr LeField kNumLds{0x00, 1};
  static constexpr LeField kMemoryGranularity{0x01, 1};  // 0: 256 MiB, 1: 512 MiB, 2: 1 GiB
  static constexpr LeField kStartLdId{0x02, 1};
  static constexpr LeField kListLength{0x03, 1};
  static constexpr size_t kList = 0x04;
};
static_assert(check_layout(GetLdAllocationsOut::kList, GetLdAllocationsOut::kNumLds,
                           GetLdAllocationsOut::kMemoryGranularity, GetLdAllocationsOut::kStartLdId,
                           GetLdAllocationsOut::kListLength));
// LD Allocations List entry: multipliers of the memory granularity.
struct LdAllocation {
  static constexpr size_t kSize = 0x10;
  static constexpr LeField kRange1{0x00, 8};
  static constexpr LeField kRange2{0x08, 8};
};
static_assert(check_layout(LdAllocation::kSize, LdAllocation::kRange1, LdAllocation::kRange2));
// Set LD Allocations (5402h) input and output, §7.6.7.4.3.
struct SetLdAllocations {
  static constexpr LeField kNumLds{0x00, 1};
  static constexpr LeField kStartLdId{0x01, 1};
  static constexpr size_t kList = 0x04;
};
static_assert(check_layout(SetLdAllocations::kList, SetLdAllocations::kNumLds,
                           SetLdAllocations::kStartLdId));
inline constexpr uint64_t kLdGranularity = 256ull << 20;  // granularity code 0

// Get DCD Info (5600h) output, §7.6.7.6.1 Table 7-65.
struct GetDcdInfo {
  static constexpr size_t kSize = 0x54;
  static constexpr LeField kNumHosts{0x00, 1};
  static constexpr LeField kNumRegions{0x01, 1};
  static constexpr LeField kAddPolicies{0x04, 2};      // bit 0 free, 1 contiguous, 2 prescriptive
  static constexpr LeField kReleasePolicies{0x08, 2};  // bit 0 tag-based, 1 prescriptive
  static constexpr LeField kSanitizeMask{0x0a, 1};
  static constexpr LeField kTotalCapacity{0x0c, 8};  // multiples of 256 MiB
  static constexpr size_t kBlockSizeMasks = 0x14;    // 8 bytes per region, 8 regions
};
static_assert(check_layout(GetDcdInfo::kBlockSizeMasks, GetDcdInfo::kNumHosts,
                           GetDcdInfo::kNumRegions, GetDcdInfo::kAddPolicies,
                           GetDcdInfo::kReleasePolicies, GetDcdInfo::kSanitizeMask,
                           GetDcdInfo::kTotalCapacity));

// Get Host DC Region Configuration (5601h), §7.6.7.6.2 Tables 7-66 to 7-68.
struct GetHostDcRegionConfigIn {
  static constexpr size_t kSize = 0x04;
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kRegionCount{0x02, 1};
  static constexpr LeField kStartRegion{0x03, 1};
};
static_assert(check_layout(GetHostDcRegionConfigIn::kSize, GetHostDcRegionConfigIn::kHostId,
                           GetHostDcRegionConfigIn::kRegionCount,
                           GetHostDcRegionConfigIn::kStartRegion));
struct GetHostDcRegionConfigOut {
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kAvailableRegions{0x02, 1};
  static constexpr LeField kRegionsReturned{0x03, 1};
  static constexpr size_t kRegions = 0x04;
  // After the regions: four counts of 4 bytes (supported/available extents, supported/available
  // tags).
  static constexpr size_t kTrailerSize = 0x10;
};
static_assert(check_layout(GetHostDcRegionConfigOut::kRegions, GetHostDcRegionConfigOut::kHostId,
                           GetHostDcRegionConfigOut::kAvailableRegions,
                           GetHostDcRegionConfigOut::kRegionsReturned));
struct DcRegionConfig {
  static constexpr size_t kSize = 0x28;
  static constexpr LeField kBase{0x00, 8};
  static constexpr LeField kDecodeLength{0x08, 8};
  static constexpr LeField kLength{0x10, 8};
  static constexpr LeField kBlockSize{0x18, 8};
  static constexpr LeField kAttributes1{0x20, 1};  // bit 3 sharable
  static constexpr LeField kAttributes2{0x24, 1};  // bit 0 sanitize on release
};
static_assert(check_layout(DcRegionConfig::kSize, DcRegionConfig::kBase,
                           DcRegionConfig::kDecodeLength, DcRegionConfig::kLength,
                           DcRegionConfig::kBlockSize, DcRegionConfig::kAttributes1,
                           DcRegionConfig::kAttributes2));
inline constexpr uint8_t kRegionSharable = 1u << 3;

// Get DC Region Extent Lists (5603h), §7.6.7.6.4 Tables 7-70 and 7-71.
struct GetDcExtentListsIn {
  static constexpr size_t kSize = 0x0c;
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kExtentCount{0x04, 4};
  static constexpr LeField kStartIndex{0x08, 4};
};
static_assert(check_layout(GetDcExtentListsIn::kSize, GetDcExtentListsIn::kHostId,
                           GetDcExtentListsIn::kExtentCount, GetDcExtentListsIn::kStartIndex));
struct GetDcExtentListsOut {
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kStartIndex{0x04, 4};
  static constexpr LeField kReturned{0x08, 4};
  static constexpr LeField kTotal{0x0c, 4};
  static constexpr LeField kGeneration{0x10, 4};
  static constexpr size_t kExtents = 0x18;
};
static_assert(check_layout(GetDcExtentListsOut::kExtents, GetDcExtentListsOut::kHostId,
                           GetDcExtentListsOut::kStartIndex, GetDcExtentListsOut::kReturned,
                           GetDcExtentListsOut::kTotal, GetDcExtentListsOut::kGeneration));

// Initiate Dynamic Capacity Add (5604h) input, §7.6.7.6.5 Table 7-72.
struct InitiateDcAdd {
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kSelectionPolicy{0x02, 1};  // bits 3:0
  static constexpr LeField kRegionNumber{0x03, 1};
  static constexpr LeField kLength{0x04, 8};
  static constexpr ByteField kTag{0x0c, 0x10};
  static constexpr LeField kExtentCount{0x1c, 4};
  static constexpr size_t kExtents = 0x20;
};
static_assert(check_layout(InitiateDcAdd::kExtents, InitiateDcAdd::kHostId,
                           InitiateDcAdd::kSelectionPolicy, InitiateDcAdd::kRegionNumber,
                           InitiateDcAdd::kLength, InitiateDcAdd::kTag,
                           InitiateDcAdd::kExtentCount));
inline constexpr uint8_t kPolicyFree = 0;
inline constexpr uint8_t kPolicyContiguous = 1;
inline constexpr uint8_t kPolicyPrescriptive = 2;
inline constexpr uint8_t kPolicyEnableSharedAccess = 3;

// Initiate Dynamic Capacity Release (5605h) input, §7.6.7.6.6 Table 7-73.
struct InitiateDcRelease {
  static constexpr LeField kHostId{0x00, 2};
  static constexpr LeField kFlags{0x02, 1};  // bits 3:0 removal policy; bit 4 forced removal
  static constexpr LeField kLength{0x04, 8};
  static constexpr ByteField kTag{0x0c, 0x10};
  static constexpr LeField kExtentCount{0x1c, 4};
  static constexpr size_t kExtents = 0x20;
};
static_assert(check_layout(InitiateDcRelease::kExtents, InitiateDcRelease::kHostId,
                           InitiateDcRelease::kFlags, InitiateDcRelease::kLength,
                           InitiateDcRelease::kTag, InitiateDcRelease::kExtentCount));
inline constexpr uint8_t kRemovalTagBased = 0;
inline constexpr uint8_t kRemovalPrescriptive = 1;

}  // namespace cxlsim::fm::payload
