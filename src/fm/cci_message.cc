#include "fm/cci_message.h"

namespace cxlsim::fm {

std::vector<uint8_t> encode_cci_message(const CciMessage& m) {
  std::vector<uint8_t> out(CciMessage::kHeaderSize, 0);
  CciMessage::kCategory.put(out, m.category);
  CciMessage::kTag.put(out, m.tag);
  CciMessage::kCommand.put(out, m.opcode & 0xffu);
  CciMessage::kCommandSet.put(out, m.opcode >> 8);
  CciMessage::kPayloadLength.put(out, m.payload.size());
  CciMessage::kReturnCode.put(out, m.return_code);
  out.insert(out.end(), m.payload.begin(), m.payload.end());
  return out;
}

uint32_t cci_payload_length(std::span<const uint8_t> header) {
  return static_cast<uint32_t>(CciMessage::kPayloadLength.get(header));
}

std::optional<CciMessage> decode_cci_message(std::span<const uint8_t> bytes) {
  if (bytes.size() < CciMessage::kHeaderSize) return std::nullopt;
  const uint32_t length = cci_payload_length(bytes);
  if (length > CciMessage::kMaxPayload || bytes.size() - CciMessage::kHeaderSize != length) {
    return std::nullopt;
  }
  CciMessage m;
  m.category = static_cast<uint8_t>(CciMessage::kCategory.get(bytes));
  if (m.category != CciMessage::kRequest && m.category != CciMessage::kResponse) {
    return std::nullopt;
  }
  m.tag = static_cast<uint8_t>(CciMessage::kTag.get(bytes));
  m.opcode = static_cast<uint16_t>(CciMessage::kCommandSet.get(bytes) << 8 |
                                   CciMessage::kCommand.get(bytes));
  m.return_code = static_cast<uint16_t>(CciMessage::kReturnCode.get(bytes));
  m.payload.assign(bytes.begin() + CciMessage::kHeaderSize, bytes.end());
  return m;
}

}  // namespace cxlsim::fm
