#include "spec/component_registers.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "spec/hdm_decoder.h"

namespace cxlsim {

namespace {

using A = Access;

// CXL_Capability_Version / CXL_Cache_Mem_Version of the CXL Capability Header (§8.2.4.1),
// RAS (§8.2.4.17) and Link (§8.2.4.19) capability versions of CXL 3.1.
constexpr uint8_t kCxlCapabilityVersion = 1, kCacheMemVersion = 1;
constexpr uint8_t kRasVersion = 3, kLinkVersion = 2;

constexpr auto kCxlCapabilityHeader = std::to_array<FieldDesc>({
    {"CXL_Capability_ID", 0x0, 4, 0, 15, A::kRO, 1, "CXL 3.1 §8.2.4.1"},
    {"CXL_Capability_Version", 0x0, 4, 16, 19, A::kRO, kCxlCapabilityVersion, "CXL 3.1 §8.2.4.1"},
    {"CXL_Cache_Mem_Version", 0x0, 4, 20, 23, A::kRO, kCacheMemVersion, "CXL 3.1 §8.2.4.1"},
    {"Array_Size", 0x0, 4, 24, 31, A::kRO, 0, "CXL 3.1 §8.2.4.1"},
});

// One capability header dword (CXL 3.1 §8.2.4.2 .. e.g. CXL RAS Capability Header).
constexpr auto kCapabilityHeader = std::to_array<FieldDesc>({
    {"CXL_Capability_ID", 0x0, 4, 0, 15, A::kRO, 0, "CXL 3.1 §8.2.4.2"},
    {"CXL_Capability_Version", 0x0, 4, 16, 19, A::kRO, 0, "CXL 3.1 §8.2.4.2"},
    {"Capability_Pointer", 0x0, 4, 20, 31, A::kRO, 0, "CXL 3.1 §8.2.4.2"},
});

// CXL RAS Capability Structure, CXL 3.1 §8.2.4.17 (0x58 bytes). Sticky kinds (RW1CS, RWS,
// ROS) map to RW1C/RW/RO. Masks and severities reset to 1 for every defined error.
constexpr auto kRas = std::to_array<FieldDesc>({
    {"UE Status: Cache_Data_Parity", 0x00, 4, 0, 0, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Cache_Address_Parity", 0x00, 4, 1, 1, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Cache_BE_Parity", 0x00, 4, 2, 2, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Cache_Data_ECC", 0x00, 4, 3, 3, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Mem_Data_Parity", 0x00, 4, 4, 4, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Mem_Address_Parity", 0x00, 4, 5, 5, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Mem_BE_Parity", 0x00, 4, 6, 6, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Mem_Data_ECC", 0x00, 4, 7, 7, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: REINIT_Threshold", 0x00, 4, 8, 8, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Rsvd_Encoding_Violation", 0x00, 4, 9, 9, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Poison_Received", 0x00, 4, 10, 10, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Receiver_Overflow", 0x00, 4, 11, 11, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: Internal_Error", 0x00, 4, 14, 14, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: CXL_IDE_Tx_Error", 0x00, 4, 15, 15, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Status: CXL_IDE_Rx_Error", 0x00, 4, 16, 16, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.1"},
    {"UE Mask: Cache_Data_Parity", 0x04, 4, 0, 0, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Cache_Address_Parity", 0x04, 4, 1, 1, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Cache_BE_Parity", 0x04, 4, 2, 2, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Cache_Data_ECC", 0x04, 4, 3, 3, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Mem_Data_Parity", 0x04, 4, 4, 4, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Mem_Address_Parity", 0x04, 4, 5, 5, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Mem_BE_Parity", 0x04, 4, 6, 6, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Mem_Data_ECC", 0x04, 4, 7, 7, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: REINIT_Threshold", 0x04, 4, 8, 8, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Rsvd_Encoding_Violation", 0x04, 4, 9, 9, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Poison_Received", 0x04, 4, 10, 10, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Receiver_Overflow", 0x04, 4, 11, 11, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: Internal_Error", 0x04, 4, 14, 14, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: CXL_IDE_Tx_Error", 0x04, 4, 15, 15, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Mask: CXL_IDE_Rx_Error", 0x04, 4, 16, 16, A::kRW, 1, "CXL 3.1 §8.2.4.17.2"},
    {"UE Severity: Cache_Data_Parity", 0x08, 4, 0, 0, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Cache_Address_Parity", 0x08, 4, 1, 1, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Cache_BE_Parity", 0x08, 4, 2, 2, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Cache_Data_ECC", 0x08, 4, 3, 3, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Mem_Data_Parity", 0x08, 4, 4, 4, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Mem_Address_Parity", 0x08, 4, 5, 5, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Mem_BE_Parity", 0x08, 4, 6, 6, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Mem_Data_ECC", 0x08, 4, 7, 7, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: REINIT_Threshold", 0x08, 4, 8, 8, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Rsvd_Encoding_Violation", 0x08, 4, 9, 9, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Poison_Received", 0x08, 4, 10, 10, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Receiver_Overflow", 0x08, 4, 11, 11, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: Internal_Error", 0x08, 4, 14, 14, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: CXL_IDE_Tx_Error", 0x08, 4, 15, 15, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"UE Severity: CXL_IDE_Rx_Error", 0x08, 4, 16, 16, A::kRW, 1, "CXL 3.1 §8.2.4.17.3"},
    {"CE Status: Cache_Data_ECC", 0x0C, 4, 0, 0, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: Mem_Data_ECC", 0x0C, 4, 1, 1, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: CRC_Threshold", 0x0C, 4, 2, 2, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: Retry_Threshold", 0x0C, 4, 3, 3, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: Cache_Poison_Received", 0x0C, 4, 4, 4, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: Mem_Poison_Received", 0x0C, 4, 5, 5, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Status: Physical_Layer_Error", 0x0C, 4, 6, 6, A::kRW1C, 0, "CXL 3.1 §8.2.4.17.4"},
    {"CE Mask: Cache_Data_ECC", 0x10, 4, 0, 0, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: Mem_Data_ECC", 0x10, 4, 1, 1, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: CRC_Threshold", 0x10, 4, 2, 2, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: Retry_Threshold", 0x10, 4, 3, 3, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: Cache_Poison_Received", 0x10, 4, 4, 4, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: Mem_Poison_Received", 0x10, 4, 5, 5, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"CE Mask: Physical_Layer_Error", 0x10, 4, 6, 6, A::kRW, 1, "CXL 3.1 §8.2.4.17.5"},
    {"First_Error_Pointer", 0x14, 4, 0, 5, A::kRO, 0, "CXL 3.1 §8.2.4.17.6"},
    {"Multiple_Header_Recording_Capability", 0x14, 4, 9, 9, A::kRO, 0, "CXL 3.1 §8.2.4.17.6"},
    {"Poison_Enabled", 0x14, 4, 13, 13, A::kRW, 1, "CXL 3.1 §8.2.4.17.6"},
    {"Header Log 0", 0x18, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 1", 0x1C, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 2", 0x20, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 3", 0x24, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 4", 0x28, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 5", 0x2C, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 6", 0x30, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 7", 0x34, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 8", 0x38, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 9", 0x3C, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 10", 0x40, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 11", 0x44, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 12", 0x48, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 13", 0x4C, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 14", 0x50, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},
    {"Header Log 15", 0x54, 4, 0, 31, A::kRO, 0, "CXL 3.1 §8.2.4.17.7"},

});

// CXL Link Capability Structure, CXL 3.1 §8.2.4.19 (0x38 bytes, 64-bit registers).
constexpr auto kLink = std::to_array<FieldDesc>({
    {"CXL Link Version Supported", 0x00, 8, 0, 3, A::kRO, 2, "CXL 3.1 §8.2.4.19.1"},
    {"CXL Link Version Received", 0x00, 8, 4, 7, A::kRO, 2, "CXL 3.1 §8.2.4.19.1"},
    {"LLR Wrap Value Supported", 0x00, 8, 8, 15, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"LLR Wrap Value Received", 0x00, 8, 16, 23, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"NUM_Retry_Received", 0x00, 8, 24, 28, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"NUM_Phy_Reinit_Received", 0x00, 8, 29, 33, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"Wr_Ptr_Received", 0x00, 8, 34, 41, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"Echo_Eseq_Received", 0x00, 8, 42, 49, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"Num_Free_Buf_Received", 0x00, 8, 50, 57, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"No_LL_Reset_Support", 0x00, 8, 58, 58, A::kRO, 0, "CXL 3.1 §8.2.4.19.1"},
    {"LL_Reset", 0x08, 8, 0, 0, A::kRW, 0, "CXL 3.1 §8.2.4.19.2"},
    {"LL_Init_Stall", 0x08, 8, 1, 1, A::kRW, 0, "CXL 3.1 §8.2.4.19.2"},
    {"LL_Crd_Stall", 0x08, 8, 2, 2, A::kRW, 0, "CXL 3.1 §8.2.4.19.2"},
    {"INIT_State", 0x08, 8, 3, 4, A::kRO, 3, "CXL 3.1 §8.2.4.19.2"},  // 11b: INIT done
    {"LL_Retry_Buffer_Consumed", 0x08, 8, 5, 12, A::kRO, 0, "CXL 3.1 §8.2.4.19.2"},
    {"Rx Cache Req Credits", 0x10, 8, 0, 9, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Rx Cache Rsp Credits", 0x10, 8, 10, 19, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Rx Cache Data Credits", 0x10, 8, 20, 29, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Rx Mem Req_Rsp Credits", 0x10, 8, 30, 39, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Rx Mem Data Credits", 0x10, 8, 40, 49, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Rx BI Credits", 0x10, 8, 50, 59, A::kRW, 0, "CXL 3.1 §8.2.4.19.3"},
    {"Returned Cache Req Credits", 0x18, 8, 0, 9, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Returned Cache Rsp Credits", 0x18, 8, 10, 19, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Returned Cache Data Credits", 0x18, 8, 20, 29, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Returned Mem Req_Rsp Credits", 0x18, 8, 30, 39, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Returned Mem Data Credits", 0x18, 8, 40, 49, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Returned BI Credits", 0x18, 8, 50, 59, A::kRO, 0, "CXL 3.1 §8.2.4.19.4"},
    {"Tx Cache Req Credits", 0x20, 8, 0, 9, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Tx Cache Rsp Credits", 0x20, 8, 10, 19, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Tx Cache Data Credits", 0x20, 8, 20, 29, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Tx Mem Req_Rsp Credits", 0x20, 8, 30, 39, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Tx Mem Data Credits", 0x20, 8, 40, 49, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Tx BI Credits", 0x20, 8, 50, 59, A::kRO, 0, "CXL 3.1 §8.2.4.19.5"},
    {"Ack_Force_Threshold", 0x28, 8, 0, 7, A::kRW, 0x10, "CXL 3.1 §8.2.4.19.6"},
    {"Ack_Flush_Retimer", 0x28, 8, 8, 17, A::kRW, 0x20, "CXL 3.1 §8.2.4.19.6"},
    {"MDH_Disable", 0x30, 8, 0, 0, A::kRW, 0, "CXL 3.1 §8.2.4.19.7"},
});

constexpr uint32_t kUeDefinedBits = 0x0001CFFF;  // bits 0..11, 14..16
constexpr uint32_t kCeDefinedBits = 0x7F;        // bits 0..6

}  // namespace

std::string_view component_kind_name(ComponentKind k) {
  switch (k) {
    case ComponentKind::kHostBridge:
      return "host-bridge";
    case ComponentKind::kRootPort:
      return "root-port";
    case ComponentKind::kSwitchUpstream:
      return "switch-upstream-port";
    case ComponentKind::kSwitchDownstream:
      return "switch-downstream-port";
    case ComponentKind::kEndpoint:
      return "endpoint";
  }
  return "?";
}

std::optional<ExternalCapability> hdm_capability(HdmDecoderCapability* hdm) {
  if (hdm == nullptr) return std::nullopt;
  return ExternalCapability::of(*hdm, kHdmCapabilityVersion);
}

ComponentRegisters::ComponentRegisters(ComponentKind kind, std::optional<ExternalCapability> hdm)
    : kind_(kind), regs_(kCacheMemSize), hdm_(std::move(hdm)) {
  const std::string kname(component_kind_name(kind));
  if (hdm_) {
    if (kind == ComponentKind::kRootPort || kind == ComponentKind::kSwitchDownstream) {
      throw std::invalid_argument(kname +
                                  ": root and downstream ports have no HDM Decoder Capability");
    }
    if (hdm_->id != static_cast<uint16_t>(CacheMemCapabilityId::kHdmDecoder)) {
      throw std::invalid_argument(
          fmt::format("{}: capability id {} is not the HDM Decoder Capability", kname, hdm_->id));
    }
    if (hdm_->size_bytes == 0 || kHdmOffset + hdm_->size_bytes > kCacheMemSize) {
      throw std::invalid_argument(fmt::format("{}: HDM Decoder Capability of {} bytes does not fit",
                                              kname, hdm_->size_bytes));
    }
  }
  regs_.add_structure("CXL Capability Header", 0, kCxlCapabilityHeader, 4);
  struct Entry {
    CacheMemCapabilityId id;
    uint8_t version;
    uint32_t offset;
  };
  std::vector<Entry> caps;
  if (kind != ComponentKind::kHostBridge) {
    regs_.add_structure("CXL RAS Capability", kRasOffset, kRas, kRasSize);
    regs_.add_structure("CXL Link Capability", kLinkOffset, kLink, kLinkSize);
    caps.push_back({CacheMemCapabilityId::kRas, kRasVersion, kRasOffset});
    caps.push_back({CacheMemCapabilityId::kLink, kLinkVersion, kLinkOffset});
  }
  if (hdm_) caps.push_back({CacheMemCapabilityId::kHdmDecoder, hdm_->version, kHdmOffset});
  regs_.init_field(0, "Array_Size", caps.size());
  for (size_t i = 0; i < caps.size(); ++i) {
    const auto at = static_cast<uint32_t>(4 * (i + 1));
    regs_.add_structure(fmt::format("Capability Header {}", i + 1), at, kCapabilityHeader, 4);
    regs_.init_field(at, "CXL_Capability_ID", static_cast<uint16_t>(caps[i].id));
    regs_.init_field(at, "CXL_Capability_Version", caps[i].version);
    regs_.init_field(at, "Capability_Pointer", caps[i].offset);
  }
}

namespace {

void check_offset(uint32_t off, unsigned size) {
  if (off % 4 != 0 || uint64_t{off} + size > ComponentRegisters::kBlockSize) {
    throw std::out_of_range(
        fmt::format("component register access of {} bytes at {:#x}", size, off));
  }
}

}  // namespace

uint32_t ComponentRegisters::read32(uint32_t off) const {
  check_offset(off, 4);
  if (off < kCacheMemOffset || off >= kCacheMemOffset + kCacheMemSize) return 0;
  const uint32_t cm = off - kCacheMemOffset;
  if (hdm_ && cm >= kHdmOffset && cm < kHdmOffset + hdm_->size_bytes) {
    return hdm_->read32(cm - kHdmOffset);
  }
  return regs_.read32(cm);
}

void ComponentRegisters::write32(uint32_t off, uint32_t value) {
  check_offset(off, 4);
  if (off < kCacheMemOffset || off >= kCacheMemOffset + kCacheMemSize) return;
  const uint32_t cm = off - kCacheMemOffset;
  if (hdm_ && cm >= kHdmOffset && cm < kHdmOffset + hdm_->size_bytes) {
    hdm_->write32(cm - kHdmOffset, value);
    return;
  }
  regs_.write32(cm, value);
}

uint64_t ComponentRegisters::read64(uint32_t off) const {
  check_offset(off, 8);
  return read32(off) | (uint64_t{read32(off + 4)} << 32);
}

void ComponentRegisters::write64(uint32_t off, uint64_t value) {
  check_offset(off, 8);
  write32(off, static_cast<uint32_t>(value));
  write32(off + 4, static_cast<uint32_t>(value >> 32));
}

std::optional<uint32_t> ComponentRegisters::find_capability(CacheMemCapabilityId id) const {
  const uint32_t hdr = read32(kCacheMemOffset);
  if ((hdr & 0xFFFF) != static_cast<uint16_t>(CacheMemCapabilityId::kCapabilityHeader)) {
    return std::nullopt;
  }
  if (id == CacheMemCapabilityId::kCapabilityHeader) return kCacheMemOffset;
  const uint32_t n = hdr >> 24;
  for (uint32_t i = 1; i <= n; ++i) {
    const uint32_t h = read32(kCacheMemOffset + 4 * i);
    if ((h & 0xFFFF) == static_cast<uint16_t>(id)) return kCacheMemOffset + (h >> 20);
  }
  return std::nullopt;
}

void ComponentRegisters::raise_uncorrectable(unsigned bit,
                                             std::optional<std::array<uint32_t, 16>> header) {
  if (kind_ == ComponentKind::kHostBridge) {
    throw std::invalid_argument("host bridge has no RAS capability");
  }
  if (bit >= 32 || !(kUeDefinedBits & (1u << bit))) {
    throw std::invalid_argument(fmt::format("uncorrectable error bit {} is not defined", bit));
  }
  const uint32_t status = regs_.read32(kRasOffset);
  const auto fep = static_cast<unsigned>(regs_.field(kRasOffset, "First_Error_Pointer"));
  const bool fep_pending = status & (1u << fep) & kUeDefinedBits;
  // Hardware sets the status bit (RW1C to software) through the hardware view.
  for (const FieldDesc& f : kRas) {
    if (f.offset == 0x00 && f.lsb == bit) regs_.set_field(kRasOffset, f.name, 1);
  }
  if (!fep_pending) {
    regs_.set_field(kRasOffset, "First_Error_Pointer", bit);
    if (header) {
      for (unsigned i = 0; i < 16; ++i) {
        regs_.set_field(kRasOffset, fmt::format("Header Log {}", i), (*header)[i]);
      }
    }
  }
}

void ComponentRegisters::raise_correctable(unsigned bit) {
  if (kind_ == ComponentKind::kHostBridge) {
    throw std::invalid_argument("host bridge has no RAS capability");
  }
  if (bit >= 32 || !(kCeDefinedBits & (1u << bit))) {
    throw std::invalid_argument(fmt::format("correctable error bit {} is not defined", bit));
  }
  for (const FieldDesc& f : kRas) {
    if (f.offset == 0x0C && f.lsb == bit) regs_.set_field(kRasOffset, f.name, 1);
  }
}

nlohmann::json ComponentRegisters::to_json() const {
  nlohmann::json j{{"kind", component_kind_name(kind_)},
                   {"cache_mem_offset", kCacheMemOffset},
                   {"cache_mem", regs_.to_json()}};
  if (hdm_) {
    nlohmann::json dwords = nlohmann::json::array();
    for (uint32_t o = 0; o < hdm_->size_bytes; o += 4) {
      dwords.push_back({{"offset", kCacheMemOffset + kHdmOffset + o}, {"value", hdm_->read32(o)}});
    }
    j["hdm"] = {{"offset", kCacheMemOffset + kHdmOffset},
                {"version", hdm_->version},
                {"dwords", std::move(dwords)}};
  }
  return j;
}

ComponentRegisters make_host_bridge_component_registers(unsigned root_ports,
                                                        HdmDecoderCapability* hdm) {
  if (root_ports > 1 && hdm == nullptr) {
    throw std::invalid_argument(
        fmt::format("host bridge with {} root ports needs HDM decoders", root_ports));
  }
  return {ComponentKind::kHostBridge, hdm_capability(hdm)};
}

ComponentRegisters make_root_port_component_registers() {
  return {ComponentKind::kRootPort, std::nullopt};
}

ComponentRegisters make_switch_downstream_component_registers() {
  return {ComponentKind::kSwitchDownstream, std::nullopt};
}

ComponentRegisters make_switch_upstream_component_registers(HdmDecoderCapability* hdm) {
  return {ComponentKind::kSwitchUpstream, hdm_capability(hdm)};
}

ComponentRegisters make_endpoint_component_registers(HdmDecoderCapability& hdm) {
  return {ComponentKind::kEndpoint, hdm_capability(&hdm)};
}

}  // namespace cxlsim
