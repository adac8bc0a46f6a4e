// Units as types: byte counts, durations and bandwidths never travel as bare numbers.
// Parsing from configuration strings ("256M", "4GiB", "5ns", "64GB/s") lives in units.cc.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace cxlsim {

// A size or length in bytes.
class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(uint64_t v) : v_(v) {}
  [[nodiscard]] constexpr uint64_t value() const { return v_; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes o) const { return Bytes(v_ + o.v_); }
  constexpr Bytes operator-(Bytes o) const { return Bytes(v_ - o.v_); }
  constexpr Bytes operator*(uint64_t k) const { return Bytes(v_ * k); }
  constexpr Bytes operator/(uint64_t k) const { return Bytes(v_ / k); }
  constexpr uint64_t operator/(Bytes o) const { return v_ / o.v_; }
  constexpr Bytes operator%(Bytes o) const { return Bytes(v_ % o.v_); }
  constexpr Bytes& operator+=(Bytes o) {
    v_ += o.v_;
    return *this;
  }
  constexpr Bytes& operator-=(Bytes o) {
    v_ -= o.v_;
    return *this;
  }

 private:
  uint64_t v_ = 0;
};

constexpr Bytes KiB(uint64_t n) { return Bytes(n << 10); }
constexpr Bytes MiB(uint64_t n) { return Bytes(n << 20); }
constexpr Bytes GiB(uint64_t n) { return Bytes(n << 30); }

// Throws std::out_of_range: `ps` picoseconds (NaN, infinite, or beyond what int64 holds,
// about +-106 days) is no Duration.
[[noreturn]] void duration_out_of_range(double ps);

// A span of simulated time, in picoseconds (integer, so simulations are deterministic).
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration ps(int64_t v) { return Duration(v); }
  // From a real number of picoseconds, rounded to nearest. Every double-to-Duration
  // conversion goes through here: NaN, infinities and values beyond int64 are refused (the
  // conversion would be undefined behaviour).
  static constexpr Duration ps_rounded(double v) {
    if (!(v > -9.2e18 && v < 9.2e18)) duration_out_of_range(v);
    return Duration(static_cast<int64_t>(v + (v >= 0 ? 0.5 : -0.5)));
  }
  static constexpr Duration ns(double v) { return ps_rounded(v * 1000.0); }
  [[nodiscard]] constexpr int64_t picoseconds() const { return ps_; }
  [[nodiscard]] constexpr double nanoseconds() const { return static_cast<double>(ps_) / 1000.0; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(ps_ + o.ps_); }
  constexpr Duration operator-(Duration o) const { return Duration(ps_ - o.ps_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ps_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ps_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ps_ += o.ps_;
    return *this;
  }

 private:
  constexpr explicit Duration(int64_t v) : ps_(v) {}
  int64_t ps_ = 0;
};

// A data rate. Stored as bytes per second.
class Bandwidth {
 public:
  constexpr Bandwidth() = default;
  static constexpr Bandwidth bytes_per_second(double v) { return Bandwidth(v); }
  static constexpr Bandwidth gb_per_second(double v) { return Bandwidth(v * 1e9); }
  [[nodiscard]] constexpr double bytes_per_second() const { return bps_; }
  [[nodiscard]] constexpr double gb_per_second() const { return bps_ / 1e9; }
  [[nodiscard]] constexpr double mb_per_second() const { return bps_ / 1e6; }
  // Time to move `b` at this rate.
  [[nodiscard]] constexpr Duration transfer_time(Bytes b) const {
    return Duration::ps_rounded(static_cast<double>(b.value()) * 1e12 / bps_);
  }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr auto operator<=>(const Bandwidth&) const = default;

 private:
  constexpr explicit Bandwidth(double v) : bps_(v) {}
  double bps_ = 0;
};

// Parses a byte size: a number with an optional suffix k/K/KiB/M/MiB/G/GiB/T/TiB (binary
// multiples, as QEMU reads them), or 0x-prefixed hex. Throws ParseError on anything else.
Bytes parse_bytes(std::string_view text);
// Parses a duration: "5ns", "1.5us", "200ps", "2ms". A bare number is nanoseconds.
Duration parse_duration(std::string_view text);
// Parses a bandwidth: "64GB/s", "32GiB/s", "800MB/s" (decimal GB, as data sheets use).
Bandwidth parse_bandwidth(std::string_view text);

// Formats a size the way people read it: "256 MiB", "4 GiB", "1536 B".
std::string format_bytes(Bytes b);
// Formats a size as QEMU accepts it: "256M", "4G", "1536".
std::string format_qemu_size(Bytes b);

}  // namespace cxlsim
