// PCIe link width and speed as the Link Capabilities register states them (PCIe 6.0 §7.5.3.6:
// Max Link Speed, Maximum Link Width) and as link training settles them (§4.2.6: both ends
// train to the highest speed and the widest width they have in common). CXL runs over these
// electricals (CXL 3.1 §6.4: 68B flits up to 32 GT/s, 256B flits at 64 GT/s).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cxlsim {

// Per-lane transfer rate, numbered as the Supported Link Speeds Vector bits and the Max Link
// Speed field count them (1 = 2.5 GT/s, ..., 6 = 64 GT/s).
enum class LinkSpeed : uint8_t { k2_5GT = 1, k5GT = 2, k8GT = 3, k16GT = 4, k32GT = 5, k64GT = 6 };

inline constexpr uint8_t kMaxLinkSpeedCode = 6;

// Transfers per second per lane, in GT/s (2.5, 5, 8, 16, 32, 64).
double gt_per_s(LinkSpeed s);
// "2.5GT/s", "32GT/s", ...
std::string format_link_speed(LinkSpeed s);
// Reads "32GT/s", "32 GT/s", "32" or "2.5GT/s" (case-insensitive unit); nullopt when the text
// is not one of the six PCIe speeds.
std::optional<LinkSpeed> parse_link_speed(std::string_view text);
// The speed of exactly `gt` GT/s; nullopt for any other number.
std::optional<LinkSpeed> link_speed_of(double gt);
// True for a valid Max Link Speed code (1..6).
bool is_link_speed(LinkSpeed s);

// Line encoding efficiency at a speed: 8b/10b below 8 GT/s, 128b/130b for 8..32 GT/s
// (PCIe 6.0 §4.2.1, §4.2.2), 1 at 64 GT/s where PAM4 flit mode has no line code (§4.2.3:
// CRC and FEC live in the 256B flit instead).
double encoding_efficiency(LinkSpeed s);

// Lane counts a CXL/PCIe 6 link may have: x1, x2, x4, x8, x16.
bool is_link_width(unsigned lanes);

// What one end of a link can do. An absent field puts no limit on the link (the timing model
// then falls back to the device profile's link).
struct LinkCaps {
  std::optional<unsigned> width;  // lanes
  std::optional<LinkSpeed> speed;
  [[nodiscard]] bool empty() const { return !width && !speed; }
  bool operator==(const LinkCaps&) const = default;
};

// The link two ends train to: per field, the smaller of the values given (an absent value
// is no limit; absent on both ends stays absent).
LinkCaps negotiate(const LinkCaps& a, const LinkCaps& b);

// "x8 32GT/s", "x8", "32GT/s"; "" when empty.
std::string to_string(const LinkCaps& c);

}  // namespace cxlsim
