// CXL 3.1 coherence messages: the CXL.cache channels and opcodes (§3.2) and the CXL.mem
// back-invalidation channels and opcodes HDM-DB adds (§3.3), as the protocol engine
// (protocol.h) sends them. Names are the spec's; each enum cites the table it comes from.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxlsim::coherence {

// MESI state of a line in one cache (§3.2.4.1: devices cache in M, E, S or I; the host tracks
// them in its snoop filter).
enum class Mesi : uint8_t { kI, kS, kE, kM };

// The channels a message travels on. CXL.cache (§3.2.2): three per direction.
// CXL.mem (§3.3.2): M2S Req/RwD/BIRsp toward the device, S2M BISnp/NDR/DRS toward the host.
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

// True for the channels that travel from the home of the memory toward a caching agent.
bool toward_agent(Channel c);
// True for channels whose message carries a 64-byte line.
bool carries_data(Channel c);

// D2H Request opcodes (§3.2.4.2).
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
// D2H Response opcodes (§3.2.4.3): the device's answer to a snoop, naming the
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
// H2D Request opcodes (§3.2.4.4): snoops.
enum class H2DReq : uint8_t { kSnpData, kSnpInv, kSnpCur };
// H2D Response opcodes (§3.2.4.5). GO carries the granted state (§3.2.4.5.1:
// GO-I/S/E/M/Err); WritePull asks for the data of a write (§3.2.4.5.2).
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
};
// M2S Req opcodes used for HDM-DB (§3.3.5) with the MetaValue the host asks for
// (§3.3.5.1: A = any/exclusive, S = shared, I = the host will not cache) and MemClnEvct
// (the host drops a clean line; the device clears its snoop filter entry).
enum class M2SReq : uint8_t { kMemRdA, kMemRdS, kMemRdI, kMemInvA, kMemClnEvct };
// M2S RwD (§3.3.6): MemWr with MetaValue I: a host writes a modified line back.
enum class M2SRwD : uint8_t { kMemWrI };
// M2S BIRsp (§3.3.7): the host's answer to a BISnp, naming the state it keeps.
enum class M2SBIRsp : uint8_t { kBIRspI, kBIRspS, kBIRspE };
// S2M BISnp (§3.3.8): the device back-invalidates or downgrades a host's copy.
enum class S2MBISnp : uint8_t { kBISnpCur, kBISnpData, kBISnpInv };
// S2M NDR (§3.3.9): completions; Cmp-S/E/M give the host that state.
enum class S2MNDR : uint8_t { kCmp, kCmpS, kCmpE, kCmpM };
// S2M DRS (§3.3.10).
enum class S2MDRS : uint8_t { kMemData };

std::string_view name(Channel c);
// The opcode's spec name on channel `c` (e.g. "RdOwn", "GO-E", "BISnpInv").
std::string_view opcode_name(Channel c, uint8_t op);

}  // namespace cxlsim::coherence
