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
#include <cstring>
#include <vector>

namespace cxlsim::timing {

// One set-associative tag array. Each set keeps its ways' tags in recency order, most recent
// first (true LRU without stamps: a lookup reads only the set's tag words, 8 bytes per way,
// adjacent; the L2's sets of a thread are hundreds of KiB, which the host's caches do not hold).
class TagArray {
 public:
  TagArray() = default;
  // `size` bytes in `ways`-way sets of 64-byte lines; size must be a multiple of ways x 64.
  TagArray(uint64_t size, unsigned ways) : ways_(ways ? ways : 1) {
    sets_ = size / 64 / ways_;
    if (sets_ == 0) sets_ = 1;
    pow2_ = (sets_ & (sets_ - 1)) == 0;
    tag_.assign(sets_ * ways_, 0);
  }
  struct Result {
    bool hit = false;
    bool victim_dirty = false;  // a dirty line was evicted to make room
    uint64_t victim = 0;        // its line number
  };
  // Looks up `line`; on a miss installs it (evicting the LRU way). `dirty` marks it modified.
  Result access(uint64_t line, bool dirty) {
    uint64_t* t = &tag_[set_of(line) * ways_];
    const uint64_t want = (line << 2) | kValid;
    unsigned w = 0;
    while (w < ways_ && (t[w] | kDirty) != (want | kDirty)) ++w;
    Result r;
    uint64_t moved = want;
    if (w < ways_) {
      r.hit = true;
      moved = t[w];
    } else {  // a miss: the least recent way (the last) leaves; invalid ways are last
      w = ways_ - 1;
      if ((t[w] & (kValid | kDirty)) == (kValid | kDirty)) {
        r.victim_dirty = true;
        r.victim = t[w] >> 2;
      }
    }
    std::memmove(t + 1, t, w * sizeof *t);  // the ways more recent than it age by one
    t[0] = moved | (dirty ? kDirty : 0);
    return r;
  }
  [[nodiscard]] uint64_t sets() const { return sets_; }
  // Empties the array, calling `dirty(line)` for each modified line.
  template <class F>
  void clear(F&& dirty) {
    for (uint64_t& t : tag_) {
      if ((t & (kValid | kDirty)) == (kValid | kDirty)) dirty(t >> 2);
      t = 0;
    }
  }
  // Brings the set of `line` towards the host CPU's caches (no state change).
  void prefetch(uint64_t line) const {
    const uint64_t* t = &tag_[set_of(line) * ways_];
    for (unsigned w = 0; w < ways_; w += 8) __builtin_prefetch(t + w);
  }

 private:
  static constexpr uint64_t kValid = 1, kDirty = 2;
  [[nodiscard]] uint64_t set_of(uint64_t line) const {
    return pow2_ ? line & (sets_ - 1) : line % sets_;
  }
  unsigned ways_ = 1;
  uint64_t sets_ = 1;
  bool pow2_ = true;
  std::vector<uint64_t> tag_;  // per set, most recent first: line << 2 | dirty | valid (0: empty)
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
    // The same line again: an L1 hit that changes no state (the line is its set's most recent
    // already, and a store finds it dirty when the last full lookup of it was a store).
    if (line == last_ && (!store || last_dirty_)) return out;
    last_ = line;
    last_dirty_ = store;
    const TagArray::Result a = l1_.access(line, store);
    if (a.hit) return out;
    // An L1 miss right after the previous line's: the L2 set of the next line is likely next.
    if (line == last_miss_ + 1) l2_.prefetch(line + 1);
    last_miss_ = line;
    if (a.victim_dirty) put_l2(a.victim, out);  // the L1's dirty victim is written into the L2
    const TagArray::Result b = l2_.access(line, false);
    out.miss = !b.hit;
    if (b.victim_dirty) out.writeback[out.writebacks++] = b.victim;
    return out;
  }

  // Sampled simulation (frontend/app_sampling.h): between detail windows the plugin keeps only
  // the L2 up to date, with lines that missed its line filter (touch_l2: the L2's answer;
  // victims are not sent), so that a window does not find lines there that the skipped
  // accesses evicted. drain_l1() at a window's end empties the L1 into the L2 (dirty lines as
  // stores).
  TagArray::Result touch_l2(uint64_t line, bool store) { return l2_.access(line, store); }
  void drain_l1() {
    l1_.clear([&](uint64_t line) { l2_.access(line, true); });
    last_ = ~uint64_t{0};
    last_dirty_ = false;
  }

 private:
  void put_l2(uint64_t line, CoreCacheOutcome& out) {
    const TagArray::Result r = l2_.access(line, true);
    if (r.victim_dirty) out.writeback[out.writebacks++] = r.victim;
  }
  TagArray l1_, l2_;
  uint64_t last_ = ~uint64_t{0};
  bool last_dirty_ = false;  // the last full lookup (of line last_) was a store
  uint64_t last_miss_ = 0;   // the line of the last L1 miss
};

}  // namespace cxlsim::timing
