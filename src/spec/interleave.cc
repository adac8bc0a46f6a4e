#include "spec/interleave.h"

#include <array>
#include <bit>

namespace cxlsim {

std::optional<uint8_t> ways_to_eiw(unsigned ways) {
  switch (ways) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
    case 16:
      return 4;
    case 3:
      return 8;
    case 6:
      return 9;
    case 12:
      return 10;
    default:
      return std::nullopt;
  }
}

std::optional<unsigned> eiw_to_ways(uint8_t eiw) {
  if (eiw <= 4) return 1u << eiw;
  if (eiw >= 8 && eiw <= 10) return 3u << (eiw - 8);
  return std::nullopt;
}

std::optional<uint8_t> granularity_to_eig(Bytes granularity) {
  if (!is_valid_granularity(granularity.value())) return std::nullopt;
  return static_cast<uint8_t>(std::countr_zero(granularity.value()) - 8);
}

std::optional<Bytes> eig_to_granularity(uint8_t eig) {
  if (eig > 6) return std::nullopt;
  return Bytes(256ull << eig);
}

std::span<const unsigned> all_ways() {
  static constexpr std::array<unsigned, 8> kWays = {1, 2, 3, 4, 6, 8, 12, 16};
  return kWays;
}

namespace {
// Number of interleave-select bits that are plain HPA bits (the power-of-two factor of ways).
unsigned pow2_bits(unsigned ways) { return static_cast<unsigned>(std::countr_zero(ways)); }
bool has_mod3(unsigned ways) { return ways % 3 == 0; }
}  // namespace

unsigned interleave_target(uint64_t hpa, unsigned ways, Bytes granularity) {
  const auto ig = static_cast<unsigned>(std::countr_zero(granularity.value()));
  const unsigned iw = pow2_bits(ways);
  const uint64_t low = (hpa >> ig) & ((1ull << iw) - 1);
  if (!has_mod3(ways)) return static_cast<unsigned>(low);
  const uint64_t group = ((hpa & ((1ull << 52) - 1)) >> (ig + iw)) % 3;
  return static_cast<unsigned>(low + (group << iw));
}

uint64_t hpa_offset_to_dpa_offset(uint64_t hpa_offset, unsigned ways, Bytes granularity) {
  const auto ig = static_cast<unsigned>(std::countr_zero(granularity.value()));
  const unsigned iw = pow2_bits(ways);
  const uint64_t within = hpa_offset & ((1ull << ig) - 1);
  uint64_t upper = hpa_offset >> (ig + iw);
  if (has_mod3(ways)) upper /= 3;
  return (upper << ig) | within;
}

}  // namespace cxlsim
