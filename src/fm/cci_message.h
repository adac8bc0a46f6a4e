// The CCI message (CXL 3.2 §7.6.3, Figure 7-19 "CCI Message Format"): how FM-API requests and
// responses are carried over MCTP, and what a Tunnel Management Command (§7.6.7.3.1) wraps. The
// fabric manager's socket frame (fm_frame.h) carries exactly one. Layout, little-endian:
//   00h category (0 request, 1 response)   01h message tag   02h reserved
//   03h command   04h command set   05h payload length (3 bytes)
//   08h return code (§8.2.10 Table 8-34; 0 in requests)   0Ah vendor-specific extended status
//   0Ch payload
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "device/mbox_layout.h"

namespace cxlsim::fm {

struct CciMessage {
  static constexpr size_t kHeaderSize = 0x0c;
  static constexpr uint32_t kMaxPayload = 1u << 20;  // the largest payload either side accepts
  static constexpr device::LeField kCategory{0x00, 1};
  static constexpr device::LeField kTag{0x01, 1};
  static constexpr device::LeField kCommand{0x03, 1};
  static constexpr device::LeField kCommandSet{0x04, 1};
  static constexpr device::LeField kPayloadLength{0x05, 3};
  static constexpr device::LeField kReturnCode{0x08, 2};
  static constexpr device::LeField kVendorStatus{0x0a, 2};
  static constexpr uint8_t kRequest = 0;
  static constexpr uint8_t kResponse = 1;

  uint8_t category = kRequest;
  uint8_t tag = 0;
  uint16_t opcode = 0;  // command set << 8 | command
  uint16_t return_code = 0;
  std::vector<uint8_t> payload;

  bool operator==(const CciMessage&) const = default;
};
static_assert(device::check_layout(CciMessage::kHeaderSize, CciMessage::kCategory, CciMessage::kTag,
                                   CciMessage::kCommand, CciMessage::kCommandSet,
                                   CciMessage::kPayloadLength, CciMessage::kReturnCode,
                                   CciMessage::kVendorStatus));

// Header then payload.
[[nodiscard]] std::vector<uint8_t> encode_cci_message(const CciMessage& m);

// The payload length a header announces (the first kHeaderSize bytes of `header`).
[[nodiscard]] uint32_t cci_payload_length(std::span<const uint8_t> header);

// A whole message: nullopt unless `bytes` is at least a header, the category is a request or a
// response, and the announced payload length is exactly what follows and at most kMaxPayload.
[[nodiscard]] std::optional<CciMessage> decode_cci_message(std::span<const uint8_t> bytes);

}  // namespace cxlsim::fm
