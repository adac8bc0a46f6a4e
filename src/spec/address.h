// Address types. HDM decode is a conversion between them: Hpa -> (memdev, Dpa) and back.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

#include "spec/units.h"

namespace cxlsim {

// Tagged 64-bit address; distinct tags do not mix.
template <typename Tag>
class Address {
 public:
  constexpr Address() = default;
  constexpr explicit Address(uint64_t v) : v_(v) {}
  [[nodiscard]] constexpr uint64_t value() const { return v_; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr auto operator<=>(const Address&) const = default;
  constexpr Address operator+(Bytes b) const { return Address(v_ + b.value()); }
  constexpr Address operator-(Bytes b) const { return Address(v_ - b.value()); }
  constexpr Bytes operator-(Address o) const { return Bytes(v_ - o.v_); }

 private:
  uint64_t v_ = 0;
};

struct HpaTag {};
struct DpaTag {};
// Host physical address: what the CPU issues, decoded by CFMWS and HDM decoders.
using Hpa = Address<HpaTag>;
// Device physical address: an offset into one memory device's capacity.
using Dpa = Address<DpaTag>;

}  // namespace cxlsim

template <typename Tag>
struct std::hash<cxlsim::Address<Tag>> {
  size_t operator()(const cxlsim::Address<Tag>& a) const noexcept {
    return std::hash<uint64_t>{}(a.value());
  }
};
