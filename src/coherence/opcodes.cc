#include "coherence/opcodes.h"

#include <array>

namespace cxlsim::coherence {

std::string_view name(Channel c) {
  static constexpr std::array<std::string_view, kChannels> kNames = {
      "D2H Req", "D2H Rsp", "D2H Data",  "H2D Req",   "H2D Rsp", "H2D Data",
      "M2S Req", "M2S RwD", "M2S BIRsp", "S2M BISnp", "S2M NDR", "S2M DRS"};
  return kNames[static_cast<size_t>(c)];
}

std::string_view opcode_name(Channel c, uint8_t op) {
  static constexpr std::array<std::string_view, 15> kD2HReq = {
      "RdCurr",           "RdOwn",   "RdShared", "RdAny",      "RdOwnNoData",
      "ItoMWr",           "WrCur",   "CLFlush",  "CleanEvict", "DirtyEvict",
      "CleanEvictNoData", "WOWrInv", "WOWrInvF", "WrInv",      "CacheFlushed"};
  static constexpr std::array<std::string_view, 7> kD2HRsp = {
      "RspIHitI", "RspVHitV", "RspIHitSE", "RspSHitSE", "RspSFwdM", "RspIFwdM", "RspVFwdV"};
  static constexpr std::array<std::string_view, 3> kH2DReq = {"SnpData", "SnpInv", "SnpCur"};
  static constexpr std::array<std::string_view, 10> kH2DRsp = {"GO-I",         "GO-S",
                                                               "GO-E",         "GO-M",
                                                               "GO-Err",       "WritePull",
                                                               "GO_WritePull", "GO_WritePull_Drop",
                                                               "ExtCmp",       "Fast_GO_WritePull"};
  static constexpr std::array<std::string_view, 7> kM2SReq = {
      "MemRd,A", "MemRd,S", "MemRd,I", "MemInv,A", "MemClnEvct", "MemRdFwd", "MemWrFwd"};
  static constexpr std::array<std::string_view, 3> kBIRsp = {"BIRspI", "BIRspS", "BIRspE"};
  static constexpr std::array<std::string_view, 3> kBISnp = {"BISnpCur", "BISnpData", "BISnpInv"};
  static constexpr std::array<std::string_view, 4> kNDR = {"Cmp", "Cmp-S", "Cmp-E", "Cmp-M"};
  auto pick = [op](const auto& names) -> std::string_view {
    return op < names.size() ? names[op] : "?";
  };
  switch (c) {
    case Channel::kD2HReq:
      return pick(kD2HReq);
    case Channel::kD2HRsp:
      return pick(kD2HRsp);
    case Channel::kD2HData:
      return "Data";
    case Channel::kH2DReq:
      return pick(kH2DReq);
    case Channel::kH2DRsp:
      return pick(kH2DRsp);
    case Channel::kH2DData:
      return "Data";
    case Channel::kM2SReq:
      return pick(kM2SReq);
    case Channel::kM2SRwD:
      return "MemWr,I";
    case Channel::kM2SBIRsp:
      return pick(kBIRsp);
    case Channel::kS2MBISnp:
      return pick(kBISnp);
    case Channel::kS2MNDR:
      return pick(kNDR);
    case Channel::kS2MDRS:
      return "MemData";
  }
  return "?";
}

}  // namespace cxlsim::coherence
