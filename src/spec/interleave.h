// Interleave encodings of CXL 3.1 §8.2.4.20.7 (HDM Decoder n Control: IG, IW) and §9.17.1.3
// (CFMWS: ENIW, HBIG), and the address arithmetic the specification defines for them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "spec/units.h"

namespace cxlsim {

// Ways 1,2,4,8,16 encode as 0..4; 3,6,12 encode as 8,9,10. Others are invalid.
std::optional<uint8_t> ways_to_eiw(unsigned ways);
std::optional<unsigned> eiw_to_ways(uint8_t eiw);
// Granularity 256 B .. 16 KiB encodes as 0..6 (log2(granularity) - 8).
std::optional<uint8_t> granularity_to_eig(Bytes granularity);
std::optional<Bytes> eig_to_granularity(uint8_t eig);

constexpr bool is_valid_ways(unsigned w) {
  return w == 1 || w == 2 || w == 3 || w == 4 || w == 6 || w == 8 || w == 12 || w == 16;
}
constexpr bool is_valid_granularity(uint64_t g) {
  return g >= 256 && g <= 16384 && (g & (g - 1)) == 0;
}
// Every valid interleave ways value, ascending.
std::span<const unsigned> all_ways();

// The interleave target a decoder with `ways`/`granularity` selects for `hpa` (an absolute
// host physical address, as the specification's decoders see it): §8.2.4.20.13's rule,
// bits [IG+8+IW-1 : IG+8] for powers of two; for 3/6/12 ways the low IW bits above IG select
// within a group and HPA[51:IG+8+IW] mod 3 selects the group.
unsigned interleave_target(uint64_t hpa, unsigned ways, Bytes granularity);

// The device-side translation of §8.2.4.20.13 ("implementation note: device decode"):
// removes the interleave-select bits of an HPA offset, giving the DPA offset.
uint64_t hpa_offset_to_dpa_offset(uint64_t hpa_offset, unsigned ways, Bytes granularity);

}  // namespace cxlsim
