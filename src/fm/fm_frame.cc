#include "fm/fm_frame.h"

namespace cxlsim::fm {

std::vector<uint8_t> encode_frame(const CciMessage& m) {
  std::vector<uint8_t> out(FrameHeader::kSize, 0);
  FrameHeader::kMagicField.put(out, FrameHeader::kMagic);
  FrameHeader::kVersionField.put(out, FrameHeader::kVersion);
  const std::vector<uint8_t> body = encode_cci_message(m);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

FrameError check_frame_start(std::span<const uint8_t> start, uint32_t* payload_length) {
  if (FrameHeader::kMagicField.get(start) != FrameHeader::kMagic) return FrameError::kBadMagic;
  if (FrameHeader::kVersionField.get(start) != FrameHeader::kVersion) {
    return FrameError::kBadVersion;
  }
  const uint32_t length = cci_payload_length(start.subspan(FrameHeader::kSize));
  if (length > CciMessage::kMaxPayload) return FrameError::kTooLong;
  *payload_length = length;
  return FrameError::kNone;
}

}  // namespace cxlsim::fm
