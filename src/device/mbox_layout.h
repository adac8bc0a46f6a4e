// The building blocks of mailbox payload layouts (CXL 3.1 §8.2.9: multi-byte fields are
// little-endian). A layout (device/mbox_payloads.h) names each field of a spec table once, with
// its offset and width; the device encodes and the CLI decodes through the same names, and
// check_layout() proves at compile time that the fields lie inside the payload, in order,
// without overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "device/mbox_payload.h"

namespace cxlsim::device {

// An unsigned little-endian field of `width` bytes (1..8) at `offset`.
struct LeField {
  size_t offset;
  size_t width;

  [[nodiscard]] constexpr size_t end() const { return offset + width; }
  // The field of a payload the caller has checked is long enough (the mailbox enforces each
  // command's input length; outputs are made by the device itself).
  [[nodiscard]] uint64_t get(std::span<const uint8_t> b) const { return get_le(b, offset, width); }
  // The field of the record that starts at `base` (for arrays of records).
  [[nodiscard]] uint64_t get(std::span<const uint8_t> b, size_t base) const {
    return get_le(b, base + offset, width);
  }
  // Writes the low `width` bytes of `v`, growing `b` as needed.
  void put(std::vector<uint8_t>& b, uint64_t v) const { put_le(b, offset, v, width); }
  void put(std::vector<uint8_t>& b, size_t base, uint64_t v) const {
    put_le(b, base + offset, v, width);
  }
  // Writes into a buffer of fixed size (a record), which must hold the field.
  void put(std::span<uint8_t> b, uint64_t v) const { put_le(b, offset, v, width); }
};

// A field of raw bytes (strings, passphrases, data) of `width` bytes at `offset`.
struct ByteField {
  size_t offset;
  size_t width;

  [[nodiscard]] constexpr size_t end() const { return offset + width; }
  [[nodiscard]] std::span<const uint8_t> get(std::span<const uint8_t> b) const {
    return b.subspan(offset, width);
  }
  [[nodiscard]] std::span<uint8_t> in(std::span<uint8_t> b) const {
    return b.subspan(offset, width);
  }
  // Copies `bytes` (at most `width`; the rest of the field is zero).
  void put(std::vector<uint8_t>& b, std::span<const uint8_t> bytes) const {
    if (b.size() < end()) b.resize(end(), 0);
    put_bytes(b, offset, bytes.first(bytes.size() < width ? bytes.size() : width));
  }
};

// True when every field ends at or before the next one's offset and the last at or before
// `size`: a layout with a typo in an offset or width does not compile (static_assert).
template <typename... Fields>
constexpr bool check_layout(size_t size, const Fields&... fields) {
  size_t at = 0;
  bool ok = true;
  ((ok = ok && fields.width > 0 && fields.offset >= at, at = fields.end()), ...);
  return ok && at <= size;
}

}  // namespace cxlsim::device
