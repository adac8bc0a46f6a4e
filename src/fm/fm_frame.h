// The frame of cxlsim's fabric-manager socket: an 8-byte transport header, then one CCI message
// (cci_message.h). Declared once; the daemon and the client both use it. Little-endian:
//   00h magic "CXFM" (4)   04h version (2)   06h reserved (2)   08h the CCI message
// A peer that sends a wrong magic or version, or a CCI message that does not decode, gets no
// answer: the connection is closed (it may not be speaking this protocol at all).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "device/mbox_layout.h"
#include "fm/cci_message.h"

namespace cxlsim::fm {

struct FrameHeader {
  static constexpr uint32_t kMagic = 0x4d465843;  // "CXFM" read little-endian
  static constexpr uint16_t kVersion = 1;
  static constexpr size_t kSize = 0x08;
  static constexpr device::LeField kMagicField{0x00, 4};
  static constexpr device::LeField kVersionField{0x04, 2};
};
static_assert(device::check_layout(FrameHeader::kSize, FrameHeader::kMagicField,
                                   FrameHeader::kVersionField));

// What precedes a frame's payload: the transport header and the CCI message header.
inline constexpr size_t kFrameFixedSize = FrameHeader::kSize + CciMessage::kHeaderSize;

[[nodiscard]] std::vector<uint8_t> encode_frame(const CciMessage& m);

enum class FrameError { kNone, kBadMagic, kBadVersion, kTooLong };

// Checks the first kFrameFixedSize bytes of a frame; on kNone, `*payload_length` is what follows.
[[nodiscard]] FrameError check_frame_start(std::span<const uint8_t> start,
                                           uint32_t* payload_length);

}  // namespace cxlsim::fm
