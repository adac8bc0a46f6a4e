#include "frontend/placement.h"

#include <gtest/gtest.h>

#include <set>

#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

constexpr uint64_t kPage = Placement::kPage;
constexpr uint64_t kDram = 0, kDramSize = 64 * kPage;
constexpr uint64_t kCxl = uint64_t{1} << 40, kCxlSize = 32 * kPage;

bool in_dram(uint64_t hpa) { return hpa >= kDram && hpa < kDram + kDramSize; }
bool in_cxl(uint64_t hpa) { return hpa >= kCxl && hpa < kCxl + kCxlSize; }

TEST(PlacementPolicy, ParsesEveryPolicy) {
  EXPECT_EQ(parse_placement("all-dram").kind, PlacementPolicy::Kind::kAllDram);
  EXPECT_EQ(parse_placement("all-cxl").kind, PlacementPolicy::Kind::kAllCxl);
  const auto i = parse_placement("interleave:3:1");
  EXPECT_EQ(i.kind, PlacementPolicy::Kind::kInterleave);
  EXPECT_EQ(i.dram_pages, 3u);
  EXPECT_EQ(i.cxl_pages, 1u);
  const auto f = parse_placement("first-touch:2M");
  EXPECT_EQ(f.kind, PlacementPolicy::Kind::kFirstTouch);
  EXPECT_EQ(f.dram_bytes, uint64_t{2} << 20);
}

TEST(PlacementPolicy, BadTextIsAParseErrorNamingIt) {
  for (const char* t : {"", "dram", "interleave:", "interleave:1", "interleave:0:0",
                        "interleave:1:2:3", "interleave:1:x", "first-touch:", "first-touch:lots"}) {
    try {
      parse_placement(t);
      ADD_FAILURE() << "accepted '" << t << "'";
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + t + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(Placement, AllDramAndAllCxlKeepOffsetsWithinThePage) {
  Placement d(parse_placement("all-dram"), kDram, kDramSize, kCxl, kCxlSize);
  Placement c(parse_placement("all-cxl"), kDram, kDramSize, kCxl, kCxlSize);
  for (uint64_t a : {uint64_t{0x7}, uint64_t{0x5000'0123}, uint64_t{0xdead'beef}}) {
    EXPECT_TRUE(in_dram(d.map(a)));
    EXPECT_TRUE(in_cxl(c.map(a)));
    EXPECT_EQ(d.map(a) % kPage, a % kPage);
    EXPECT_EQ(c.map(a) % kPage, a % kPage);
  }
  EXPECT_EQ(d.dram_pages(), 3u);
  EXPECT_EQ(d.cxl_pages(), 0u);
  EXPECT_EQ(c.cxl_pages(), 3u);
}

TEST(Placement, APageKeepsItsPlaceAndDistinctPagesGetDistinctFrames) {
  Placement p(parse_placement("interleave:1:1"), kDram, kDramSize, kCxl, kCxlSize);
  std::set<uint64_t> frames;
  for (uint64_t page = 0; page < 16; ++page) frames.insert(p.map(page * kPage * 7) / kPage);
  EXPECT_EQ(frames.size(), 16u);
  for (uint64_t page = 0; page < 16; ++page) {
    EXPECT_TRUE(
        frames.count(p.map(page * kPage * 7 + 100) / kPage));  // same frame on a later touch
  }
  EXPECT_EQ(p.dram_pages() + p.cxl_pages(), 16u);
}

TEST(Placement, InterleaveFollowsFirstTouchOrder) {
  Placement p(parse_placement("interleave:2:1"), kDram, kDramSize, kCxl, kCxlSize);
  // Touch pages in a scrambled order: the policy counts touches, not addresses.
  const uint64_t order[] = {9, 3, 40, 1, 0, 22, 7, 8, 5};
  for (size_t i = 0; i < std::size(order); ++i) {
    const uint64_t hpa = p.map(order[i] * kPage);
    EXPECT_EQ(in_dram(hpa), i % 3 < 2) << "touch " << i;
    EXPECT_EQ(in_cxl(hpa), i % 3 == 2) << "touch " << i;
  }
  EXPECT_EQ(p.dram_pages(), 6u);
  EXPECT_EQ(p.cxl_pages(), 3u);
}

TEST(Placement, FirstTouchFillsDramThenSpillsToCxl) {
  Placement p(parse_placement("first-touch:16K"), kDram, kDramSize, kCxl, kCxlSize);
  for (uint64_t page = 0; page < 10; ++page) {
    const uint64_t hpa = p.map((100 + page) * kPage);
    EXPECT_EQ(in_dram(hpa), page < 4) << page;  // 16 KiB = 4 pages
  }
  EXPECT_EQ(p.dram_pages(), 4u);
  EXPECT_EQ(p.cxl_pages(), 6u);
}

TEST(Placement, PagesBeyondTheCxlWindowSpillToDram) {
  Placement p(parse_placement("all-cxl"), kDram, kDramSize, kCxl, kCxlSize);
  const uint64_t cxl_pages = kCxlSize / kPage;
  std::set<uint64_t> frames;
  for (uint64_t page = 0; page < cxl_pages + 5; ++page) {
    const uint64_t hpa = p.map(page * kPage);
    EXPECT_EQ(in_cxl(hpa), page < cxl_pages) << page;
    EXPECT_EQ(in_dram(hpa), page >= cxl_pages) << page;
    frames.insert(hpa / kPage);
  }
  EXPECT_EQ(frames.size(), cxl_pages + 5);  // no frame is handed out twice
  EXPECT_EQ(p.cxl_pages(), cxl_pages);
  EXPECT_EQ(p.dram_pages(), 5u);
  EXPECT_EQ(p.spilled_pages(), 5u);
}

TEST(Placement, AddressesAnywhereInTheSixtyFourBitSpaceArePlaced) {
  Placement p(parse_placement("all-dram"), kDram, kDramSize, kCxl, kCxlSize);
  const uint64_t lo = 0x1000, hi = 0xffff'ffff'ffff'f000;
  EXPECT_NE(p.map(lo) / kPage, p.map(hi) / kPage);
  EXPECT_EQ(p.map(hi + 5) % kPage, 5u);
  EXPECT_EQ(p.map(lo) / kPage, p.map(lo + 100) / kPage);
  EXPECT_EQ(p.dram_pages(), 2u);
}

TEST(Placement, CxlPolicyWithoutCxlMemoryIsRejected) {
  EXPECT_THROW(Placement(parse_placement("all-cxl"), kDram, kDramSize, 0, 0), ValidationError);
  EXPECT_THROW(Placement(parse_placement("interleave:1:1"), kDram, kDramSize, 0, 0),
               ValidationError);
  EXPECT_NO_THROW(Placement(parse_placement("all-dram"), kDram, kDramSize, 0, 0));
}

}  // namespace
}  // namespace cxlsim::frontend
