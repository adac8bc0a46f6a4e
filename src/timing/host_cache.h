// The host's last-level cache as the timing model sees it: set-associative, write-back,
// write-allocate, 64-byte lines, true LRU replacement. Tags only (the model moves no data).
//
// Contract with System (system.h): lookup() on every request a requester issues; a miss goes to
// memory and fill() installs the line when the data is back at the core, returning the dirty
// victim (if any) for System to write back. A write miss is a read-for-ownership: the line is
// read from memory and installed dirty. Requests in flight to the same line are not merged
// (no MSHR model): each miss goes to memory, a second fill of a present line only refreshes it.
//
// Set index = line number modulo the set count (no slice hash); no coherence, no inclusion
// with L1/L2, no prefetch into the LLC. Memory: 8 bytes per line, allocated at construction
// (each set keeps its tags in recency order, most recent first: true LRU without stamps, so a
// lookup reads only the set's `ways` adjacent words).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/units.h"
#include "timing/request.h"

namespace cxlsim::timing {

inline constexpr Bytes kCacheLine{64};
// Largest cache the model accepts: tag state is 8 B per line (128 MiB of tags at this size).
inline constexpr Bytes kMaxHostCache = Bytes(uint64_t{1} << 30);

struct HostCacheConfig {
  bool enabled = false;  // false: requests go straight to the home agent
  Bytes size;            // capacity
  unsigned ways = 0;     // associativity
  Duration hit_latency;  // a hit, issue to data at the core (L2 miss, LLC hit, mesh both ways)
};

// What is wrong with an enabled configuration: the field ("size", "ways", "hit_latency") and why.
struct CacheConfigProblem {
  const char* field;
  std::string what;
};
std::optional<CacheConfigProblem> check(const HostCacheConfig& c);

// Applies a command-line spec to `base` (a host profile's [cache]): "off", "on" (the profile's
// own cache), or "SIZE[:WAYS[:LATENCY]]" (e.g. "30M:15", "2M:16:30ns"; WAYS and LATENCY default
// to the profile's). Throws ParseError "invalid <name> '<spec>': <the missing or bad part>".
HostCacheConfig apply_cache_spec(HostCacheConfig base, std::string_view spec,
                                 std::string_view name = "host cache");
// "30 MiB 15-way, hit 33.0 ns" (or "off").
std::string describe(const HostCacheConfig& c);

struct HostCacheStats {
  uint64_t read_hits = 0, write_hits = 0;
  uint64_t read_misses = 0, write_misses = 0;  // write misses are read-for-ownership fills
  uint64_t fills = 0;       // lines installed (misses whose data came back, duplicates too)
  uint64_t writebacks = 0;  // dirty victims written back to memory
  [[nodiscard]] uint64_t hits() const { return read_hits + write_hits; }
  [[nodiscard]] uint64_t misses() const { return read_misses + write_misses; }
  [[nodiscard]] double hit_rate() const {
    const uint64_t n = hits() + misses();
    return n ? static_cast<double>(hits()) / static_cast<double>(n) : 0.0;
  }
};

class HostCache {
 public:
  // Throws ValidationError naming the field when check(c) finds a problem.
  explicit HostCache(const HostCacheConfig& c);

  // Looks up the line holding `hpa` for an access of kind `op`. A hit makes the line most
  // recently used (and dirty for a write) and returns true; a miss changes no line state.
  bool lookup(uint64_t hpa, Op op);
  // Installs the line holding `hpa` (dirty when `dirty`), evicting the set's least recently
  // used line when the set is full. Returns the line address of a dirty victim.
  std::optional<uint64_t> fill(uint64_t hpa, bool dirty);
  struct Touch {
    bool hit = false;
    std::optional<uint64_t> victim;  // a miss's dirty victim
  };
  // lookup() and, on a miss, fill() at once (one scan of the set): an access whose miss is
  // installed straight away, as a functional warm-up does. `write` counts it as a write and
  // leaves the line dirty.
  Touch touch(uint64_t hpa, bool write);
  // Brings the set of the line holding `hpa` towards the host CPU's caches (no state change).
  void prefetch(uint64_t hpa) const {
    const auto* p = reinterpret_cast<const char*>(&word_[set_base(hpa & ~uint64_t{63})]);
    const char* last = p + cfg_.ways * sizeof(uint64_t) - 1;  // a set may straddle lines
    for (; p < last; p += 64) __builtin_prefetch(p);
    __builtin_prefetch(last);
  }
  // Whether the line holding `hpa` is present (no state change).
  [[nodiscard]] bool contains(uint64_t hpa) const;

  [[nodiscard]] const HostCacheConfig& config() const { return cfg_; }
  [[nodiscard]] const HostCacheStats& stats() const { return stats_; }
  [[nodiscard]] uint64_t sets() const { return sets_; }

 private:
  static constexpr uint64_t kValid = 1, kDirty = 2;  // low bits of a tag word (line address)
  // Index of the word holding `line` in its set (set base `b`), or -1.
  [[nodiscard]] int64_t find(size_t b, uint64_t line) const;
  // Makes word `k` of the set at `b` the most recent (the words before it age by one), dirty
  // as well when `dirty`.
  void promote(size_t b, size_t k, bool dirty);
  // Puts `line` first in the set at `b` (dirty when `dirty`); the least recent line (the last
  // word: an empty one while the set is not full) leaves. Returns its address if it was dirty.
  std::optional<uint64_t> install(size_t b, uint64_t line, bool dirty);
  // The index of a set's first word.
  [[nodiscard]] size_t set_base(uint64_t line) const {
    const uint64_t n = line >> 6;
    return static_cast<size_t>(pow2_ ? n & (sets_ - 1) : n % sets_) * cfg_.ways;
  }

  HostCacheConfig cfg_;
  uint64_t sets_ = 0;
  bool pow2_ = false;
  // Per set: `ways` tag words (line address | kValid | kDirty), most recently used first;
  // empty words (0) last.
  std::vector<uint64_t> word_;
  HostCacheStats stats_;
};

}  // namespace cxlsim::timing
