// A core running a load loop over a buffer, as MLC's load threads do: per iteration it
// consumes one 64B line and then computes for `compute` (MLC's inject delay). Lines in flight
// come from two sources: the out-of-order core runs ahead of a stalled load by the work its
// reorder buffer holds (`ooo_window` of compute time, so 1 + ooo_window / compute demand
// misses, at most `lfb`), and a sequential-stream prefetcher keeps `prefetch_distance` lines
// ahead of the demand stream; `max_outstanding` caps the sum. With random access there is
// no stream to prefetch. Writes (R:W mix) go to a second buffer; a write occupies a miss slot until
// its completion returns but never stalls the loop. Counts bytes and requests completed from
// `measure_from` on.
#pragma once

#include <cstdint>
#include <vector>

#include "timing/requester.h"

namespace cxlsim::timing {

// splitmix64: small, fast, good enough to scatter addresses; deterministic for a seed.
inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct StreamCoreConfig {
  uint64_t read_base = 0, read_size = 0;    // HPA range the reads walk
  uint64_t write_base = 0, write_size = 0;  // HPA range the writes walk (when writes > 0)
  unsigned reads = 1, writes = 0;           // R:W mix of lines
  bool random = false;
  Duration compute;  // per iteration, besides the memory access
  unsigned max_outstanding = 48;
  unsigned prefetch_distance = 32;  // 0 without a prefetcher
  unsigned lfb = 16;
  Duration ooo_window = Duration::ns(30);
  uint64_t seed = 1;
  Duration measure_from;
  // Each iteration's compute varies uniformly by +-jitter (a fraction): interrupts, TLB and
  // cache events keep real threads from running in lockstep.
  double jitter = 0.0;
};

class StreamCore final : public Requester {
 public:
  explicit StreamCore(const StreamCoreConfig& cfg);
  void start(System& sys, Duration now) override;
  void complete(System& sys, Request& r, Duration now) override;
  void on_event(Request* req, Duration now) override;

  [[nodiscard]] uint64_t bytes() const { return bytes_; }
  [[nodiscard]] uint64_t requests() const { return requests_; }

 private:
  // Issues lines while the window and the miss slots allow.
  void fill() {
    while (outstanding_ < cfg_.max_outstanding && issued_ < consumed_ + window_ - held_) {
      issue_next();
    }
  }
  void issue_next();
  void consume(Duration now);
  uint64_t next_addr(bool write) {
    if (cfg_.random) {
      return write ? cfg_.write_base + splitmix64(rng_) % write_lines_ * 64
                   : cfg_.read_base + splitmix64(rng_) % read_lines_ * 64;
    }
    uint64_t& pos = write ? write_pos_ : read_pos_;
    const uint64_t line = pos;
    if (++pos >= (write ? write_lines_ : read_lines_)) pos = 0;
    return (write ? cfg_.write_base : cfg_.read_base) + line * 64;
  }
  Duration jittered_compute();

  StreamCoreConfig cfg_;
  System* sys_ = nullptr;
  uint64_t issued_ = 0;    // lines issued (reads and writes)
  uint64_t consumed_ = 0;  // lines consumed
  unsigned outstanding_ = 0;
  bool stalled_ = false;
  uint64_t window_;  // lines issued beyond the next to consume, at most
  // Without a prefetcher, the farthest demand line of the window is only reached once the
  // reorder buffer has room for it: `late_` after the previous line is consumed (the work in
  // between minus ooo_window). Until then it is held back; the token event releases it.
  Duration late_;
  uint64_t held_ = 0;      // 1 while the farthest line waits for room
  uint64_t held_for_ = 0;  // consumed_ when it was held (stale releases are ignored)
  Request token_;          // marks release events apart from compute ends
  std::vector<uint8_t>
      ready_;  // ring (power-of-two size >= window_): line i arrived (or is a write)
  uint64_t ready_mask_;
  unsigned mix_ = 0;                       // issued_ mod (reads + writes)
  uint64_t read_lines_, write_lines_;      // lines in each range (at least 1)
  uint64_t read_pos_ = 0, write_pos_ = 0;  // next line of each range, wrapping
  uint64_t rng_;
  uint64_t bytes_ = 0, requests_ = 0;
};

}  // namespace cxlsim::timing
