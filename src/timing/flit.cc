#include "timing/flit.h"

#include <fmt/format.h>

#include "spec/error.h"

namespace cxlsim::timing {

double FlitFormat::wire_bytes_per_slot() const {
  // 68B flit carries 4 slots; 256B flit carries 15 slots (CXL 3.1 §4.2.3, §4.3.1).
  return mode == FlitMode::k68B ? 68.0 / 4.0 : 256.0 / 15.0;
}

Bytes FlitFormat::flit_bytes() const { return Bytes(mode == FlitMode::k68B ? 68 : 256); }

double slots_of(Msg m, const SlotCosts& c) {
  switch (m) {
    case Msg::kReqRead:
      return c.req;
    case Msg::kReqWriteData:
      return c.rwd_header + 4.0;
    case Msg::kRespData:
      return c.drs_header + 4.0;
    case Msg::kRespNoData:
      return c.ndr;
  }
  return 1.0;
}

FlitMode parse_flit_mode(std::string_view text) {
  if (text == "68B" || text == "68") return FlitMode::k68B;
  if (text == "256B" || text == "256") return FlitMode::k256B;
  throw ParseError(fmt::format("invalid flit mode '{}': expected 68B or 256B", text));
}

}  // namespace cxlsim::timing
