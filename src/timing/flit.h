// CXL.mem flit packing: how many 16-byte slots each message occupies, and what a slot costs
// on the wire. CXL 3.1 §4.2 (68B flit: one 16B header slot + three 16B generic slots, 2B CRC,
// plus 2B PCIe Protocol ID framing = 68B for 64B of slots) and §4.3 (256B flit: 2B header,
// 15 slots of 16B, 8B CRC, 6B FEC = 256B for 240B of slots).
#pragma once

#include <string_view>

#include "spec/units.h"

namespace cxlsim::timing {

enum class FlitMode { k68B, k256B };

// Message classes that cross a CXL.mem link.
enum class Msg { kReqRead, kReqWriteData, kRespData, kRespNoData };

// Slot cost of each message class (fractions allowed: several headers share a slot).
struct SlotCosts {
  double req = 1.0;         // M2S Req header (MemRd)
  double rwd_header = 1.0;  // M2S RwD header; its 64B of data add 4 slots
  double drs_header = 1.0;  // S2M DRS header; its 64B of data add 4 slots
  double ndr = 0.5;         // S2M NDR (Cmp)
};

struct FlitFormat {
  FlitMode mode = FlitMode::k68B;
  // Wire bytes per 16B slot, including CRC/FEC/framing of the flit the slot travels in.
  [[nodiscard]] double wire_bytes_per_slot() const;
  // Bytes of one whole flit on the wire (a receiver checks CRC on whole flits).
  [[nodiscard]] Bytes flit_bytes() const;
};

double slots_of(Msg m, const SlotCosts& c);
FlitMode parse_flit_mode(std::string_view text);  // "68B" or "256B"; throws ParseError

}  // namespace cxlsim::timing
