// CXL 3.1 coherence messages: the CXL.cache channels and opcodes (§3.2) and the CXL.mem
// back-invalidation channels and opcodes HDM-DB adds (§3.3), as the protocol engine
// (protocol.h) sends them. Names are the spec's; each enum cites the CXL 3.1 table it comes
// from (section and table numbers checked against the CXL 3.1 text, August 2023).
#pragma once

#include <cstdint>
#include <string_view>

namespace cxlsim::coherence {

// MESI state of a line in one cache (CXL 3.1 Table 3-20: the states a GO grants; the host
// tracks them in its snoop filter).
enum class Mesi : uint8_t { kI, kS, kE, kM };

// The channels a message travels on. CXL.cache (CXL 3.1 §3.2.1): three per direction.
// CXL.mem (§3.3.1, §3.3.2): M2S Req/RwD/BIRsp toward the device, S2M BISnp/NDR/DRS toward the
// host.
enum class Channel : uint8_t {
  kD2HReq,
  kD2HRsp,
  kD2HData,  // device to host
  kH2DReq,
  kH2DRsp,
  kH2DData,  // host to device
  kM2SReq,
  kM2SRwD,
  kM2SBIRsp,  // host to device memory (HDM-DB)
  kS2MBISnp,
  kS2MNDR,
  kS2MDRS,  // device memory to host (HDM-DB)
};
inline constexpr int kChannels = 12;

// Who the home of a memory is: the host's home agent (CXL.cache, CXL 3.1 §3.2; for HDM-D its
// device's requests to its own memory too) or a device's DCOH (HDM-DB, §3.3.3, §3.5.1).
enum class Flavour : uint8_t {
  kCache,           // CXL.cache (CXL 3.1 §3.2): home = host home agent, agents = device caches
  kBackInvalidate,  // HDM-DB (CXL 3.1 §3.3.3, §3.5.1): home = device DCOH, agents = host caches
};

// True for the channels that travel from the home of the memory toward a caching agent: H2D
// always; M2S when the home is the host (HDM-D: the host home agent answers its device on CXL.mem,
// CXL 3.1 Table 3-24), S2M when the home is a device (HDM-DB). Inline: on the per-message path.
inline bool toward_agent(Channel c, Flavour f) {
  const auto i = static_cast<uint8_t>(c);
  if (i < static_cast<uint8_t>(Channel::kH2DReq)) return false;                   // D2H
  if (i < static_cast<uint8_t>(Channel::kM2SReq)) return true;                    // H2D
  if (i < static_cast<uint8_t>(Channel::kS2MBISnp)) return f == Flavour::kCache;  // M2S
  return f != Flavour::kCache;                                                    // S2M
}
// True for channels whose message carries a 64-byte line.
inline bool carries_data(Channel c) {
  return c == Channel::kD2HData || c == Channel::kH2DData || c == Channel::kM2SRwD ||
         c == Channel::kS2MDRS;
}

// D2H Request opcodes (CXL 3.1 §3.2.4.2, Table 3-22).
enum class D2HReq : uint8_t {
  kRdCurr,
  kRdOwn,
  kRdShared,
  kRdAny,
  kRdOwnNoData,
  kItoMWr,
  kWrCur,
  kCLFlush,
  kCleanEvict,
  kDirtyEvict,
  kCleanEvictNoData,
  kWOWrInv,
  kWOWrInvF,
  kWrInv,
  kCacheFlushed,
};
// D2H Response opcodes (CXL 3.1 §3.2.4.3, Table 3-25): the device's answer to a snoop, naming the
// state it keeps ("I", "S", "V": unchanged) and whether data follows on D2H Data ("Fwd").
enum class D2HRsp : uint8_t {
  kRspIHitI,
  kRspVHitV,
  kRspIHitSE,
  kRspSHitSE,
  kRspSFwdM,
  kRspIFwdM,
  kRspVFwdV
};
// H2D Request opcodes (CXL 3.1 §3.2.4.4, Table 3-26): snoops.
enum class H2DReq : uint8_t { kSnpData, kSnpInv, kSnpCur };
// H2D Response opcodes (CXL 3.1 §3.2.4.5, Table 3-27). GO carries the granted state
// (§3.2.4.5.2, Table 3-20: GO-I/S/E/M/Err); WritePull asks for the data of a write
// (§3.2.4.5.1); Fast_GO_WritePull (§3.2.4.5.6) is followed by ExtCmp (§3.2.4.5.4).
enum class H2DRsp : uint8_t {
  kGoI,
  kGoS,
  kGoE,
  kGoM,
  kGoErr,
  kWritePull,
  kGoWritePull,
  kGoWritePullDrop,
  kExtCmp,
  kFastGoWritePull,
};
// M2S Req opcodes used for HDM-DB (CXL 3.1 §3.3.5, Tables 3-35 and 3-39) with the MetaValue
// the host asks for (Table 3-37: A = any/exclusive, S = shared, I = the host will not cache;
// "MemRd,I" is the uncached current read, MemRd with SnpCur answered by Cmp + MemData) and
// MemClnEvct (the host drops a clean line; the device clears its snoop filter entry). The same
// MemRd/MemInv carry a host access to HDM-D memory to the device's DCOH (§3.5.2.2). MemRdFwd and
// MemWrFwd (Table 3-35; Table 3-24) are the host's completions of a device's D2H request to its
// own HDM-D memory in host bias, sent on CXL.mem so that later M2S requests to the line stay
// behind them (§3.3.11).
enum class M2SReq : uint8_t {
  kMemRdA,
  kMemRdS,
  kMemRdI,
  kMemInvA,
  kMemClnEvct,
  kMemRdFwd,
  kMemWrFwd
};
// M2S RwD (CXL 3.1 §3.3.6, Tables 3-41/3-42): MemWr with MetaValue I: a host writes a modified
// line back.
enum class M2SRwD : uint8_t { kMemWrI };
// M2S BIRsp (CXL 3.1 §3.3.7, Table 3-45): the host's answer to a BISnp, naming the state it
// keeps.
enum class M2SBIRsp : uint8_t { kBIRspI, kBIRspS, kBIRspE };
// S2M BISnp (CXL 3.1 §3.3.8, Table 3-47): the device back-invalidates or downgrades a host's
// copy.
enum class S2MBISnp : uint8_t { kBISnpCur, kBISnpData, kBISnpInv };
// S2M NDR (CXL 3.1 §3.3.9, Table 3-50): completions; Cmp-S/E/M give the host that state.
enum class S2MNDR : uint8_t { kCmp, kCmpS, kCmpE, kCmpM };
// S2M DRS (CXL 3.1 §3.3.10, Table 3-53).
enum class S2MDRS : uint8_t { kMemData };

std::string_view name(Channel c);
// The opcode's spec name on channel `c` (e.g. "RdOwn", "GO-E", "BISnpInv").
std::string_view opcode_name(Channel c, uint8_t op);

}  // namespace cxlsim::coherence
