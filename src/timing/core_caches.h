// A core's private caches as the application front end sees them: an L1D and an L2, each
// set-associative with true LRU, write-back and write-allocate, 64-byte lines, tags only.
// Header-only and dependency-free so that the QEMU plugin (src/run_plugin) filters every
// load and store of a guest thread in that thread, without a lock, and sends the model only
// what leaves the L2: line misses (reads; a store miss is a read for ownership) and dirty L2
// victims (write-backs).
//
// Contract: access(line, store) on every access of the thread (line = address >> 6). The L2
// is not inclusive: an L1 miss that hits the L2 moves nothing below the L2; an L1 dirty victim
// is written into the L2 (a write hit, or installed dirty there, possibly evicting an L2
// victim). Sizes come from the host profile ([app] l1d_size/l1d_ways, l2_size/l2_ways).
#pragma once

#include <cstdint>
#include <vector>

namespace cxlsim::timing {

// One set-associative tag array.
class TagArray {
 public:
  TagArray() = default;
  // `size` bytes in `ways`-way sets of 64-byte lines; size must be a multiple of ways x 64.
  TagArray(uint64_t size, unsigned ways) : ways_(ways ? ways : 1) {
    sets_ = size / 64 / ways_;
    if (sets_ == 0) sets_ = 1;
    pow2_ = (sets_ & (sets_ - 1)) == 0;
    tag_.assign(sets_ * ways_, 0);
    stamp_.assign(sets_ * ways_, 0);
  }
  struct Result {
    bool hit = false;
    bool victim_dirty = false;  // a dirty line was evicted to make room
    uint64_t victim = 0;        // its line number
  };
  // Looks up `line`; on a miss installs it (evicting the LRU way). `dirty` marks it modified.
  Result access(uint64_t line, bool dirty) {
    const uint64_t base = set_of(line) * ways_;
    const uint64_t want = (line << 2) | kValid;
    uint64_t* t = &tag_[base];
    uint64_t* s = &stamp_[base];
    ++clock_;
    unsigned lru = 0;
    for (unsigned w = 0; w < ways_; ++w) {
      if ((t[w] | kDirty) == (want | kDirty)) {
        s[w] = clock_;
        if (dirty) t[w] |= kDirty;
        return Result{true, false, 0};
      }
      if (s[w] < s[lru]) lru = w;
    }
    Result r;
    if ((t[lru] & (kValid | kDirty)) == (kValid | kDirty)) {
      r.victim_dirty = true;
      r.victim = t[lru] >> 2;
    }
    t[lru] = want | (dirty ? kDirty : 0);
    s[lru] = clock_;
    return r;
  }
  [[nodiscard]] uint64_t sets() const { return sets_; }

 private:
  static constexpr uint64_t kValid = 1, kDirty = 2;
  [[nodiscard]] uint64_t set_of(uint64_t line) const {
    return pow2_ ? line & (sets_ - 1) : line % sets_;
  }
  unsigned ways_ = 1;
  uint64_t sets_ = 1;
  bool pow2_ = true;
  std::vector<uint64_t> tag_;    // line << 2 | dirty | valid
  std::vector<uint64_t> stamp_;  // last use (0 = never)
  uint64_t clock_ = 0;
};

// What one access sends below the L2.
struct CoreCacheOutcome {
  bool miss = false;        // the line must be read from below the L2
  unsigned writebacks = 0;  // dirty L2 victims (0..2)
  uint64_t writeback[2] = {0, 0};
};

class CoreCaches {
 public:
  CoreCaches(uint64_t l1_size, unsigned l1_ways, uint64_t l2_size, unsigned l2_ways)
      : l1_(l1_size, l1_ways), l2_(l2_size, l2_ways) {}

  CoreCacheOutcome access(uint64_t line, bool store) {
    CoreCacheOutcome out;
    if (line == last_ && !store) return out;  // the same line again: an L1 hit
    last_ = line;
    const TagArray::Result a = l1_.access(line, store);
    if (a.hit) return out;
    if (a.victim_dirty) put_l2(a.victim, out);  // the L1's dirty victim is written into the L2
    const TagArray::Result b = l2_.access(line, false);
    out.miss = !b.hit;
    if (b.victim_dirty) out.writeback[out.writebacks++] = b.victim;
    return out;
  }

 private:
  void put_l2(uint64_t line, CoreCacheOutcome& out) {
    const TagArray::Result r = l2_.access(line, true);
    if (r.victim_dirty) out.writeback[out.writebacks++] = r.victim;
  }
  TagArray l1_, l2_;
  uint64_t last_ = ~uint64_t{0};
};

}  // namespace cxlsim::timing
