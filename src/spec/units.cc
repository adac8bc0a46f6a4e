#include "spec/units.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "spec/error.h"

namespace cxlsim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "12.5GB/s" into 12.5 and "GB/s". Throws when no number leads.
std::pair<double, std::string_view> split_number(std::string_view text, const char* what) {
  std::string_view s = trim(text);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v) || v < 0) {
    throw ParseError(
        fmt::format("invalid {} '{}': expected a non-negative number with a unit", what, text));
  }
  return {v, trim(std::string_view(p, static_cast<size_t>(s.data() + s.size() - p)))};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

void duration_out_of_range(double ps) {
  throw std::out_of_range(
      fmt::format("duration of {} ns is out of range (at most about 106 days)", ps / 1000.0));
}

Bytes parse_bytes(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
    if (ec != std::errc() || p != s.data() + s.size()) {
      throw ParseError(fmt::format("invalid size '{}': bad hexadecimal number", text));
    }
    return Bytes(v);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) {
    throw ParseError(fmt::format("invalid size '{}': expected a number such as 256M or 4G", text));
  }
  std::string_view suffix = trim(std::string_view(p, static_cast<size_t>(s.data() + s.size() - p)));
  unsigned shift = 0;
  if (suffix.empty() || iequals(suffix, "b")) {
    shift = 0;
  } else if (iequals(suffix, "k") || iequals(suffix, "kib") || iequals(suffix, "kb")) {
    shift = 10;
  } else if (iequals(suffix, "m") || iequals(suffix, "mib") || iequals(suffix, "mb")) {
    shift = 20;
  } else if (iequals(suffix, "g") || iequals(suffix, "gib") || iequals(suffix, "gb")) {
    shift = 30;
  } else if (iequals(suffix, "t") || iequals(suffix, "tib") || iequals(suffix, "tb")) {
    shift = 40;
  } else {
    throw ParseError(
        fmt::format("invalid size '{}': unknown unit '{}' (use k, M, G or T)", text, suffix));
  }
  if (shift > 0 && v > (std::numeric_limits<uint64_t>::max() >> shift)) {
    throw ParseError(fmt::format("invalid size '{}': too large", text));
  }
  return Bytes(v << shift);
}

Duration parse_duration(std::string_view text) {
  auto [v, unit] = split_number(text, "duration");
  double scale = 0;
  if (unit.empty() || unit == "ns") {
    scale = 1.0;
  } else if (unit == "ps") {
    scale = 1e-3;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else {
    throw ParseError(fmt::format(
        "invalid duration '{}': unknown unit '{}' (use ps, ns, us, ms or s)", text, unit));
  }
  return Duration::ns(v * scale);
}

Bandwidth parse_bandwidth(std::string_view text) {
  auto [v, unit] = split_number(text, "bandwidth");
  double scale = 0;
  if (iequals(unit, "GB/s")) {
    scale = 1e9;
  } else if (iequals(unit, "MB/s")) {
    scale = 1e6;
  } else if (iequals(unit, "KB/s")) {
    scale = 1e3;
  } else if (iequals(unit, "B/s")) {
    scale = 1;
  } else if (unit == "GiB/s") {
    scale = 1073741824.0;
  } else if (unit == "MiB/s") {
    scale = 1048576.0;
  } else {
    throw ParseError(fmt::format(
        "invalid bandwidth '{}': unknown unit '{}' (use GB/s, MB/s or GiB/s)", text, unit));
  }
  return Bandwidth::bytes_per_second(v * scale);
}

std::string format_bytes(Bytes b) {
  static constexpr const char* kNames[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  uint64_t v = b.value();
  unsigned i = 0;
  while (i < 4 && v != 0 && (v & 1023) == 0) {
    v >>= 10;
    ++i;
  }
  return fmt::format("{} {}", v, kNames[i]);
}

std::string format_qemu_size(Bytes b) {
  static constexpr const char* kNames[] = {"", "K", "M", "G", "T"};
  uint64_t v = b.value();
  unsigned i = 0;
  while (i < 4 && v != 0 && (v & 1023) == 0) {
    v >>= 10;
    ++i;
  }
  return fmt::format("{}{}", v, kNames[i]);
}

}  // namespace cxlsim
