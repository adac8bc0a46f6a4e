// One warp's state as instruction handlers see it: 32 lanes' registers (one 64-bit slot per
// register per lane), predicate registers as 32-bit lane masks, and the memories a lane reaches.
// Internal to src/ptx.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "ptx/global_memory.h"
#include "ptx/ops.h"
#include "ptx/program.h"

namespace cxlsim::ptx {

inline constexpr uint32_t kWarpSize = 32;
inline constexpr uint32_t kAllLanes = 0xFFFFFFFFu;

// Generic addresses (PTX ISA 5.0 section 6.4.1.1): windows for the non-global state spaces,
// tagged in bits 63..40. Every other generic address is global.
inline constexpr uint64_t kWindowShift = 40;
inline constexpr uint64_t kWindowMask = (uint64_t{1} << kWindowShift) - 1;
inline constexpr uint64_t kSharedTag = 0xFF0010;
inline constexpr uint64_t kLocalTag = 0xFF0020;
inline constexpr uint64_t kConstTag = 0xFF0030;
inline constexpr uint64_t kParamTag = 0xFF0040;

// A fault while running a kernel (bad address, misaligned atomic, trap, deadlock), with its kind:
// a GPU reports an address outside memory and a misaligned access apart from other faults.
class ExecError : public std::runtime_error {
 public:
  enum class Kind { kOther, kIllegalAddress, kMisaligned };
  explicit ExecError(const std::string& what, Kind kind = Kind::kOther)
      : std::runtime_error(what), kind_(kind) {}
  [[nodiscard]] Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Warp {
  uint64_t* regs = nullptr;   // [slot * 32 + lane]
  uint32_t* preds = nullptr;  // [slot]: bit lane
  uint32_t exec = 0;          // lanes that run the current instruction
  uint32_t line = 0;          // source line of the current instruction
  std::byte* shared = nullptr;
  uint64_t shared_size = 0;
  std::byte* local = nullptr;  // lane l's local memory at local + l * local_size
  uint64_t local_size = 0;
  const std::byte* params = nullptr;
  uint64_t params_size = 0;
  const std::byte* consts = nullptr;
  uint64_t consts_size = 0;
  GlobalMemory* global = nullptr;
  MappedRange cached{};  // last global range mapped
  uint64_t clock = 0;    // instructions this warp issued, for %clock
  // Bytes of global memory the warp's lanes accessed (loads, stores and atomics), and of those
  // the bytes stores and atomics wrote: the device-memory traffic of a launch (LaunchStats).
  uint64_t global_bytes = 0, global_written = 0;

  [[noreturn]] void fault(const std::string& what,
                          ExecError::Kind kind = ExecError::Kind::kOther) const {
    throw ExecError("ptx: line " + std::to_string(line) + ": " + what, kind);
  }

  std::byte* global_at(uint64_t addr, uint64_t len) {
    global_bytes += len;
    if (cached.contains(addr, len)) {
      return cached.host + (addr - cached.base);
    }
    auto r = global->map(addr);
    if (!r || !r->contains(addr, len)) {
      fault("global access outside device memory at " + hex(addr),
            ExecError::Kind::kIllegalAddress);
    }
    cached = *r;
    return cached.host + (addr - cached.base);
  }

  static std::byte* window(std::byte* base, uint64_t size, uint64_t off, uint64_t len,
                           const Warp& w, const char* space) {
    if (len > size || off > size - len) {
      w.fault(std::string(space) + " access out of bounds at " + hex(off),
              ExecError::Kind::kIllegalAddress);
    }
    return base + off;
  }

  // Host address of `len` bytes at `addr` in `space` for lane `lane`.
  std::byte* resolve(Space space, uint64_t addr, uint64_t len, uint32_t lane) {
    switch (space) {
      case Space::Global:
        return global_at(addr, len);
      case Space::Shared:
        return window(shared, shared_size, addr, len, *this, "shared");
      case Space::Local:
        return window(local + lane * local_size, local_size, addr, len, *this, "local");
      case Space::KernelParam:
        return window(const_cast<std::byte*>(params), params_size, addr, len, *this, "param");
      case Space::Const:
        return window(const_cast<std::byte*>(consts), consts_size, addr, len, *this, "const");
      case Space::Generic:
        break;
    }
    const uint64_t off = addr & kWindowMask;
    switch (addr >> kWindowShift) {
      case kSharedTag:
        return resolve(Space::Shared, off, len, lane);
      case kLocalTag:
        return resolve(Space::Local, off, len, lane);
      case kConstTag:
        return resolve(Space::Const, off, len, lane);
      case kParamTag:
        return resolve(Space::KernelParam, off, len, lane);
      default:
        return global_at(addr, len);
    }
  }

  static std::string hex(uint64_t v) {
    static const char* d = "0123456789abcdef";
    std::string s = "0x";
    for (int i = 60; i >= 0; i -= 4) {
      s += d[(v >> i) & 0xF];
    }
    return s;
  }
};

// Register slots hold every value widened to 64 bits: signed integers sign-extended, everything
// else zero-extended. Reads truncate to the operation's type.
template <class T>
inline T from_bits(uint64_t v) {
  if constexpr (std::is_same_v<T, float>) {
    return std::bit_cast<float>(static_cast<uint32_t>(v));
  } else if constexpr (std::is_same_v<T, double>) {
    return std::bit_cast<double>(v);
  } else {
    return static_cast<T>(v);
  }
}

template <class T>
inline uint64_t to_bits(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return std::bit_cast<uint32_t>(v);
  } else if constexpr (std::is_same_v<T, double>) {
    return std::bit_cast<uint64_t>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? 1 : 0;
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  } else {
    return static_cast<uint64_t>(v);
  }
}

template <class T>
inline T reg(const Warp& w, uint32_t slot, uint32_t lane) {
  return from_bits<T>(w.regs[slot * kWarpSize + lane]);
}
template <class T>
inline void set_reg(Warp& w, uint32_t slot, uint32_t lane, T v) {
  w.regs[slot * kWarpSize + lane] = to_bits(v);
}

// Runs f(lane) for every lane in `mask`; the full-warp case is a plain loop the compiler unrolls.
template <class F>
inline void for_lanes(uint32_t mask, F&& f) {
  if (mask == kAllLanes) {
    for (uint32_t l = 0; l < kWarpSize; ++l) {
      f(l);
    }
  } else {
    while (mask != 0) {
      f(static_cast<uint32_t>(std::countr_zero(mask)));
      mask &= mask - 1;
    }
  }
}

template <class T>
inline T load_mem(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store_mem(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// setp's result for every setp handler (all types, .f16 included): the lanes' comparison `bits`
// combined (Inst::mode, a BoolOp) with predicate a[2] (negated when Inst::e) into d[0], its
// complement into d[1] when present; active lanes only.
inline void write_setp(Warp& w, const Inst& in, uint32_t bits) {
  uint32_t inv = ~bits;
  const uint32_t q = w.preds[in.a[2]] ^ in.e;
  switch (static_cast<BoolOp>(in.mode)) {
    case BoolOp::And:
      bits &= q;
      inv &= q;
      break;
    case BoolOp::Or:
      bits |= q;
      inv |= q;
      break;
    case BoolOp::Xor:
      bits ^= q;
      inv ^= q;
      break;
    case BoolOp::None:
      break;
  }
  const uint32_t m = w.exec;
  w.preds[in.d[0]] = (w.preds[in.d[0]] & ~m) | (bits & m);
  if (in.d[1] != kTruePred) w.preds[in.d[1]] = (w.preds[in.d[1]] & ~m) | (inv & m);
}

}  // namespace cxlsim::ptx
