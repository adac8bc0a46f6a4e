// PTX operation semantics (PTX ISA 7.x, chapter 9.7). Integer arithmetic wraps (done in unsigned
// types); floating-point follows IEEE 754 with PTX's rounding, .ftz and .sat modifiers.
#include "ptx/ops.h"

#include <atomic>
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "ptx/warp.h"

namespace cxlsim::ptx {

uint32_t type_bytes(Type t) {
  switch (t) {
    case Type::B8:
    case Type::U8:
    case Type::S8:
      return 1;
    case Type::B16:
    case Type::U16:
    case Type::S16:
    case Type::F16:
      return 2;
    case Type::B32:
    case Type::U32:
    case Type::S32:
    case Type::F32:
      return 4;
    case Type::B64:
    case Type::U64:
    case Type::S64:
    case Type::F64:
      return 8;
    case Type::Pred:
      return 1;
  }
  return 0;
}
bool is_float(Type t) { return t == Type::F16 || t == Type::F32 || t == Type::F64; }
bool is_signed(Type t) {
  return t == Type::S8 || t == Type::S16 || t == Type::S32 || t == Type::S64;
}

namespace {

template <class T>
using U = std::make_unsigned_t<T>;
__extension__ using Int128 = __int128;
__extension__ using Uint128 = unsigned __int128;

// Picks H<T> for an integer or float PTX type; nullptr for types H does not take.
template <template <class> class H>
ExecFn by_int(Type t) {
  switch (t) {
    case Type::B16:
    case Type::U16:
      return H<uint16_t>::fn();
    case Type::S16:
      return H<int16_t>::fn();
    case Type::B32:
    case Type::U32:
      return H<uint32_t>::fn();
    case Type::S32:
      return H<int32_t>::fn();
    case Type::B64:
    case Type::U64:
      return H<uint64_t>::fn();
    case Type::S64:
      return H<int64_t>::fn();
    default:
      return nullptr;
  }
}
template <template <class> class H>
ExecFn by_float(Type t) {
  switch (t) {
    case Type::F32:
      return H<float>::fn();
    case Type::F64:
      return H<double>::fn();
    default:
      return nullptr;
  }
}
template <template <class> class H>
ExecFn by_any(Type t) {
  return is_float(t) ? by_float<H>(t) : by_int<H>(t);
}

// ---- floating-point helpers -------------------------------------------------------------------

// Sets the host rounding mode for the lifetime of the object (PTX .rz/.rm/.rp).
class Rounding {
 public:
  explicit Rounding(uint8_t mode) : mode_(mode & kRoundMask) {
    if (mode_ == kRoundNearest) {
      return;
    }
    old_ = std::fegetround();
    std::fesetround(mode_ == kRoundZero   ? FE_TOWARDZERO
                    : mode_ == kRoundDown ? FE_DOWNWARD
                                          : FE_UPWARD);
  }
  ~Rounding() {
    if (mode_ != kRoundNearest) {
      std::fesetround(old_);
    }
  }
  Rounding(const Rounding&) = delete;
  Rounding& operator=(const Rounding&) = delete;

 private:
  uint8_t mode_;
  int old_ = FE_TONEAREST;
};

template <class T>
T ftz(T v) {
  if constexpr (std::is_same_v<T, float>) {
    if (std::fpclassify(v) == FP_SUBNORMAL) {
      return std::copysign(0.0f, v);
    }
  }
  return v;
}
template <class T>
T saturate(T v) {
  if (std::isnan(v)) {
    return T(0);
  }
  return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
}
// Applies .ftz to an input or output and .sat to an output.
template <class T>
T in_mode(T v, uint8_t mode) {
  return (mode & kFtz) ? ftz(v) : v;
}
template <class T>
T out_mode(T v, uint8_t mode) {
  if (mode & kFtz) {
    v = ftz(v);
  }
  if (mode & kSat) {
    v = saturate(v);
  }
  return v;
}
// min/max: a NaN operand yields the other operand; -0.0 is less than +0.0 (PTX ISA 9.7.3.10).
template <class T>
T fmin_ptx(T a, T b) {
  if (std::isnan(a)) {
    return b;
  }
  if (std::isnan(b)) {
    return a;
  }
  if (a == b) {
    return std::signbit(a) ? a : b;
  }
  return a < b ? a : b;
}
template <class T>
T fmax_ptx(T a, T b) {
  if (std::isnan(a)) {
    return b;
  }
  if (std::isnan(b)) {
    return a;
  }
  if (a == b) {
    return std::signbit(a) ? b : a;
  }
  return a > b ? a : b;
}

// ---- integer helpers --------------------------------------------------------------------------

template <class T>
T add_sat(T a, T b) {
  T r;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
  }
  return r;
}
template <class T>
T sub_sat(T a, T b) {
  T r;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b < 0 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
  }
  return r;
}
template <class T>
T mul_hi(T a, T b) {
  if constexpr (sizeof(T) == 8) {
    using W = std::conditional_t<std::is_signed_v<T>, Int128, Uint128>;
    return static_cast<T>((static_cast<W>(a) * static_cast<W>(b)) >> 64);
  } else {
    using W = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
    return static_cast<T>((static_cast<W>(a) * static_cast<W>(b)) >> (8 * sizeof(T)));
  }
}
// Integer division by zero gives all ones for unsigned and -1 for signed types (what sm_70
// produces); the remainder by zero is the dividend. MIN / -1 wraps to MIN, remainder 0.
template <class T>
T int_div(T a, T b) {
  if (b == 0) {
    return static_cast<T>(-1);
  }
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) {
      return static_cast<T>(U<T>(0) - static_cast<U<T>>(a));
    }
  }
  return static_cast<T>(a / b);
}
template <class T>
T int_rem(T a, T b) {
  if (b == 0) {
    return a;
  }
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) {
      return 0;
    }
  }
  return static_cast<T>(a % b);
}
template <class T>
T shl(T a, uint32_t n) {
  if (n >= 8 * sizeof(T)) {
    return 0;
  }
  return static_cast<T>(static_cast<U<T>>(a) << n);
}
template <class T>
T shr(T a, uint32_t n) {
  if (n >= 8 * sizeof(T)) {
    n = 8 * sizeof(T) - 1 + (std::is_signed_v<T> ? 0 : 1);
  }
  if (n >= 8 * sizeof(T)) {
    return 0;
  }
  return static_cast<T>(a >> n);
}

// ---- binary arithmetic ------------------------------------------------------------------------

template <Arith op, class T>
T binary(T a, T b, uint8_t mode) {
  if constexpr (std::is_floating_point_v<T>) {
    a = in_mode(a, mode);
    b = in_mode(b, mode);
    T r{};
    if constexpr (op == Arith::Add) {
      r = a + b;
    }
    if constexpr (op == Arith::Sub) {
      r = a - b;
    }
    if constexpr (op == Arith::MulLo) {
      r = a * b;
    }
    if constexpr (op == Arith::Div) {
      r = a / b;
    }
    if constexpr (op == Arith::Min) {
      r = fmin_ptx(a, b);
    }
    if constexpr (op == Arith::Max) {
      r = fmax_ptx(a, b);
    }
    if constexpr (op == Arith::Copysign) {
      r = std::copysign(b, a);
    }
    return out_mode(r, mode);
  } else {
    using UT = U<T>;
    const UT ua = static_cast<UT>(a), ub = static_cast<UT>(b);
    if constexpr (op == Arith::Add) {
      return static_cast<T>(static_cast<UT>(ua + ub));
    }
    if constexpr (op == Arith::Sub) {
      return static_cast<T>(static_cast<UT>(ua - ub));
    }
    if constexpr (op == Arith::MulLo) {
      return static_cast<T>(static_cast<UT>(ua * ub));
    }
    if constexpr (op == Arith::MulHi) {
      return mul_hi(a, b);
    }
    if constexpr (op == Arith::Div) {
      return int_div(a, b);
    }
    if constexpr (op == Arith::Rem) {
      return int_rem(a, b);
    }
    if constexpr (op == Arith::Min) {
      return a < b ? a : b;
    }
    if constexpr (op == Arith::Max) {
      return a > b ? a : b;
    }
    if constexpr (op == Arith::And) {
      return static_cast<T>(ua & ub);
    }
    if constexpr (op == Arith::Or) {
      return static_cast<T>(ua | ub);
    }
    if constexpr (op == Arith::Xor) {
      return static_cast<T>(ua ^ ub);
    }
    if constexpr (op == Arith::AddSat) {
      return add_sat(a, b);
    }
    if constexpr (op == Arith::SubSat) {
      return sub_sat(a, b);
    }
    return T{};
  }
}

template <Arith op>
struct Binary {
  template <class T>
  struct H {
    static void run(Warp& w, const Inst& in) {
      uint64_t* d = w.regs + static_cast<size_t>(in.d[0]) * kWarpSize;
      const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
      const uint64_t* b = w.regs + static_cast<size_t>(in.a[1]) * kWarpSize;
      const uint8_t mode = in.mode;
      Rounding rounding(std::is_floating_point_v<T> ? mode : uint8_t{0});
      for_lanes(w.exec, [&](uint32_t l) {
        d[l] = to_bits(binary<op, T>(from_bits<T>(a[l]), from_bits<T>(b[l]), mode));
      });
    }
    static ExecFn fn() { return &run; }
  };
};

// Shifts take a .u32 shift amount whatever the type.
template <bool left>
struct Shift {
  template <class T>
  struct H {
    static void run(Warp& w, const Inst& in) {
      uint64_t* d = w.regs + static_cast<size_t>(in.d[0]) * kWarpSize;
      const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
      const uint64_t* b = w.regs + static_cast<size_t>(in.a[1]) * kWarpSize;
      for_lanes(w.exec, [&](uint32_t l) {
        const T v = from_bits<T>(a[l]);
        const auto n = static_cast<uint32_t>(b[l]);
        d[l] = to_bits(left ? shl(v, n) : shr(v, n));
      });
    }
    static ExecFn fn() { return &run; }
  };
};

// mul.wide: the product of two T in a type twice as wide.
template <class T>
struct MulWide {
  static void run(Warp& w, const Inst& in) {
    using W = std::conditional_t<std::is_signed_v<T>,
                                 std::conditional_t<sizeof(T) == 2, int32_t, int64_t>,
                                 std::conditional_t<sizeof(T) == 2, uint32_t, uint64_t>>;
    for_lanes(w.exec, [&](uint32_t l) {
      const W r = static_cast<W>(static_cast<W>(reg<T>(w, in.a[0], l)) *
                                 static_cast<W>(reg<T>(w, in.a[1], l)));
      set_reg<W>(w, in.d[0], l, r);
    });
  }
  static ExecFn fn() {
    if constexpr (sizeof(T) == 8) {
      return nullptr;
    } else {
      return &run;
    }
  }
};

// ---- unary --------------------------------------------------------------------------------------

template <Unary op, class T>
T unary(T a, uint8_t mode) {
  if constexpr (std::is_floating_point_v<T>) {
    a = in_mode(a, mode);
    T r{};
    if constexpr (op == Unary::Neg) {
      r = -a;
    }
    if constexpr (op == Unary::Abs) {
      r = std::fabs(a);
    }
    if constexpr (op == Unary::Sqrt) {
      r = std::sqrt(a);
    }
    if constexpr (op == Unary::Rcp) {
      r = T(1) / a;
    }
    if constexpr (op == Unary::Rsqrt) {
      r = T(1) / std::sqrt(a);
    }
    if constexpr (op == Unary::Sin) {
      r = static_cast<T>(std::sin(static_cast<double>(a)));
    }
    if constexpr (op == Unary::Cos) {
      r = static_cast<T>(std::cos(static_cast<double>(a)));
    }
    if constexpr (op == Unary::Ex2) {
      r = static_cast<T>(std::exp2(static_cast<double>(a)));
    }
    if constexpr (op == Unary::Lg2) {
      r = static_cast<T>(std::log2(static_cast<double>(a)));
    }
    if constexpr (op == Unary::Tanh) {
      r = static_cast<T>(std::tanh(static_cast<double>(a)));
    }
    if constexpr (op == Unary::Mov) {
      r = a;
    }
    return out_mode(r, mode);
  } else {
    using UT = U<T>;
    const UT ua = static_cast<UT>(a);
    if constexpr (op == Unary::Mov) {
      return a;
    }
    if constexpr (op == Unary::Neg) {
      return static_cast<T>(static_cast<UT>(UT(0) - ua));
    }
    if constexpr (op == Unary::Abs) {
      return a < 0 ? static_cast<T>(static_cast<UT>(UT(0) - ua)) : a;
    }
    if constexpr (op == Unary::Not) {
      return static_cast<T>(static_cast<UT>(~ua));
    }
    if constexpr (op == Unary::Cnot) {
      return a == 0 ? T(1) : T(0);
    }
    if constexpr (op == Unary::Brev) {
      UT r = 0;
      for (uint32_t i = 0; i < 8 * sizeof(T); ++i) {
        r = static_cast<UT>(r | (((ua >> i) & 1u) << (8 * sizeof(T) - 1 - i)));
      }
      return static_cast<T>(r);
    }
    return T{};
  }
}

template <Unary op>
struct UnaryH {
  template <class T>
  struct H {
    static void run(Warp& w, const Inst& in) {
      uint64_t* d = w.regs + static_cast<size_t>(in.d[0]) * kWarpSize;
      const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
      const uint8_t mode = in.mode;
      Rounding rounding(std::is_floating_point_v<T> ? mode : uint8_t{0});
      for_lanes(w.exec,
                [&](uint32_t l) { d[l] = to_bits(unary<op, T>(from_bits<T>(a[l]), mode)); });
    }
    static ExecFn fn() { return &run; }
  };
};

// popc and clz: .b32/.b64 source, .u32 result.
template <bool popc>
struct CountH {
  template <class T>
  struct H {
    static void run(Warp& w, const Inst& in) {
      for_lanes(w.exec, [&](uint32_t l) {
        const auto v = static_cast<U<T>>(reg<T>(w, in.a[0], l));
        set_reg<uint32_t>(w, in.d[0], l,
                          static_cast<uint32_t>(popc ? std::popcount(v) : std::countl_zero(v)));
      });
    }
    static ExecFn fn() { return &run; }
  };
};

// ---- ternary ------------------------------------------------------------------------------------

template <class T>
struct MadLo {
  static void run(Warp& w, const Inst& in) {
    using UT = U<T>;
    for_lanes(w.exec, [&](uint32_t l) {
      const auto r = static_cast<UT>(static_cast<UT>(reg<T>(w, in.a[0], l)) *
                                         static_cast<UT>(reg<T>(w, in.a[1], l)) +
                                     static_cast<UT>(reg<T>(w, in.a[2], l)));
      set_reg<T>(w, in.d[0], l, static_cast<T>(r));
    });
  }
  static ExecFn fn() { return &run; }
};
template <class T>
struct MadHi {
  static void run(Warp& w, const Inst& in) {
    using UT = U<T>;
    for_lanes(w.exec, [&](uint32_t l) {
      const T h = mul_hi(reg<T>(w, in.a[0], l), reg<T>(w, in.a[1], l));
      set_reg<T>(w, in.d[0], l,
                 static_cast<T>(
                     static_cast<UT>(static_cast<UT>(h) + static_cast<UT>(reg<T>(w, in.a[2], l)))));
    });
  }
  static ExecFn fn() { return &run; }
};
template <class T>
struct MadWide {
  static void run(Warp& w, const Inst& in) {
    using W = std::conditional_t<std::is_signed_v<T>,
                                 std::conditional_t<sizeof(T) == 2, int32_t, int64_t>,
                                 std::conditional_t<sizeof(T) == 2, uint32_t, uint64_t>>;
    using UW = U<W>;
    for_lanes(w.exec, [&](uint32_t l) {
      const auto p = static_cast<UW>(static_cast<W>(reg<T>(w, in.a[0], l)) *
                                     static_cast<W>(reg<T>(w, in.a[1], l)));
      set_reg<W>(w, in.d[0], l,
                 static_cast<W>(static_cast<UW>(p + static_cast<UW>(reg<W>(w, in.a[2], l)))));
    });
  }
  static ExecFn fn() {
    if constexpr (sizeof(T) == 8) {
      return nullptr;
    } else {
      return &run;
    }
  }
};
template <class T>
struct Fma {
  static void run(Warp& w, const Inst& in) {
    uint64_t* d = w.regs + static_cast<size_t>(in.d[0]) * kWarpSize;
    const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
    const uint64_t* b = w.regs + static_cast<size_t>(in.a[1]) * kWarpSize;
    const uint64_t* c = w.regs + static_cast<size_t>(in.a[2]) * kWarpSize;
    const uint8_t mode = in.mode;
    Rounding rounding(mode);
    if (mode == 0) {
      for_lanes(w.exec, [&](uint32_t l) {
        d[l] = to_bits(std::fma(from_bits<T>(a[l]), from_bits<T>(b[l]), from_bits<T>(c[l])));
      });
      return;
    }
    for_lanes(w.exec, [&](uint32_t l) {
      const T r = std::fma(in_mode(from_bits<T>(a[l]), mode), in_mode(from_bits<T>(b[l]), mode),
                           in_mode(from_bits<T>(c[l]), mode));
      d[l] = to_bits(out_mode(r, mode));
    });
  }
  static ExecFn fn() { return &run; }
};
// bfe: extract len bits at pos, sign-extended for signed types (PTX ISA 9.7.1.17).
template <class T>
struct Bfe {
  static void run(Warp& w, const Inst& in) {
    constexpr uint32_t kMsb = 8 * sizeof(T) - 1;
    using UT = U<T>;
    for_lanes(w.exec, [&](uint32_t l) {
      const auto a = static_cast<UT>(reg<T>(w, in.a[0], l));
      const uint32_t pos = reg<uint32_t>(w, in.a[1], l) & 0xFF;
      const uint32_t len = reg<uint32_t>(w, in.a[2], l) & 0xFF;
      bool sbit = false;
      if constexpr (std::is_signed_v<T>) {
        const uint32_t top = std::min(pos + len - 1, kMsb);
        sbit = len != 0 && ((a >> (pos >= kMsb ? kMsb : top)) & 1u);
      }
      UT r = 0;
      for (uint32_t i = 0; i <= kMsb; ++i) {
        const bool bit = (i < len && pos + i <= kMsb) ? ((a >> (pos + i)) & 1u) : sbit;
        r = static_cast<UT>(r | (static_cast<UT>(bit) << i));
      }
      set_reg<T>(w, in.d[0], l, static_cast<T>(r));
    });
  }
  static ExecFn fn() {
    if constexpr (sizeof(T) < 4) {
      return nullptr;
    } else {
      return &run;
    }
  }
};
// bfi: insert len low bits of a into b at pos.
template <class T>
struct Bfi {
  static void run(Warp& w, const Inst& in) {
    constexpr uint32_t kBits = 8 * sizeof(T);
    using UT = U<T>;
    for_lanes(w.exec, [&](uint32_t l) {
      const auto a = static_cast<UT>(reg<T>(w, in.a[0], l));
      auto f = static_cast<UT>(reg<T>(w, in.a[1], l));
      const uint32_t pos = reg<uint32_t>(w, in.a[2], l) & 0xFF;
      const uint32_t len = reg<uint32_t>(w, in.a[3], l) & 0xFF;
      for (uint32_t i = 0; i < len && pos + i < kBits; ++i) {
        const UT m = static_cast<UT>(UT{1} << (pos + i));
        f = static_cast<UT>(((a >> i) & 1u) ? (f | m) : (f & ~m));
      }
      set_reg<T>(w, in.d[0], l, static_cast<T>(f));
    });
  }
  static ExecFn fn() {
    if constexpr (sizeof(T) < 4) {
      return nullptr;
    } else {
      return &run;
    }
  }
};
// prmt.b32: byte permute; Inst::mode 0 is the default mode, 1..6 f4e b4e rc8 ecl ecr rc16.
void prmt_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const uint64_t x =
        (uint64_t{reg<uint32_t>(w, in.a[1], l)} << 32) | reg<uint32_t>(w, in.a[0], l);
    const auto c = reg<uint32_t>(w, in.a[2], l);
    auto byte = [&](uint32_t i) { return static_cast<uint32_t>((x >> (8 * (i & 7))) & 0xFF); };
    uint32_t sel[4];
    const uint32_t n = c & 3;
    switch (in.mode) {
      case 1:
        for (uint32_t i = 0; i < 4; ++i) {
          sel[i] = (n + i) & 7;
        }
        break;  // f4e
      case 2:
        for (uint32_t i = 0; i < 4; ++i) {
          sel[i] = (n + 8 - i) & 7;
        }
        break;  // b4e
      case 3:
        for (unsigned int& i : sel) {
          i = n;
        }
        break;  // rc8
      case 4:
        for (uint32_t i = 0; i < 4; ++i) {
          sel[i] = std::max(i, n);
        }
        break;  // ecl
      case 5:
        for (uint32_t i = 0; i < 4; ++i) {
          sel[i] = std::min(i, n);
        }
        break;  // ecr
      case 6:
        for (uint32_t i = 0; i < 4; ++i) {
          sel[i] = ((c & 1) * 2) + (i & 1);
        }
        break;  // rc16
      default:
        break;
    }
    uint32_t r = 0;
    for (uint32_t i = 0; i < 4; ++i) {
      uint32_t b;
      if (in.mode == 0) {
        const uint32_t s = (c >> (4 * i)) & 0xF;
        b = byte(s & 7);
        if (s & 8) {
          b = (b & 0x80) ? 0xFF : 0;  // replicate the sign bit
        }
      } else {
        b = byte(sel[i]);
      }
      r |= b << (8 * i);
    }
    set_reg<uint32_t>(w, in.d[0], l, r);
  });
}
template <class T>
struct Selp {
  static void run(Warp& w, const Inst& in) {
    const uint32_t p = w.preds[in.a[2]];
    uint64_t* d = w.regs + static_cast<size_t>(in.d[0]) * kWarpSize;
    const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
    const uint64_t* b = w.regs + static_cast<size_t>(in.a[1]) * kWarpSize;
    for_lanes(w.exec, [&](uint32_t l) { d[l] = ((p >> l) & 1u) ? a[l] : b[l]; });
  }
  static ExecFn fn() { return &run; }
};

// ---- comparison -----------------------------------------------------------------------------

template <class T>
bool compare(Cmp c, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool nan = std::isnan(a) || std::isnan(b);
    switch (c) {
      case Cmp::Eq:
        return !nan && a == b;
      case Cmp::Ne:
        return !nan && a != b;
      case Cmp::Lt:
        return !nan && a < b;
      case Cmp::Le:
        return !nan && a <= b;
      case Cmp::Gt:
        return !nan && a > b;
      case Cmp::Ge:
        return !nan && a >= b;
      case Cmp::Equ:
        return nan || a == b;
      case Cmp::Neu:
        return nan || a != b;
      case Cmp::Ltu:
        return nan || a < b;
      case Cmp::Leu:
        return nan || a <= b;
      case Cmp::Gtu:
        return nan || a > b;
      case Cmp::Geu:
        return nan || a >= b;
      case Cmp::Num:
        return !nan;
      case Cmp::Nan:
        return nan;
      default:
        return false;
    }
  } else {
    using UT = U<T>;
    switch (c) {
      case Cmp::Eq:
        return a == b;
      case Cmp::Ne:
        return a != b;
      case Cmp::Lt:
        return a < b;
      case Cmp::Le:
        return a <= b;
      case Cmp::Gt:
        return a > b;
      case Cmp::Ge:
        return a >= b;
      case Cmp::Lo:
        return static_cast<UT>(a) < static_cast<UT>(b);
      case Cmp::Ls:
        return static_cast<UT>(a) <= static_cast<UT>(b);
      case Cmp::Hi:
        return static_cast<UT>(a) > static_cast<UT>(b);
      case Cmp::Hs:
        return static_cast<UT>(a) >= static_cast<UT>(b);
      default:
        return false;
    }
  }
}

// setp writes predicate lane bits; Inst::count is the Cmp, Inst::mode the BoolOp with a[2],
// and d[1] the optional complement destination (kTruePred when absent, never written then).
template <class T>
struct Setp {
  static void run(Warp& w, const Inst& in) {
    const auto c = static_cast<Cmp>(in.count);
    const uint64_t* a = w.regs + static_cast<size_t>(in.a[0]) * kWarpSize;
    const uint64_t* b = w.regs + static_cast<size_t>(in.a[1]) * kWarpSize;
    uint32_t bits = 0;
    for_lanes(w.exec, [&](uint32_t l) {
      bits |= uint32_t{compare(c, from_bits<T>(a[l]), from_bits<T>(b[l]))} << l;
    });
    write_setp(w, in, bits);
  }
  static ExecFn fn() { return &run; }
};

// ---- conversion ---------------------------------------------------------------------------

template <class F>
F round_integral(F v, uint8_t mode) {
  switch (mode & kRoundMask) {
    case kRoundZero:
      return std::trunc(v);
    case kRoundDown:
      return std::floor(v);
    case kRoundUp:
      return std::ceil(v);
    default:
      return std::nearbyint(v);  // ties to even in the default environment
  }
}

// One conversion per PTX ISA 9.7.8.21 (cvt): float to integer rounds by the .rXi mode and
// saturates (NaN gives 0); integer to integer truncates or, with .sat, clamps.
template <class D, class S>
D convert(S v, uint8_t mode) {
  if constexpr (std::is_floating_point_v<S> && std::is_floating_point_v<D>) {
    S x = in_mode(v, mode);
    if (mode & kIntRound) {
      x = round_integral(x, mode);
    }
    D r;
    if constexpr (sizeof(D) < sizeof(S)) {
      Rounding rounding(mode & kIntRound ? uint8_t{0} : mode);
      volatile S vx = x;
      r = static_cast<D>(vx);
    } else {
      r = static_cast<D>(x);
    }
    return out_mode(r, mode);
  } else if constexpr (std::is_floating_point_v<S>) {
    const S x = round_integral(in_mode(v, mode), mode);
    if (std::isnan(x)) {
      return D(0);
    }
    if (x <= static_cast<S>(std::numeric_limits<D>::min())) {
      return std::numeric_limits<D>::min();
    }
    if (x >= static_cast<S>(std::numeric_limits<D>::max())) {
      return std::numeric_limits<D>::max();
    }
    return static_cast<D>(x);
  } else if constexpr (std::is_floating_point_v<D>) {
    Rounding rounding(mode);
    volatile S vx = v;
    return out_mode(static_cast<D>(vx), mode);
  } else {
    if (mode & kSat) {
      using L = std::numeric_limits<D>;
      if (std::cmp_less(v, L::min())) {
        return L::min();
      }
      if (std::cmp_greater(v, L::max())) {
        return L::max();
      }
    }
    return static_cast<D>(v);
  }
}

template <class D>
struct CvtTo {
  template <class S>
  struct H {
    static void run(Warp& w, const Inst& in) {
      const uint8_t mode = in.mode;
      for_lanes(w.exec, [&](uint32_t l) {
        set_reg<D>(w, in.d[0], l, convert<D, S>(reg<S>(w, in.a[0], l), mode));
      });
    }
    static ExecFn fn() { return &run; }
  };
};

template <class S>
ExecFn cvt_from(Type src) {
  switch (src) {
    case Type::U8:
      return CvtTo<S>::template H<uint8_t>::fn();
    case Type::S8:
      return CvtTo<S>::template H<int8_t>::fn();
    case Type::U16:
      return CvtTo<S>::template H<uint16_t>::fn();
    case Type::S16:
      return CvtTo<S>::template H<int16_t>::fn();
    case Type::U32:
      return CvtTo<S>::template H<uint32_t>::fn();
    case Type::S32:
      return CvtTo<S>::template H<int32_t>::fn();
    case Type::U64:
      return CvtTo<S>::template H<uint64_t>::fn();
    case Type::S64:
      return CvtTo<S>::template H<int64_t>::fn();
    case Type::F32:
      return CvtTo<S>::template H<float>::fn();
    case Type::F64:
      return CvtTo<S>::template H<double>::fn();
    default:
      return nullptr;
  }
}

// ---- memory ------------------------------------------------------------------------------------

template <class T, uint32_t N>
struct Load {
  static void run(Warp& w, const Inst& in) {
    const uint64_t* base = w.regs + static_cast<size_t>(in.b) * kWarpSize;
    const Space space = in.space;
    for_lanes(w.exec, [&](uint32_t l) {
      const std::byte* p =
          w.resolve(space, base[l] + static_cast<uint64_t>(in.offset), N * sizeof(T), l);
      for (uint32_t i = 0; i < N; ++i) {
        set_reg<T>(w, in.d[i], l, load_mem<T>(p + i * sizeof(T)));
      }
    });
  }
};
template <class T, uint32_t N>
struct Store {
  static void run(Warp& w, const Inst& in) {
    const uint64_t* base = w.regs + static_cast<size_t>(in.b) * kWarpSize;
    const Space space = in.space;
    const uint64_t before = w.global_bytes;
    for_lanes(w.exec, [&](uint32_t l) {
      std::byte* p = w.resolve(space, base[l] + static_cast<uint64_t>(in.offset), N * sizeof(T), l);
      for (uint32_t i = 0; i < N; ++i) {
        store_mem<T>(p + i * sizeof(T), reg<T>(w, in.a[i], l));
      }
    });
    w.global_written += w.global_bytes - before;
  }
};
template <template <class, uint32_t> class M, class T>
ExecFn mem_n(uint32_t n) {
  switch (n) {
    case 1:
      return &M<T, 1>::run;
    case 2:
      return &M<T, 2>::run;
    case 4:
      return &M<T, 4>::run;
    default:
      return nullptr;
  }
}
template <template <class, uint32_t> class M>
ExecFn mem_fn(Type t, uint32_t n) {
  switch (t) {
    case Type::U8:
    case Type::B8:
      return mem_n<M, uint8_t>(n);
    case Type::S8:
      return mem_n<M, int8_t>(n);
    case Type::U16:
    case Type::B16:
    case Type::F16:
      return mem_n<M, uint16_t>(n);
    case Type::S16:
      return mem_n<M, int16_t>(n);
    case Type::U32:
    case Type::B32:
      return mem_n<M, uint32_t>(n);
    case Type::S32:
      return mem_n<M, int32_t>(n);
    case Type::F32:
      return mem_n<M, float>(n);
    case Type::U64:
    case Type::B64:
      return mem_n<M, uint64_t>(n);
    case Type::S64:
      return mem_n<M, int64_t>(n);
    case Type::F64:
      return mem_n<M, double>(n);
    default:
      return nullptr;
  }
}

// atom/red: Inst::mode is the AtomOp. The lanes' operations happen one after another in lane
// order, each atomic with respect to other CTAs running on other host threads.
template <class T>
struct Atom {
  static T apply(AtomOp op, std::atomic_ref<T> r, T v, T c) {
    switch (op) {
      case AtomOp::Add:
        if constexpr (std::is_floating_point_v<T>) {
          T old = r.load();
          while (!r.compare_exchange_weak(old, old + v)) {
          }
          return old;
        } else {
          return r.fetch_add(v);
        }
      case AtomOp::Exch:
        return r.exchange(v);
      case AtomOp::Cas: {
        T expected = v;
        r.compare_exchange_strong(expected, c);
        return expected;
      }
      default:
        break;
    }
    if constexpr (!std::is_floating_point_v<T>) {
      T old = r.load();
      for (;;) {
        T nv = old;
        switch (op) {
          case AtomOp::Min:
            nv = std::min(old, v);
            break;
          case AtomOp::Max:
            nv = std::max(old, v);
            break;
          case AtomOp::And:
            nv = old & v;
            break;
          case AtomOp::Or:
            nv = old | v;
            break;
          case AtomOp::Xor:
            nv = old ^ v;
            break;
          case AtomOp::Inc:
            nv = (old >= v) ? T(0) : static_cast<T>(old + 1);
            break;
          case AtomOp::Dec:
            nv = (old == 0 || old > v) ? v : static_cast<T>(old - 1);
            break;
          default:
            break;
        }
        if (r.compare_exchange_weak(old, nv)) {
          return old;
        }
      }
    }
    return T{};
  }
  static void run(Warp& w, const Inst& in) {
    const uint64_t* base = w.regs + static_cast<size_t>(in.b) * kWarpSize;
    const auto op = static_cast<AtomOp>(in.mode);
    const uint64_t before = w.global_bytes;
    for_lanes(w.exec, [&](uint32_t l) {
      std::byte* p = w.resolve(in.space, base[l] + static_cast<uint64_t>(in.offset), sizeof(T), l);
      if (reinterpret_cast<uintptr_t>(p) % sizeof(T) != 0) {
        w.fault("misaligned atomic", ExecError::Kind::kMisaligned);
      }
      const T old = apply(op, std::atomic_ref<T>(*reinterpret_cast<T*>(p)), reg<T>(w, in.a[0], l),
                          reg<T>(w, in.a[1], l));
      if (in.d[0] != kZero) {
        set_reg<T>(w, in.d[0], l, old);
      }
    });
    w.global_written += w.global_bytes - before;  // an atomic writes what it reads
  }
};

void fence_run(Warp&, const Inst&) { std::atomic_thread_fence(std::memory_order_seq_cst); }

// ---- predicates and warp-wide operations --------------------------------------------------------

template <PredOp op>
void pred_run(Warp& w, const Inst& in) {
  const uint32_t a = w.preds[in.a[0]] ^ in.b;
  const uint32_t b = w.preds[in.a[1]] ^ in.c;
  uint32_t r = 0;
  switch (op) {
    case PredOp::And:
      r = a & b;
      break;
    case PredOp::Or:
      r = a | b;
      break;
    case PredOp::Xor:
      r = a ^ b;
      break;
    case PredOp::Not:
      r = ~a;
      break;
    case PredOp::Mov:
      r = a;
      break;
  }
  w.preds[in.d[0]] = (w.preds[in.d[0]] & ~w.exec) | (r & w.exec);
}

// vote.sync over the executing lanes (PTX ISA 9.7.12.12); a0 is the predicate, b its negation.
template <VoteMode mode>
void vote_run(Warp& w, const Inst& in) {
  const uint32_t p = (w.preds[in.a[0]] ^ in.b) & w.exec;
  if constexpr (mode == VoteMode::Ballot) {
    for_lanes(w.exec, [&](uint32_t l) { set_reg<uint32_t>(w, in.d[0], l, p); });
  } else {
    bool r = false;
    if (mode == VoteMode::All) {
      r = p == w.exec;
    }
    if (mode == VoteMode::Any) {
      r = p != 0;
    }
    if (mode == VoteMode::Uni) {
      r = p == 0 || p == w.exec;
    }
    w.preds[in.d[0]] = (w.preds[in.d[0]] & ~w.exec) | (r ? w.exec : 0);
  }
}

// shfl.sync (PTX ISA 9.7.8.6): a0 value, a1 lane or offset, a2 clamp and segment mask.
template <ShflMode mode>
void shfl_run(Warp& w, const Inst& in) {
  uint32_t src[kWarpSize];
  for (uint32_t l = 0; l < kWarpSize; ++l) {
    src[l] = reg<uint32_t>(w, in.a[0], l);
  }
  uint32_t pbits = 0;
  for_lanes(w.exec, [&](uint32_t l) {
    const uint32_t b = reg<uint32_t>(w, in.a[1], l) & 31;
    const auto c = reg<uint32_t>(w, in.a[2], l);
    const uint32_t cval = c & 31, seg = (c >> 8) & 31;
    const auto max_lane = static_cast<int32_t>((l & seg) | (cval & ~seg));
    const auto min_lane = static_cast<int32_t>(l & seg);
    int32_t j = 0;
    bool pval = false;
    const auto lane = static_cast<int32_t>(l);
    const auto bv = static_cast<int32_t>(b);
    if (mode == ShflMode::Up) {
      j = lane - bv, pval = j >= max_lane;
    }
    if (mode == ShflMode::Down) {
      j = lane + bv, pval = j <= max_lane;
    }
    if (mode == ShflMode::Bfly) {
      j = lane ^ bv, pval = j <= max_lane;
    }
    if (mode == ShflMode::Idx) {
      j = min_lane | static_cast<int32_t>(b & ~seg);
      pval = j <= max_lane;
    }
    if (!pval) {
      j = lane;
    }
    set_reg<uint32_t>(w, in.d[0], l, src[j & 31]);
    pbits |= uint32_t{pval} << l;
  });
  if (in.d[1] != kTruePred) {
    w.preds[in.d[1]] = (w.preds[in.d[1]] & ~w.exec) | (pbits & w.exec);
  }
}

template <uint32_t parts, uint32_t bytes>
void pack_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    uint64_t v = 0;
    for (uint32_t i = 0; i < parts; ++i) {
      const uint64_t mask = bytes == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1;
      v |= (w.regs[in.a[i] * kWarpSize + l] & mask) << (8 * bytes * i);
    }
    w.regs[in.d[0] * kWarpSize + l] = v;
  });
}
template <uint32_t parts, uint32_t bytes>
void unpack_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const uint64_t v = w.regs[in.a[0] * kWarpSize + l];
    for (uint32_t i = 0; i < parts; ++i) {
      const uint64_t mask = (uint64_t{1} << (8 * bytes)) - 1;
      if (in.d[i] != kZero) {
        w.regs[in.d[i] * kWarpSize + l] = (v >> (8 * bytes * i)) & mask;
      }
    }
  });
}

template <uint64_t tag, bool to_generic>
void cvta_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) {
    const uint64_t v = w.regs[in.a[0] * kWarpSize + l];
    w.regs[in.d[0] * kWarpSize + l] =
        to_generic ? ((tag << kWindowShift) | (v & kWindowMask)) : (v & kWindowMask);
  });
}

void clock_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) { w.regs[in.d[0] * kWarpSize + l] = w.clock; });
}
void trap_run(Warp& w, const Inst&) { w.fault("trap"); }
void activemask_run(Warp& w, const Inst& in) {
  for_lanes(w.exec, [&](uint32_t l) { w.regs[in.d[0] * kWarpSize + l] = w.exec; });
}

}  // namespace

ExecFn arith_fn(Arith op, Type t) {
  switch (op) {
    case Arith::Add:
      return by_any<Binary<Arith::Add>::H>(t);
    case Arith::Sub:
      return by_any<Binary<Arith::Sub>::H>(t);
    case Arith::MulLo:
      return by_any<Binary<Arith::MulLo>::H>(t);
    case Arith::MulHi:
      return by_int<Binary<Arith::MulHi>::H>(t);
    case Arith::MulWide:
      return by_int<MulWide>(t);
    case Arith::Div:
      return by_any<Binary<Arith::Div>::H>(t);
    case Arith::Rem:
      return by_int<Binary<Arith::Rem>::H>(t);
    case Arith::Min:
      return by_any<Binary<Arith::Min>::H>(t);
    case Arith::Max:
      return by_any<Binary<Arith::Max>::H>(t);
    case Arith::And:
      return by_int<Binary<Arith::And>::H>(t);
    case Arith::Or:
      return by_int<Binary<Arith::Or>::H>(t);
    case Arith::Xor:
      return by_int<Binary<Arith::Xor>::H>(t);
    case Arith::Shl:
      return by_int<Shift<true>::H>(t);
    case Arith::Shr:
      return by_int<Shift<false>::H>(t);
    case Arith::AddSat:
      return t == Type::S32 ? Binary<Arith::AddSat>::H<int32_t>::fn() : nullptr;
    case Arith::SubSat:
      return t == Type::S32 ? Binary<Arith::SubSat>::H<int32_t>::fn() : nullptr;
    case Arith::Copysign:
      return by_float<Binary<Arith::Copysign>::H>(t);
  }
  return nullptr;
}

ExecFn unary_fn(Unary op, Type t) {
  switch (op) {
    case Unary::Mov:
      return by_any<UnaryH<Unary::Mov>::H>(t);
    case Unary::Neg:
      return by_any<UnaryH<Unary::Neg>::H>(t);
    case Unary::Abs:
      return by_any<UnaryH<Unary::Abs>::H>(t);
    case Unary::Not:
      return by_int<UnaryH<Unary::Not>::H>(t);
    case Unary::Cnot:
      return by_int<UnaryH<Unary::Cnot>::H>(t);
    case Unary::Popc:
      return by_int<CountH<true>::H>(t);
    case Unary::Clz:
      return by_int<CountH<false>::H>(t);
    case Unary::Brev:
      return by_int<UnaryH<Unary::Brev>::H>(t);
    case Unary::Sqrt:
      return by_float<UnaryH<Unary::Sqrt>::H>(t);
    case Unary::Rcp:
      return by_float<UnaryH<Unary::Rcp>::H>(t);
    case Unary::Rsqrt:
      return by_float<UnaryH<Unary::Rsqrt>::H>(t);
    case Unary::Sin:
      return t == Type::F32 ? UnaryH<Unary::Sin>::H<float>::fn() : nullptr;
    case Unary::Cos:
      return t == Type::F32 ? UnaryH<Unary::Cos>::H<float>::fn() : nullptr;
    case Unary::Ex2:
      return t == Type::F32 ? UnaryH<Unary::Ex2>::H<float>::fn() : nullptr;
    case Unary::Lg2:
      return t == Type::F32 ? UnaryH<Unary::Lg2>::H<float>::fn() : nullptr;
    case Unary::Tanh:
      return t == Type::F32 ? UnaryH<Unary::Tanh>::H<float>::fn() : nullptr;
  }
  return nullptr;
}

ExecFn ternary_fn(Ternary op, Type t) {
  switch (op) {
    case Ternary::MadLo:
      return is_float(t) ? by_float<Fma>(t) : by_int<MadLo>(t);
    case Ternary::MadHi:
      return by_int<MadHi>(t);
    case Ternary::MadWide:
      return by_int<MadWide>(t);
    case Ternary::Fma:
      return by_float<Fma>(t);
    case Ternary::Bfe:
      return by_int<Bfe>(t);
    case Ternary::Bfi:
      return by_int<Bfi>(t);
    case Ternary::Prmt:
      return t == Type::B32 ? &prmt_run : nullptr;
    case Ternary::Selp:
      return by_any<Selp>(t);
  }
  return nullptr;
}

ExecFn setp_fn(Cmp, Type t, BoolOp) { return by_any<Setp>(t); }

ExecFn cvt_fn(Type dst, Type src) {
  switch (dst) {
    case Type::U8:
      return cvt_from<uint8_t>(src);
    case Type::S8:
      return cvt_from<int8_t>(src);
    case Type::U16:
      return cvt_from<uint16_t>(src);
    case Type::S16:
      return cvt_from<int16_t>(src);
    case Type::U32:
      return cvt_from<uint32_t>(src);
    case Type::S32:
      return cvt_from<int32_t>(src);
    case Type::U64:
      return cvt_from<uint64_t>(src);
    case Type::S64:
      return cvt_from<int64_t>(src);
    case Type::F32:
      return cvt_from<float>(src);
    case Type::F64:
      return cvt_from<double>(src);
    default:
      return nullptr;
  }
}

ExecFn load_fn(Type t, uint32_t count) { return mem_fn<Load>(t, count); }
ExecFn store_fn(Type t, uint32_t count) { return mem_fn<Store>(t, count); }

ExecFn atom_fn(AtomOp op, Type t) {
  const bool bitwise = op == AtomOp::And || op == AtomOp::Or || op == AtomOp::Xor;
  switch (t) {
    case Type::B32:
    case Type::U32:
      return &Atom<uint32_t>::run;
    case Type::S32:
      return bitwise ? nullptr : &Atom<int32_t>::run;
    case Type::B64:
    case Type::U64:
      return (op == AtomOp::Inc || op == AtomOp::Dec) ? nullptr : &Atom<uint64_t>::run;
    case Type::S64:
      return (op == AtomOp::Min || op == AtomOp::Max || op == AtomOp::Add) ? &Atom<int64_t>::run
                                                                           : nullptr;
    case Type::F32:
      return op == AtomOp::Add || op == AtomOp::Exch ? &Atom<float>::run : nullptr;
    case Type::F64:
      return op == AtomOp::Add ? &Atom<double>::run : nullptr;
    default:
      return nullptr;
  }
}

ExecFn pred_fn(PredOp op) {
  switch (op) {
    case PredOp::And:
      return &pred_run<PredOp::And>;
    case PredOp::Or:
      return &pred_run<PredOp::Or>;
    case PredOp::Xor:
      return &pred_run<PredOp::Xor>;
    case PredOp::Not:
      return &pred_run<PredOp::Not>;
    case PredOp::Mov:
      return &pred_run<PredOp::Mov>;
  }
  return nullptr;
}

ExecFn vote_fn(VoteMode mode) {
  switch (mode) {
    case VoteMode::All:
      return &vote_run<VoteMode::All>;
    case VoteMode::Any:
      return &vote_run<VoteMode::Any>;
    case VoteMode::Uni:
      return &vote_run<VoteMode::Uni>;
    case VoteMode::Ballot:
      return &vote_run<VoteMode::Ballot>;
  }
  return nullptr;
}

ExecFn shfl_fn(ShflMode mode) {
  switch (mode) {
    case ShflMode::Up:
      return &shfl_run<ShflMode::Up>;
    case ShflMode::Down:
      return &shfl_run<ShflMode::Down>;
    case ShflMode::Bfly:
      return &shfl_run<ShflMode::Bfly>;
    case ShflMode::Idx:
      return &shfl_run<ShflMode::Idx>;
  }
  return nullptr;
}

ExecFn pack_fn(uint32_t parts, uint32_t part_bytes) {
  if (parts == 2 && part_bytes == 4) {
    return &pack_run<2, 4>;
  }
  if (parts == 2 && part_bytes == 2) {
    return &pack_run<2, 2>;
  }
  if (parts == 4 && part_bytes == 2) {
    return &pack_run<4, 2>;
  }
  if (parts == 4 && part_bytes == 1) {
    return &pack_run<4, 1>;
  }
  return nullptr;
}
ExecFn unpack_fn(uint32_t parts, uint32_t part_bytes) {
  if (parts == 2 && part_bytes == 4) {
    return &unpack_run<2, 4>;
  }
  if (parts == 2 && part_bytes == 2) {
    return &unpack_run<2, 2>;
  }
  if (parts == 4 && part_bytes == 2) {
    return &unpack_run<4, 2>;
  }
  if (parts == 4 && part_bytes == 1) {
    return &unpack_run<4, 1>;
  }
  return nullptr;
}

ExecFn cvta_fn(bool to_generic, uint64_t tag) {
  switch (tag) {
    case kSharedTag:
      return to_generic ? &cvta_run<kSharedTag, true> : &cvta_run<kSharedTag, false>;
    case kLocalTag:
      return to_generic ? &cvta_run<kLocalTag, true> : &cvta_run<kLocalTag, false>;
    case kConstTag:
      return to_generic ? &cvta_run<kConstTag, true> : &cvta_run<kConstTag, false>;
    case kParamTag:
      return to_generic ? &cvta_run<kParamTag, true> : &cvta_run<kParamTag, false>;
    default:
      return nullptr;
  }
}
ExecFn fence_fn() { return &fence_run; }
ExecFn clock_fn() { return &clock_run; }
ExecFn trap_fn() { return &trap_run; }
ExecFn activemask_fn() { return &activemask_run; }

}  // namespace cxlsim::ptx
