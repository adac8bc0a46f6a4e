// Mailbox payload layouts of the memory-device command set (CXL 3.1 §8.2.9.9), each declared
// once: the device's handlers (mbox_*.cc) encode outputs and decode inputs with these fields,
// and `cxlsim mbox` (cli/cmd_mbox.cc) builds inputs and decodes outputs with the same ones.
// Tables are named as the handlers cite them; every layout is checked at compile time
// (check_layout).
#pragma once

#include <cstddef>

#include "device/mbox_layout.h"

namespace cxlsim::device::payload {

// Identify (0001h) output, Table 8-37.
struct GenericIdentify {
  static constexpr LeField kVendorId{0x00, 2};
  static constexpr LeField kDeviceId{0x02, 2};
  static constexpr LeField kSubsystemVendorId{0x04, 2};
  static constexpr LeField kSubsystemId{0x06, 2};
  static constexpr LeField kSerial{0x08, 8};
  static constexpr LeField kMaxPayloadLog2{0x10, 1};
  static constexpr LeField kComponentType{0x11, 1};  // 03h: Type 3 device
  static constexpr size_t kSize = 0x12;
};
static_assert(check_layout(GenericIdentify::kSize, GenericIdentify::kVendorId,
                           GenericIdentify::kDeviceId, GenericIdentify::kSubsystemVendorId,
                           GenericIdentify::kSubsystemId, GenericIdentify::kSerial,
                           GenericIdentify::kMaxPayloadLog2, GenericIdentify::kComponentType));

// Background Operation Status (0002h) output, Table 8-38.
struct BackgroundStatus {
  static constexpr LeField kStatus{0x00, 1};  // bit 0 running, bits 7:1 percent complete
  static constexpr LeField kOpcode{0x02, 2};
  static constexpr LeField kReturnCode{0x04, 2};
  static constexpr LeField kVendorStatus{0x06, 2};
  static constexpr size_t kSize = 0x08;
};
static_assert(check_layout(BackgroundStatus::kSize, BackgroundStatus::kStatus,
                           BackgroundStatus::kOpcode, BackgroundStatus::kReturnCode,
                           BackgroundStatus::kVendorStatus));

// Get FW Info (0200h) output, Table 8-57: slots, slot info (active 2:0, staged 5:3),
// activation capabilities, then four 16-byte revision strings.
struct FwInfo {
  static constexpr LeField kSlotsSupported{0x00, 1};
  static constexpr LeField kSlotInfo{0x01, 1};
  static constexpr LeField kActivationCaps{0x02, 1};
  static constexpr ByteField kSlot1Revision{0x10, 0x10};
  static constexpr size_t kSize = 0x50;
};
static_assert(check_layout(FwInfo::kSize, FwInfo::kSlotsSupported, FwInfo::kSlotInfo,
                           FwInfo::kActivationCaps, FwInfo::kSlot1Revision));

// Get Supported Logs (0400h) output, Table 8-59: the count, then {UUID, size} entries.
struct SupportedLogs {
  static constexpr LeField kCount{0x00, 2};
  static constexpr size_t kEntries = 0x08;
};
static_assert(check_layout(SupportedLogs::kEntries, SupportedLogs::kCount));
struct SupportedLogEntry {
  static constexpr ByteField kUuid{0x00, 0x10};
  static constexpr LeField kSize{0x10, 4};
  static constexpr size_t kEntrySize = 0x14;
};
static_assert(check_layout(SupportedLogEntry::kEntrySize, SupportedLogEntry::kUuid,
                           SupportedLogEntry::kSize));
// Get Log (0401h) input, Table 8-60.
struct GetLog {
  static constexpr ByteField kUuid{0x00, 0x10};
  static constexpr LeField kOffset{0x10, 4};
  static constexpr LeField kLength{0x14, 4};
  static constexpr size_t kSize = 0x18;
};
static_assert(check_layout(GetLog::kSize, GetLog::kUuid, GetLog::kOffset, GetLog::kLength));
// Command Effects Log entry (§8.2.9.5.2.1).
struct CelEntry {
  static constexpr LeField kOpcode{0x00, 2};
  static constexpr LeField kEffects{0x02, 2};
  static constexpr size_t kSize = 0x04;
};
static_assert(check_layout(CelEntry::kSize, CelEntry::kOpcode, CelEntry::kEffects));

// Get Event Records (0100h) input (the log) and output, Table 8-52: header, then records.
struct GetEventRecords {
  static constexpr LeField kLog{0x00, 1};
  static constexpr size_t kSize = 0x01;
};
static_assert(check_layout(GetEventRecords::kSize, GetEventRecords::kLog));
struct EventRecords {
  static constexpr LeField kFlags{0x00, 1};  // bit 0 overflow, bit 1 more records
  static constexpr LeField kOverflowCount{0x02, 2};
  static constexpr LeField kFirstOverflow{0x04, 8};
  static constexpr LeField kLastOverflow{0x0c, 8};
  static constexpr LeField kRecordCount{0x14, 2};
  static constexpr size_t kRecords = 0x20;
};
static_assert(check_layout(EventRecords::kRecords, EventRecords::kFlags,
                           EventRecords::kOverflowCount, EventRecords::kFirstOverflow,
                           EventRecords::kLastOverflow, EventRecords::kRecordCount));

// Clear Event Records (0101h) input, Table 8-53: then Number of Handles handles of 2 bytes.
struct ClearEventRecords {
  static constexpr LeField kLog{0x00, 1};
  static constexpr LeField kFlags{0x01, 1};  // bit 0: clear all
  static constexpr LeField kHandleCount{0x02, 1};
  static constexpr size_t kHandles = 0x06;
  static constexpr size_t kHandleSize = 2;
};
static_assert(check_layout(ClearEventRecords::kHandles, ClearEventRecords::kLog,
                           ClearEventRecords::kFlags, ClearEventRecords::kHandleCount));

// Common Event Record (§8.2.9.2.1), 128 bytes; the record-specific part starts at 0x30.
struct EventRecord {
  static constexpr ByteField kUuid{0x00, 0x10};
  static constexpr LeField kLength{0x10, 1};
  static constexpr LeField kFlags{0x11, 3};  // bits 1:0 severity
  static constexpr LeField kHandle{0x14, 2};
  static constexpr LeField kRelatedHandle{0x16, 2};
  static constexpr LeField kTimestamp{0x18, 8};
  static constexpr size_t kSpecific = 0x30;
  static constexpr size_t kSize = 0x80;
};
static_assert(check_layout(EventRecord::kSpecific, EventRecord::kUuid, EventRecord::kLength,
                           EventRecord::kFlags, EventRecord::kHandle, EventRecord::kRelatedHandle,
                           EventRecord::kTimestamp));
// General Media Event Record (§8.2.9.2.1.1).
struct GeneralMediaEvent {
  static constexpr LeField kDpa{0x30, 8};  // bit 0 volatile
  static constexpr LeField kDescriptor{0x38, 1};
  static constexpr LeField kType{0x39, 1};
  static constexpr LeField kTransactionType{0x3a, 1};
};
static_assert(check_layout(EventRecord::kSize, GeneralMediaEvent::kDpa,
                           GeneralMediaEvent::kDescriptor, GeneralMediaEvent::kType,
                           GeneralMediaEvent::kTransactionType));
// Memory Module Event Record (§8.2.9.2.1.3): the event type, then a Get Health Info payload.
struct MemoryModuleEvent {
  static constexpr LeField kType{0x30, 1};
  static constexpr ByteField kHealthInfo{0x31, 0x12};
};
static_assert(check_layout(EventRecord::kSize, MemoryModuleEvent::kType,
                           MemoryModuleEvent::kHealthInfo));
// Dynamic Capacity Event Record (§8.2.9.2.1.6): type, region, flags, one extent, totals.
struct DcEvent {
  static constexpr LeField kType{0x30, 1};
  static constexpr LeField kRegionIndex{0x34, 1};
  static constexpr LeField kFlags{0x35, 1};  // bit 0: more
  static constexpr LeField kExtentDpa{0x38, 8};
  static constexpr LeField kExtentLength{0x40, 8};
  static constexpr ByteField kExtentTag{0x48, 0x10};
  static constexpr LeField kAvailableExtents{0x78, 4};
  static constexpr LeField kAvailableTags{0x7c, 4};
};
static_assert(check_layout(EventRecord::kSize, DcEvent::kType, DcEvent::kRegionIndex,
                           DcEvent::kFlags, DcEvent::kExtentDpa, DcEvent::kExtentLength,
                           DcEvent::kExtentTag, DcEvent::kAvailableExtents,
                           DcEvent::kAvailableTags));

// Identify Memory Device (4000h) output, Table 8-127. Capacities in 256 MiB units.
struct Identify {
  static constexpr ByteField kFwRevision{0x00, 0x10};
  static constexpr LeField kTotalCapacity{0x10, 8};
  static constexpr LeField kVolatileOnly{0x18, 8};
  static constexpr LeField kPersistentOnly{0x20, 8};
  static constexpr LeField kPartitionAlignment{0x28, 8};
  static constexpr LeField kInfoEventLogSize{0x30, 2};
  static constexpr LeField kWarningEventLogSize{0x32, 2};
  static constexpr LeField kFailureEventLogSize{0x34, 2};
  static constexpr LeField kFatalEventLogSize{0x36, 2};
  static constexpr LeField kLsaSize{0x38, 4};
  static constexpr LeField kPoisonListMaxRecords{0x3c, 3};
  static constexpr LeField kInjectPoisonLimit{0x3f, 2};
  static constexpr LeField kPoisonHandling{0x41, 1};
  static constexpr LeField kQosTelemetry{0x42, 1};
  static constexpr LeField kDcEventLogSize{0x43, 2};
  static constexpr size_t kSize = 0x45;
};
static_assert(check_layout(
    Identify::kSize, Identify::kFwRevision, Identify::kTotalCapacity, Identify::kVolatileOnly,
    Identify::kPersistentOnly, Identify::kPartitionAlignment, Identify::kInfoEventLogSize,
    Identify::kWarningEventLogSize, Identify::kFailureEventLogSize, Identify::kFatalEventLogSize,
    Identify::kLsaSize, Identify::kPoisonListMaxRecords, Identify::kInjectPoisonLimit,
    Identify::kPoisonHandling, Identify::kQosTelemetry, Identify::kDcEventLogSize));

// Get Partition Info (4100h) output, Table 8-131. 256 MiB units; next values 0 when no
// change is pending.
struct PartitionInfo {
  static constexpr LeField kActiveVolatile{0x00, 8};
  static constexpr LeField kActivePersistent{0x08, 8};
  static constexpr LeField kNextVolatile{0x10, 8};
  static constexpr LeField kNextPersistent{0x18, 8};
  static constexpr size_t kSize = 0x20;
};
static_assert(check_layout(PartitionInfo::kSize, PartitionInfo::kActiveVolatile,
                           PartitionInfo::kActivePersistent, PartitionInfo::kNextVolatile,
                           PartitionInfo::kNextPersistent));

// Set Partition Info (4101h) input, Table 8-132. Flags bit 0: Immediate.
struct SetPartitionInfo {
  static constexpr LeField kVolatileCapacity{0x00, 8};
  static constexpr LeField kFlags{0x08, 1};
  static constexpr size_t kSize = 0x0a;
};
static_assert(check_layout(SetPartitionInfo::kSize, SetPartitionInfo::kVolatileCapacity,
                           SetPartitionInfo::kFlags));

// Get LSA (4102h) input, Table 8-133; Set LSA (4103h) input, Table 8-134 (data follows).
struct GetLsa {
  static constexpr LeField kOffset{0x00, 4};
  static constexpr LeField kLength{0x04, 4};
  static constexpr size_t kSize = 0x08;
};
static_assert(check_layout(GetLsa::kSize, GetLsa::kOffset, GetLsa::kLength));
struct SetLsa {
  static constexpr LeField kOffset{0x00, 4};
  static constexpr size_t kDataOffset = 0x08;  // after 4 reserved bytes
};
static_assert(check_layout(SetLsa::kDataOffset, SetLsa::kOffset));

// Get Health Info (4200h) output, Table 8-128; Memory Module Event records carry it too.
struct HealthInfo {
  static constexpr LeField kHealthStatus{0x00, 1};
  static constexpr LeField kMediaStatus{0x01, 1};
  static constexpr LeField kAdditionalStatus{0x02, 1};
  static constexpr LeField kLifeUsed{0x03, 1};
  static constexpr LeField kTemperature{0x04, 2};  // signed, degrees Celsius
  static constexpr LeField kDirtyShutdownCount{0x06, 4};
  static constexpr LeField kCorrectedVolatileErrors{0x0a, 4};
  static constexpr LeField kCorrectedPersistentErrors{0x0e, 4};
  static constexpr size_t kSize = 0x12;
};
static_assert(check_layout(HealthInfo::kSize, HealthInfo::kHealthStatus, HealthInfo::kMediaStatus,
                           HealthInfo::kAdditionalStatus, HealthInfo::kLifeUsed,
                           HealthInfo::kTemperature, HealthInfo::kDirtyShutdownCount,
                           HealthInfo::kCorrectedVolatileErrors,
                           HealthInfo::kCorrectedPersistentErrors));

// Get Alert Configuration (4201h) output, Table 8-130. Temperatures signed.
struct AlertConfig {
  static constexpr LeField kValidAlerts{0x00, 1};
  static constexpr LeField kProgrammableAlerts{0x01, 1};
  static constexpr LeField kLifeUsedCritical{0x02, 1};
  static constexpr LeField kLifeUsedWarning{0x03, 1};
  static constexpr LeField kOverTempCritical{0x04, 2};
  static constexpr LeField kUnderTempCritical{0x06, 2};
  static constexpr LeField kOverTempWarning{0x08, 2};
  static constexpr LeField kUnderTempWarning{0x0a, 2};
  static constexpr LeField kCorrectedVolatileWarning{0x0c, 2};
  static constexpr LeField kCorrectedPersistentWarning{0x0e, 2};
  static constexpr size_t kSize = 0x10;
};
static_assert(check_layout(AlertConfig::kSize, AlertConfig::kValidAlerts,
                           AlertConfig::kProgrammableAlerts, AlertConfig::kLifeUsedCritical,
                           AlertConfig::kLifeUsedWarning, AlertConfig::kOverTempCritical,
                           AlertConfig::kUnderTempCritical, AlertConfig::kOverTempWarning,
                           AlertConfig::kUnderTempWarning, AlertConfig::kCorrectedVolatileWarning,
                           AlertConfig::kCorrectedPersistentWarning));

// Set Alert Configuration (4202h) input, Table 8-131. Bits of the two masks: 0 life used,
// 1 over-temperature, 2 under-temperature, 3 corrected volatile, 4 corrected persistent.
struct SetAlertConfig {
  static constexpr LeField kValidAlertActions{0x00, 1};
  static constexpr LeField kEnableAlertActions{0x01, 1};
  static constexpr LeField kLifeUsedWarning{0x02, 1};
  static constexpr LeField kOverTempWarning{0x04, 2};
  static constexpr LeField kUnderTempWarning{0x06, 2};
  static constexpr LeField kCorrectedVolatileWarning{0x08, 2};
  static constexpr LeField kCorrectedPersistentWarning{0x0a, 2};
  static constexpr size_t kSize = 0x0c;
};
static_assert(check_layout(SetAlertConfig::kSize, SetAlertConfig::kValidAlertActions,
                           SetAlertConfig::kEnableAlertActions, SetAlertConfig::kLifeUsedWarning,
                           SetAlertConfig::kOverTempWarning, SetAlertConfig::kUnderTempWarning,
                           SetAlertConfig::kCorrectedVolatileWarning,
                           SetAlertConfig::kCorrectedPersistentWarning));

// A DPA range in 64-byte units: Get Poison List (4300h) input, Table 8-135; Get Scan Media
// Capabilities (4303h) input, Table 8-139; the head of Scan Media (4304h) input, Table 8-141.
struct DpaRange {
  static constexpr LeField kDpa{0x00, 8};  // bits 5:0 reserved
  static constexpr LeField kLength{0x08, 8};
  static constexpr size_t kSize = 0x10;
};
static_assert(check_layout(DpaRange::kSize, DpaRange::kDpa, DpaRange::kLength));
struct ScanMedia {
  static constexpr LeField kFlags{0x10, 1};  // bit 0: no event log
  static constexpr size_t kSize = 0x11;
};
static_assert(check_layout(ScanMedia::kSize, DpaRange::kDpa, DpaRange::kLength, ScanMedia::kFlags));

// Media Error Record, Table 8-137: DPA with the poison source in bits 2:0, length in 64 B units.
struct MediaErrorRecord {
  static constexpr LeField kDpaAndSource{0x00, 8};
  static constexpr LeField kLength{0x08, 4};
  static constexpr size_t kSize = 0x10;
};
static_assert(check_layout(MediaErrorRecord::kSize, MediaErrorRecord::kDpaAndSource,
                           MediaErrorRecord::kLength));

// Get Poison List (4300h) output, Table 8-136: header, then Media Error Records.
struct PoisonList {
  static constexpr LeField kFlags{0x00, 1};  // 0 more, 1 overflow, 2 scan in progress
  static constexpr LeField kOverflowTimestamp{0x02, 8};
  static constexpr LeField kRecordCount{0x0a, 2};
  static constexpr size_t kRecords = 0x20;
};
static_assert(check_layout(PoisonList::kRecords, PoisonList::kFlags, PoisonList::kOverflowTimestamp,
                           PoisonList::kRecordCount));

// Inject Poison (4301h) input, Table 8-137; Clear Poison (4302h) input, Table 8-138.
struct InjectPoison {
  static constexpr LeField kDpa{0x00, 8};
  static constexpr size_t kSize = 0x08;
};
static_assert(check_layout(InjectPoison::kSize, InjectPoison::kDpa));
struct ClearPoison {
  static constexpr LeField kDpa{0x00, 8};
  static constexpr ByteField kWriteData{0x08, 0x40};
  static constexpr size_t kSize = 0x48;
};
static_assert(check_layout(ClearPoison::kSize, ClearPoison::kDpa, ClearPoison::kWriteData));

// Get Scan Media Capabilities (4303h) output, Table 8-140.
struct ScanMediaCapabilities {
  static constexpr LeField kEstimatedMs{0x00, 4};
  static constexpr size_t kSize = 0x04;
};
static_assert(check_layout(ScanMediaCapabilities::kSize, ScanMediaCapabilities::kEstimatedMs));

// Get Scan Media Results (4305h) output, Table 8-142: header, then Media Error Records.
struct ScanMediaResults {
  static constexpr LeField kRestartDpa{0x00, 8};
  static constexpr LeField kRestartLength{0x08, 8};
  static constexpr LeField kFlags{0x10, 1};  // 0 more, 2 stopped prematurely
  static constexpr LeField kRecordCount{0x12, 2};
  static constexpr size_t kRecords = 0x20;
};
static_assert(check_layout(ScanMediaResults::kRecords, ScanMediaResults::kRestartDpa,
                           ScanMediaResults::kRestartLength, ScanMediaResults::kFlags,
                           ScanMediaResults::kRecordCount));

// Get Dynamic Capacity Configuration (4800h) input, Table 8-164.
struct GetDcConfig {
  static constexpr LeField kRegionCount{0x00, 1};
  static constexpr LeField kStartRegion{0x01, 1};
  static constexpr size_t kSize = 0x02;
};
static_assert(check_layout(GetDcConfig::kSize, GetDcConfig::kRegionCount,
                           GetDcConfig::kStartRegion));

// Its output, Table 8-165: header, region configurations, then the extent/tag totals.
struct DcConfig {
  static constexpr LeField kAvailableRegions{0x00, 1};
  static constexpr LeField kRegionsReturned{0x01, 1};
  static constexpr size_t kRegions = 0x08;
};
static_assert(check_layout(DcConfig::kRegions, DcConfig::kAvailableRegions,
                           DcConfig::kRegionsReturned));
struct DcRegionConfig {
  static constexpr LeField kBase{0x00, 8};
  static constexpr LeField kDecodeLength{0x08, 8};  // 256 MiB units
  static constexpr LeField kLength{0x10, 8};
  static constexpr LeField kBlockSize{0x18, 8};
  static constexpr LeField kDsmadHandle{0x20, 4};
  static constexpr LeField kFlags{0x24, 4};  // bit 3: sanitize on release
  static constexpr size_t kSize = 0x28;
};
static_assert(check_layout(DcRegionConfig::kSize, DcRegionConfig::kBase,
                           DcRegionConfig::kDecodeLength, DcRegionConfig::kLength,
                           DcRegionConfig::kBlockSize, DcRegionConfig::kDsmadHandle,
                           DcRegionConfig::kFlags));
struct DcConfigTotals {
  static constexpr LeField kExtentsSupported{0x00, 4};
  static constexpr LeField kExtentsAvailable{0x04, 4};
  static constexpr LeField kTagsSupported{0x08, 4};
  static constexpr LeField kTagsAvailable{0x0c, 4};
  static constexpr size_t kSize = 0x10;
};
static_assert(check_layout(DcConfigTotals::kSize, DcConfigTotals::kExtentsSupported,
                           DcConfigTotals::kExtentsAvailable, DcConfigTotals::kTagsSupported,
                           DcConfigTotals::kTagsAvailable));

// Get Dynamic Capacity Extent List (4801h) input, Table 8-166, and output, Table 8-167.
struct GetDcExtentList {
  static constexpr LeField kExtentCount{0x00, 4};
  static constexpr LeField kStartIndex{0x04, 4};
  static constexpr size_t kSize = 0x08;
};
static_assert(check_layout(GetDcExtentList::kSize, GetDcExtentList::kExtentCount,
                           GetDcExtentList::kStartIndex));
struct DcExtentList {
  static constexpr LeField kReturned{0x00, 4};
  static constexpr LeField kTotal{0x04, 4};
  static constexpr LeField kGeneration{0x08, 4};
  static constexpr size_t kExtents = 0x10;
};
static_assert(check_layout(DcExtentList::kExtents, DcExtentList::kReturned, DcExtentList::kTotal,
                           DcExtentList::kGeneration));
// Dynamic Capacity Extent, Table 8-51.
struct DcExtent {
  static constexpr LeField kDpa{0x00, 8};
  static constexpr LeField kLength{0x08, 8};
  static constexpr ByteField kTag{0x10, 0x10};
  static constexpr LeField kSharedSequence{0x20, 2};
  static constexpr size_t kSize = 0x28;
};
static_assert(check_layout(DcExtent::kSize, DcExtent::kDpa, DcExtent::kLength, DcExtent::kTag,
                           DcExtent::kSharedSequence));

// Add Dynamic Capacity Response (4802h) and Release Dynamic Capacity (4803h) input,
// Table 8-168: the count, flags, then Updated Extents.
struct UpdatedExtentList {
  static constexpr LeField kCount{0x00, 4};
  static constexpr LeField kFlags{0x04, 1};
  static constexpr size_t kExtents = 0x08;
};
static_assert(check_layout(UpdatedExtentList::kExtents, UpdatedExtentList::kCount,
                           UpdatedExtentList::kFlags));
struct UpdatedExtent {
  static constexpr LeField kDpa{0x00, 8};
  static constexpr LeField kLength{0x08, 8};
  static constexpr size_t kSize = 0x18;
};
static_assert(check_layout(UpdatedExtent::kSize, UpdatedExtent::kDpa, UpdatedExtent::kLength));

// Get Shutdown State (4203h) output and Set Shutdown State (4204h) input: bit 0 dirty.
struct ShutdownState {
  static constexpr LeField kState{0x00, 1};
  static constexpr size_t kSize = 0x01;
};
static_assert(check_layout(ShutdownState::kSize, ShutdownState::kState));

// Get Timestamp (0300h) output and Set Timestamp (0301h) input: nanoseconds.
struct Timestamp {
  static constexpr LeField kNs{0x00, 8};
  static constexpr size_t kSize = 0x08;
};
static_assert(check_layout(Timestamp::kSize, Timestamp::kNs));

// Get Security State (4500h) output, Table 8-144.
struct SecurityState {
  static constexpr LeField kState{0x00, 4};
  static constexpr size_t kSize = 0x04;
};
static_assert(check_layout(SecurityState::kSize, SecurityState::kState));
// Set Passphrase (4501h) input, Table 8-145; Disable Passphrase (4502h) and Passphrase Secure
// Erase (4505h) inputs (Tables 8-146, 8-148) are its first 0x40 bytes.
struct Passphrases {
  static constexpr LeField kType{0x00, 1};  // 0 master, 1 user
  static constexpr ByteField kCurrent{0x20, 0x20};
  static constexpr ByteField kNew{0x40, 0x20};
  static constexpr size_t kSizeWithCurrent = 0x40;
  static constexpr size_t kSize = 0x60;
};
static_assert(check_layout(Passphrases::kSize, Passphrases::kType, Passphrases::kCurrent,
                           Passphrases::kNew));
// Unlock (4503h) input, Table 8-147.
struct Unlock {
  static constexpr ByteField kCurrent{0x00, 0x20};
  static constexpr size_t kSize = 0x20;
};
static_assert(check_layout(Unlock::kSize, Unlock::kCurrent));

}  // namespace cxlsim::device::payload
