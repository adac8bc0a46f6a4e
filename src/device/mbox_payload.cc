#include "device/mbox_payload.h"

#include <stdexcept>

namespace cxlsim::device {

uint64_t get_le(std::span<const uint8_t> buf, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(buf[off + i]) << (8 * i);
  return v;
}

void put_le(std::span<uint8_t> buf, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) buf[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

void put_le(std::vector<uint8_t>& buf, size_t off, uint64_t v, size_t n) {
  if (buf.size() < off + n) buf.resize(off + n);
  put_le(std::span<uint8_t>(buf), off, v, n);
}

void put_bytes(std::vector<uint8_t>& buf, size_t off, std::span<const uint8_t> bytes) {
  if (buf.size() < off + bytes.size()) buf.resize(off + bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) buf[off + i] = bytes[i];
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Uuid parse_uuid(std::string_view text) {
  Uuid u{};
  size_t n = 0;
  int hi = -1;
  for (char c : text) {
    if (c == '-') continue;
    const int d = hex_digit(c);
    if (d < 0 || n >= 16) throw std::invalid_argument("bad UUID '" + std::string(text) + "'");
    if (hi < 0) {
      hi = d;
    } else {
      u[n++] = static_cast<uint8_t>(hi << 4 | d);
      hi = -1;
    }
  }
  if (n != 16 || hi >= 0) throw std::invalid_argument("bad UUID '" + std::string(text) + "'");
  return u;
}

std::string format_uuid(const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[u[i] >> 4];
    s += kHex[u[i] & 15];
  }
  return s;
}

std::vector<uint8_t> parse_hex_bytes(std::string_view text) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == ',' || c == ':' || c == '\n' || c == '\t') {
      if (hi >= 0) {
        throw std::invalid_argument("odd hex digit count before offset " + std::to_string(i));
      }
      continue;
    }
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X') && hi < 0) {
      ++i;
      continue;
    }
    const int d = hex_digit(c);
    if (d < 0) {
      throw std::invalid_argument(std::string("bad hex character '") + c + "' at offset " +
                                  std::to_string(i));
    }
    if (hi < 0) {
      hi = d;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | d));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

std::string format_hex_bytes(std::span<const uint8_t> bytes, std::string_view sep) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * (2 + sep.size()));
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += sep;
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 15];
  }
  return s;
}

}  // namespace cxlsim::device
