#include "ptx/half.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ptx/warp.h"

namespace cxlsim::ptx {

double half_to_double(uint16_t h) {
  const bool neg = (h & 0x8000) != 0;
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  double v;
  if (exp == 0x1F) {
    v = mant != 0 ? std::numeric_limits<double>::quiet_NaN()
                  : std::numeric_limits<double>::infinity();
  } else if (exp == 0) {
    v = std::ldexp(static_cast<double>(mant), -24);
  } else {
    v = std::ldexp(static_cast<double>(mant + 1024), exp - 25);
  }
  return neg ? -v : v;
}

uint16_t double_to_half(double v, uint8_t mode) {
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  if (std::isnan(v)) return 0x7FFF;  // PTX's canonical NaN
  const double a = std::fabs(v);
  const uint8_t rounding = mode & kRoundMask;
  // Rounding the magnitude: toward zero, or away from it (+inf for positive, -inf for negative).
  const bool up = (rounding == kRoundUp && sign == 0) || (rounding == kRoundDown && sign != 0);
  const bool down = rounding == kRoundZero || (rounding == kRoundUp && sign != 0) ||
                    (rounding == kRoundDown && sign == 0);
  if (std::isinf(a)) return static_cast<uint16_t>(sign | 0x7C00);
  // Quantum: 2^-24 below 2^-14 (subnormals), else 2^(exponent - 10).
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  const int q = a < std::ldexp(1.0, -14) ? -24 : e - 11;
  const double scaled = std::ldexp(a, -q);  // exact
  double n = up ? std::ceil(scaled) : down ? std::trunc(scaled) : std::nearbyint(scaled);
  double r = std::ldexp(n, q);
  if (r > 65504.0) {
    if (down) return static_cast<uint16_t>(sign | 0x7BFF);
    return static_cast<uint16_t>(sign | 0x7C00);
  }
  if (r < std::ldexp(1.0, -14)) {
    if ((mode & kFtz) != 0) return sign;
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::ldexp(r, 24)));
  }
  std::frexp(r, &e);
  const auto mant = static_cast<uint16_t>(std::ldexp(r, 11 - e) - 1024);
  return static_cast<uint16_t>(sign | ((e + 14) << 10) | mant);
}

namespace {

double in_half(uint64_t bits, uint8_t mode) {
  const double v = half_to_double(static_cast<uint16_t>(bits));
  if ((mode & kFtz) != 0 && v != 0 && std::fabs(v) < std::ldexp(1.0, -14)) {
    return std::copysign(0.0, v);
  }
  return v;
}
uint64_t out_half(double v, uint8_t mode) {
  if ((mode & kSat) != 0) v = std::isnan(v) ? 0.0 : std::clamp(v, 0.0, 1.0);
  return double_to_half(v, mode);
}

// Sums and products of two halves are exact in double, so one rounding to half is correct.
template <Arith op>
void half_binary(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const double a = in_half(w.regs[in.a[0] * kWarpSize + l], in.mode);
    const double b = in_half(w.regs[in.a[1] * kWarpSize + l], in.mode);
    double r = 0;
    if constexpr (op == Arith::Add) r = a + b;
    if constexpr (op == Arith::Sub) r = a - b;
    if constexpr (op == Arith::MulLo) r = a * b;
    if constexpr (op == Arith::Min || op == Arith::Max) {
      if (std::isnan(a) || std::isnan(b)) {
        r = std::isnan(a) ? b : a;
      } else if (a == b) {
        r = (std::signbit(a) == (op == Arith::Min)) ? a : b;
      } else {
        r = (a < b) == (op == Arith::Min) ? a : b;
      }
    }
    w.regs[in.d[0] * kWarpSize + l] = out_half(r, in.mode);
  });
}

template <Unary op>
void half_unary(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const auto h = static_cast<uint16_t>(w.regs[in.a[0] * kWarpSize + l]);
    uint16_t r = h;
    if constexpr (op == Unary::Neg) r = static_cast<uint16_t>(h ^ 0x8000);
    if constexpr (op == Unary::Abs) r = static_cast<uint16_t>(h & 0x7FFF);
    w.regs[in.d[0] * kWarpSize + l] = r;
  });
}

// a * b is exact in double; a * b + c is rounded to odd in double (53 bits, more than 11 + 2),
// so the final rounding to half is correct.
void half_fma(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const double a = in_half(w.regs[in.a[0] * kWarpSize + l], in.mode);
    const double b = in_half(w.regs[in.a[1] * kWarpSize + l], in.mode);
    const double c = in_half(w.regs[in.a[2] * kWarpSize + l], in.mode);
    const double p = a * b;
    double s = p + c;
    if (std::isfinite(s)) {
      const double bb = s - p;
      const double err = (p - (s - bb)) + (c - bb);
      if (err != 0 && (std::bit_cast<uint64_t>(s) & 1) == 0) {
        s = std::nextafter(s, err > 0 ? INFINITY : -INFINITY);
      }
    }
    w.regs[in.d[0] * kWarpSize + l] = out_half(s, in.mode);
  });
}

void half_setp(Warp& w, const Inst& in) {
  const auto c = static_cast<Cmp>(in.count);
  uint32_t bits = 0;
  for_lanes(w.exec, [&](uint32_t l) {
    const double a = half_to_double(static_cast<uint16_t>(w.regs[in.a[0] * kWarpSize + l]));
    const double b = half_to_double(static_cast<uint16_t>(w.regs[in.a[1] * kWarpSize + l]));
    const bool nan = std::isnan(a) || std::isnan(b);
    bool r = false;
    switch (c) {
      case Cmp::Eq:
        r = !nan && a == b;
        break;
      case Cmp::Ne:
        r = !nan && a != b;
        break;
      case Cmp::Lt:
        r = !nan && a < b;
        break;
      case Cmp::Le:
        r = !nan && a <= b;
        break;
      case Cmp::Gt:
        r = !nan && a > b;
        break;
      case Cmp::Ge:
        r = !nan && a >= b;
        break;
      case Cmp::Equ:
        r = nan || a == b;
        break;
      case Cmp::Neu:
        r = nan || a != b;
        break;
      case Cmp::Ltu:
        r = nan || a < b;
        break;
      case Cmp::Leu:
        r = nan || a <= b;
        break;
      case Cmp::Gtu:
        r = nan || a > b;
        break;
      case Cmp::Geu:
        r = nan || a >= b;
        break;
      case Cmp::Num:
        r = !nan;
        break;
      case Cmp::Nan:
        r = nan;
        break;
      default:
        break;
    }
    bits |= uint32_t{r} << l;
  });
  write_setp(w, in, bits);
}

// To half from S (float or an integer of at most 32 bits: exact in double).
template <class S>
void to_half(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    auto v = static_cast<double>(from_bits<S>(w.regs[in.a[0] * kWarpSize + l]));
    if (std::is_same_v<S, float> && (in.mode & kFtz) != 0 &&
        std::fpclassify(static_cast<float>(v)) == FP_SUBNORMAL) {
      v = std::copysign(0.0, v);
    }
    if ((in.mode & kIntRound) != 0) {
      const uint8_t r = in.mode & kRoundMask;
      v = r == kRoundZero   ? std::trunc(v)
          : r == kRoundDown ? std::floor(v)
          : r == kRoundUp   ? std::ceil(v)
                            : std::nearbyint(v);
    }
    w.regs[in.d[0] * kWarpSize + l] = out_half(v, static_cast<uint8_t>(in.mode & ~kIntRound));
  });
}

// From half to D: floats exactly; integers rounded by the .rXi mode and saturated, NaN to 0.
template <class D>
void from_half(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const double v = in_half(w.regs[in.a[0] * kWarpSize + l], in.mode);
    if constexpr (std::is_floating_point_v<D>) {
      D r = static_cast<D>(v);
      if ((in.mode & kSat) != 0) r = std::isnan(r) ? D(0) : std::clamp(r, D(0), D(1));
      set_reg<D>(w, in.d[0], l, r);
    } else {
      const uint8_t m = in.mode & kRoundMask;
      const double x = m == kRoundZero   ? std::trunc(v)
                       : m == kRoundDown ? std::floor(v)
                       : m == kRoundUp   ? std::ceil(v)
                                         : std::nearbyint(v);
      D r = 0;
      if (!std::isnan(x)) {
        using L = std::numeric_limits<D>;
        r = x <= static_cast<double>(L::min())   ? L::min()
            : x >= static_cast<double>(L::max()) ? L::max()
                                                 : static_cast<D>(x);
      }
      set_reg<D>(w, in.d[0], l, r);
    }
  });
}

}  // namespace

ExecFn half_arith_fn(Arith op) {
  switch (op) {
    case Arith::Add:
      return &half_binary<Arith::Add>;
    case Arith::Sub:
      return &half_binary<Arith::Sub>;
    case Arith::MulLo:
      return &half_binary<Arith::MulLo>;
    case Arith::Min:
      return &half_binary<Arith::Min>;
    case Arith::Max:
      return &half_binary<Arith::Max>;
    default:
      return nullptr;
  }
}
ExecFn half_unary_fn(Unary op) {
  switch (op) {
    case Unary::Neg:
      return &half_unary<Unary::Neg>;
    case Unary::Abs:
      return &half_unary<Unary::Abs>;
    case Unary::Mov:
      return &half_unary<Unary::Mov>;
    default:
      return nullptr;
  }
}
ExecFn half_fma_fn() { return &half_fma; }
ExecFn half_setp_fn() { return &half_setp; }

ExecFn half_cvt_fn(Type dst, Type src) {
  if (dst == Type::F16) {
    switch (src) {
      case Type::F32:
        return &to_half<float>;
      case Type::F64:
        return &to_half<double>;
      case Type::S8:
        return &to_half<int8_t>;
      case Type::S16:
        return &to_half<int16_t>;
      case Type::S32:
        return &to_half<int32_t>;
      case Type::U8:
        return &to_half<uint8_t>;
      case Type::U16:
        return &to_half<uint16_t>;
      case Type::U32:
        return &to_half<uint32_t>;
      default:
        return nullptr;
    }
  }
  if (src != Type::F16) return nullptr;
  switch (dst) {
    case Type::F32:
      return &from_half<float>;
    case Type::F64:
      return &from_half<double>;
    case Type::S8:
      return &from_half<int8_t>;
    case Type::S16:
      return &from_half<int16_t>;
    case Type::S32:
      return &from_half<int32_t>;
    case Type::U8:
      return &from_half<uint8_t>;
    case Type::U16:
      return &from_half<uint16_t>;
    case Type::U32:
      return &from_half<uint32_t>;
    default:
      return nullptr;
  }
}

}  // namespace cxlsim::ptx
