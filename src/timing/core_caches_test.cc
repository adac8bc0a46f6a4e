#include "timing/core_caches.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cxlsim::timing
