// Little-endian payload encoding for mailbox commands (CXL 3.1 §8.2.9: all multi-byte fields
// are little-endian). Payload structs are decoded field by field at the offsets of the spec
// tables; no packed structs are overlaid on buffers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxlsim::device {

// Reads an unsigned little-endian integer of `n` bytes (1..8) at `off`. The caller has checked
// that the payload is long enough (the mailbox enforces each command's input length).
uint64_t get_le(std::span<const uint8_t> buf, size_t off, size_t n);
inline uint8_t get_u8(std::span<const uint8_t> b, size_t off) { return b[off]; }
inline uint16_t get_u16(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint16_t>(get_le(b, off, 2));
}
inline uint32_t get_u32(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint32_t>(get_le(b, off, 4));
}
inline uint64_t get_u64(std::span<const uint8_t> b, size_t off) { return get_le(b, off, 8); }

// Writes the low `n` bytes of `v` little-endian at `off`, growing `buf` as needed.
void put_le(std::vector<uint8_t>& buf, size_t off, uint64_t v, size_t n);
// The same into a buffer of fixed size (a record), which must hold [off, off + n).
void put_le(std::span<uint8_t> buf, size_t off, uint64_t v, size_t n);
void put_bytes(std::vector<uint8_t>& buf, size_t off, std::span<const uint8_t> bytes);

// A 16-byte UUID in the byte order the CXL spec stores it (RFC 4122 network order, as Linux's
// UUID_INIT and QEMU produce).
using Uuid = std::array<uint8_t, 16>;
// Parses "0da9c0b5-bf41-4b78-8f79-96b1623b3f17"; throws std::invalid_argument when malformed.
Uuid parse_uuid(std::string_view text);
std::string format_uuid(const Uuid& u);

// Parses hex bytes ("00 1f 2a", "001f2a", "0x00,0x1f") for raw payloads and state files.
// Throws std::invalid_argument naming the offending character.
std::vector<uint8_t> parse_hex_bytes(std::string_view text);
std::string format_hex_bytes(std::span<const uint8_t> bytes, std::string_view sep = "");

}  // namespace cxlsim::device
