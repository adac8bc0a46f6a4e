#include "timing/core_caches.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace cxlsim::timing {
namespace {

TEST(TagArray, HitsAfterInstallAndEvictsTheLeastRecentlyUsedWay) {
  TagArray a(uint64_t{2} * 64 * 4, 2);  // 4 sets of 2 ways
  EXPECT_FALSE(a.access(0, false).hit);
  EXPECT_TRUE(a.access(0, false).hit);
  EXPECT_FALSE(a.access(4, false).hit);  // same set (line % 4 == 0), second way
  EXPECT_TRUE(a.access(0, false).hit);   // 0 is now the most recent
  EXPECT_FALSE(a.access(8, false).hit);  // evicts 4, the least recent
  EXPECT_TRUE(a.access(0, false).hit);
  EXPECT_FALSE(a.access(4, false).hit);
}

TEST(TagArray, OnlyADirtyVictimIsReported) {
  TagArray a(64, 1);  // one line
  a.access(7, true);
  const auto r = a.access(9, false);
  EXPECT_TRUE(r.victim_dirty);
  EXPECT_EQ(r.victim, 7u);
  EXPECT_FALSE(a.access(11, false).victim_dirty);  // 9 was clean
}

// True LRU by access stamps, every way compared: what TagArray's recency-ordered sets must
// reproduce (hits, victims and their dirtiness).
class StampedLru {
 public:
  StampedLru(uint64_t sets, unsigned ways) : sets_(sets), ways_(ways), way_(sets * ways) {}
  TagArray::Result access(uint64_t line, bool dirty) {
    Way* set = &way_[(line % sets_) * ways_];
    ++clock_;
    Way* lru = set;
    for (unsigned w = 0; w < ways_; ++w) {
      if (set[w].stamp != 0 && set[w].line == line) {
        set[w].stamp = clock_;
        set[w].dirty = set[w].dirty || dirty;
        return {true, false, 0};
      }
      if (set[w].stamp < lru->stamp) lru = &set[w];
    }
    TagArray::Result r;
    r.victim_dirty = lru->stamp != 0 && lru->dirty;
    r.victim = r.victim_dirty ? lru->line : 0;
    *lru = Way{line, clock_, dirty};
    return r;
  }

 private:
  struct Way {
    uint64_t line = 0, stamp = 0;  // stamp 0: empty
    bool dirty = false;
  };
  uint64_t sets_;
  unsigned ways_;
  std::vector<Way> way_;
  uint64_t clock_ = 0;
};

TEST(TagArray, MatchesStampedLruOnRandomAccesses) {
  TagArray a(uint64_t{64} * 4 * 8, 8);  // 4 sets of 8 ways
  StampedLru ref(4, 8);
  uint64_t rng = 777, victims = 0;
  for (int i = 0; i < 100000; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t line = (rng >> 33) % 56;  // 14 lines per set: hits and evictions both
    const bool dirty = (rng >> 20) % 4 == 0;
    const TagArray::Result got = a.access(line, dirty);
    const TagArray::Result want = ref.access(line, dirty);
    ASSERT_EQ(got.hit, want.hit) << "access " << i;
    ASSERT_EQ(got.victim_dirty, want.victim_dirty) << "access " << i;
    ASSERT_EQ(got.victim, want.victim) << "access " << i;
    victims += want.victim_dirty ? 1 : 0;
  }
  EXPECT_GT(victims, 1000u);  // dirty evictions were exercised
}

TEST(CoreCaches, AStoredLineLeavesTheL2OnlyAsAWriteBack) {
  CoreCaches c(uint64_t{64} * 2, 2, uint64_t{64} * 4, 4);  // L1: 1 set x 2 ways; L2: 1 set x 4 ways
  EXPECT_TRUE(c.access(100, true).miss);                   // a store miss: read for ownership
  EXPECT_FALSE(c.access(100, false).miss);
  // Four more lines push 100 out of the L1 (into the L2, dirty) and then out of the L2.
  unsigned wbs = 0;
  uint64_t wb = 0;
  for (uint64_t l = 200; l < 205; ++l) {
    const auto o = c.access(l, false);
    EXPECT_TRUE(o.miss);
    for (unsigned i = 0; i < o.writebacks; ++i) wb = o.writeback[i], ++wbs;
  }
  EXPECT_EQ(wbs, 1u);
  EXPECT_EQ(wb, 100u);
}

TEST(CoreCaches, ASkipKeepsTheL2AndDrainsTheL1) {
  CoreCaches c(uint64_t{64} * 2, 2, uint64_t{64} * 4, 4);  // L1: 1 set x 2 ways; L2: 1 set x 4 ways
  EXPECT_TRUE(c.access(100, true).miss);
  c.drain_l1();  // 100 leaves the L1 dirty: it is in the L2 now
  EXPECT_FALSE(c.access(100, false).miss);
  c.drain_l1();
  // What a skip touched evicts it from the L2: four other lines in a 4-way set.
  for (uint64_t l = 300; l < 304; ++l) c.touch_l2(l, false);
  EXPECT_TRUE(c.access(100, false).miss);
  EXPECT_FALSE(c.access(303, false).miss);  // and what it touched is there
}

TEST(TagArray, ClearReportsEachDirtyLineAndEmptiesTheArray) {
  TagArray t(uint64_t{64} * 4, 2);  // 2 sets x 2 ways
  t.access(1, true);
  t.access(2, false);
  t.access(3, true);
  std::vector<uint64_t> dirty;
  t.clear([&](uint64_t l) { dirty.push_back(l); });
  std::sort(dirty.begin(), dirty.end());
  EXPECT_EQ(dirty, (std::vector<uint64_t>{1, 3}));
  EXPECT_FALSE(t.access(2, false).hit);
}

// The contract spelled out on two tag arrays, every access looked up in full: what CoreCaches'
// same-line shortcut must reproduce.
CoreCacheOutcome reference_access(TagArray& l1, TagArray& l2, uint64_t line, bool store) {
  CoreCacheOutcome out;
  const TagArray::Result a = l1.access(line, store);
  if (a.hit) return out;
  if (a.victim_dirty) {
    const TagArray::Result v = l2.access(a.victim, true);
    if (v.victim_dirty) out.writeback[out.writebacks++] = v.victim;
  }
  const TagArray::Result b = l2.access(line, false);
  out.miss = !b.hit;
  if (b.victim_dirty) out.writeback[out.writebacks++] = b.victim;
  return out;
}

TEST(CoreCaches, RepeatedLoadsAndStoresToALineMatchFullLookups) {
  // Small caches (L1 2 sets x 2 ways, L2 2 sets x 4 ways) and runs of accesses to one line,
  // mixing loads and stores, so that the shortcut is taken often and victims are frequent.
  CoreCaches c(uint64_t{64} * 4, 2, uint64_t{64} * 8, 4);
  TagArray l1(uint64_t{64} * 4, 2), l2(uint64_t{64} * 8, 4);
  uint64_t rng = 12345, shortcut_cases = 0;
  uint64_t line = 0;
  for (int i = 0; i < 200000; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t r = rng >> 33;
    if (r % 4 == 0) line = (r >> 2) % 24;  // a new line a quarter of the time
    const bool store = (r >> 8) % 3 == 0;
    const CoreCacheOutcome got = c.access(line, store);
    const CoreCacheOutcome want = reference_access(l1, l2, line, store);
    ASSERT_EQ(got.miss, want.miss) << "access " << i;
    ASSERT_EQ(got.writebacks, want.writebacks) << "access " << i;
    for (unsigned w = 0; w < want.writebacks; ++w) {
      ASSERT_EQ(got.writeback[w], want.writeback[w]) << "access " << i;
    }
    shortcut_cases += r % 4 != 0 && store ? 1 : 0;
  }
  EXPECT_GT(shortcut_cases, 10000u);  // repeated stores were exercised
}

}  // namespace
}  // namespace cxlsim::timing
