#include "spec/pcie_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cxlsim {
namespace {

constexpr double kGt[] = {0.0, 2.5, 5.0, 8.0, 16.0, 32.0, 64.0};

template <typename T>
std::optional<T> min_of(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

bool is_link_speed(LinkSpeed s) {
  const auto c = static_cast<uint8_t>(s);
  return c >= 1 && c <= kMaxLinkSpeedCode;
}

double gt_per_s(LinkSpeed s) { return is_link_speed(s) ? kGt[static_cast<uint8_t>(s)] : 0.0; }

std::string format_link_speed(LinkSpeed s) { return fmt::format("{}GT/s", gt_per_s(s)); }

std::optional<LinkSpeed> link_speed_of(double gt) {
  for (uint8_t c = 1; c <= kMaxLinkSpeedCode; ++c) {
    if (kGt[c] == gt) return static_cast<LinkSpeed>(c);
  }
  return std::nullopt;
}

std::optional<LinkSpeed> parse_link_speed(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (s.size() > 4 && s.ends_with("gt/s")) s.resize(s.size() - 4);
  for (uint8_t c = 1; c <= kMaxLinkSpeedCode; ++c) {
    if (s == fmt::format("{}", kGt[c])) return static_cast<LinkSpeed>(c);
  }
  return std::nullopt;
}

double encoding_efficiency(LinkSpeed s) {
  if (s == LinkSpeed::k64GT) return 1.0;
  if (gt_per_s(s) >= 8.0) return 128.0 / 130.0;
  return 8.0 / 10.0;
}

bool is_link_width(unsigned lanes) {
  return lanes == 1 || lanes == 2 || lanes == 4 || lanes == 8 || lanes == 16;
}

LinkCaps negotiate(const LinkCaps& a, const LinkCaps& b) {
  return LinkCaps{min_of(a.width, b.width), min_of(a.speed, b.speed)};
}

std::string to_string(const LinkCaps& c) {
  std::string out;
  if (c.width) out = fmt::format("x{}", *c.width);
  if (c.speed) out += (out.empty() ? "" : " ") + format_link_speed(*c.speed);
  return out;
}

}  // namespace cxlsim
