#include "timing/host_cache.h"

#include <gtest/gtest.h>

#include <random>

#include "spec/error.h"
#include "timing/profile.h"

namespace cxlsim::timing {
namespace {

HostCacheConfig cfg(Bytes size, unsigned ways) { return {true, size, ways, Duration::ns(30)}; }

// Line address of the k-th line mapping to set `set` of `c`.
uint64_t in_set(const HostCache& c, uint64_t set, uint64_t k) { return (set + k * c.sets()) * 64; }

// Reads `line`, filling it on a miss as System would; returns whether it hit.
bool read(HostCache& c, uint64_t line) {
  if (c.lookup(line, Op::kRead)) return true;
  c.fill(line, false);
  return false;
}

TEST(HostCache, GeometryFollowsSizeAndWays) {
  HostCache c(cfg(MiB(30), 15));
  EXPECT_EQ(c.sets(), 32768u);  // 30 MiB / (15 x 64 B)
  HostCache d(cfg(KiB(4), 4));
  EXPECT_EQ(d.sets(), 16u);
}

TEST(HostCache, WaysLinesOfOneSetAllHitAfterTheFirstPass) {
  HostCache c(cfg(KiB(64), 8));
  for (uint64_t k = 0; k < 8; ++k) EXPECT_FALSE(read(c, in_set(c, 5, k)));
  for (int pass = 0; pass < 3; ++pass) {
    for (uint64_t k = 0; k < 8; ++k) EXPECT_TRUE(read(c, in_set(c, 5, k))) << pass << " " << k;
  }
  EXPECT_EQ(c.stats().read_hits, 24u);
  EXPECT_EQ(c.stats().read_misses, 8u);
}

TEST(HostCache, WaysPlusOneLinesCyclingThroughOneSetAlwaysMiss) {
  HostCache c(cfg(KiB(64), 8));
  for (int pass = 0; pass < 4; ++pass) {
    for (uint64_t k = 0; k < 9; ++k) EXPECT_FALSE(read(c, in_set(c, 3, k))) << pass << " " << k;
  }
  EXPECT_EQ(c.stats().hits(), 0u);
}

TEST(HostCache, EvictsTheLeastRecentlyUsedLine) {
  HostCache c(cfg(KiB(4), 4));
  for (uint64_t k = 0; k < 4; ++k) read(c, in_set(c, 0, k));
  EXPECT_TRUE(c.lookup(in_set(c, 0, 0), Op::kRead));  // line 1 is now the LRU one
  EXPECT_FALSE(read(c, in_set(c, 0, 4)));
  EXPECT_TRUE(c.contains(in_set(c, 0, 0)));
  EXPECT_FALSE(c.contains(in_set(c, 0, 1)));
  for (uint64_t k : {2u, 3u, 4u}) EXPECT_TRUE(c.contains(in_set(c, 0, k))) << k;
  // Other sets are untouched.
  EXPECT_FALSE(c.contains(in_set(c, 1, 0)));
}

TEST(HostCache, WorkingSetBelowCapacityHitsOnTheSecondPassAboveItMisses) {
  for (const bool fits : {true, false}) {
    HostCache c(cfg(KiB(256), 16));
    const uint64_t lines = (fits ? KiB(192) : KiB(320)).value() / 64;
    for (uint64_t i = 0; i < lines; ++i) read(c, 0x100000 + i * 64);
    const auto first = c.stats();
    for (uint64_t i = 0; i < lines; ++i) read(c, 0x100000 + i * 64);
    const uint64_t hits = c.stats().hits() - first.hits();
    if (fits) {
      EXPECT_EQ(hits, lines);
    } else {
      EXPECT_EQ(hits,
                0u);  // sequential sweep over 1.25x capacity with LRU: every line evicted first
    }
  }
}

TEST(HostCache, OnlyDirtyVictimsAreWrittenBack) {
  HostCache c(cfg(KiB(4), 2));
  const uint64_t a = in_set(c, 7, 0), b = in_set(c, 7, 1), d = in_set(c, 7, 2);
  EXPECT_FALSE(c.lookup(a, Op::kWrite));
  EXPECT_FALSE(c.fill(a, true));  // write miss: installed dirty
  EXPECT_FALSE(c.fill(b, false));
  auto v = c.fill(d, false);  // evicts a (LRU, dirty)
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, a);
  EXPECT_FALSE(c.fill(a, false));        // evicts b (clean): nothing to write
  EXPECT_TRUE(c.lookup(d, Op::kWrite));  // a write hit dirties d
  EXPECT_FALSE(c.fill(b, false));        // evicts a (clean now)
  v = c.fill(a, false);                  // evicts d (dirty)
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, d);
  EXPECT_EQ(c.stats().writebacks, 2u);
}

TEST(HostCache, RefillOfAPresentLineKeepsItsDirtinessAndEvictsNothing) {
  HostCache c(cfg(KiB(4), 2));
  const uint64_t a = in_set(c, 0, 0), b = in_set(c, 0, 1);
  c.fill(a, true);
  c.fill(b, false);
  EXPECT_FALSE(c.fill(a, false));  // a second miss to a returns: a stays dirty, b stays
  EXPECT_TRUE(c.contains(b));
  c.fill(in_set(c, 0, 2), false);  // evicts b (a was refreshed)
  EXPECT_TRUE(c.contains(a));
  auto v = c.fill(in_set(c, 0, 3), false);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, a);
}

TEST(HostCache, SameAccessesGiveTheSameOutcome) {
  auto run = [] {
    HostCache c(cfg(KiB(32), 4));
    std::mt19937_64 g(9);
    std::vector<int> out;
    for (int i = 0; i < 20000; ++i) {
      const uint64_t line = (g() % 2048) * 64;
      const Op op = g() % 3 == 0 ? Op::kWrite : Op::kRead;
      if (c.lookup(line, op)) {
        out.push_back(1);
      } else {
        auto v = c.fill(line, op == Op::kWrite);
        out.push_back(v ? static_cast<int>(*v / 64) + 2 : 0);
      }
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

TEST(HostCache, ChecksNameTheBadField) {
  EXPECT_EQ(check(cfg(KiB(4), 0))->field, std::string("ways"));
  EXPECT_EQ(check(cfg(Bytes(0), 4))->field, std::string("size"));
  EXPECT_EQ(check(cfg(Bytes(uint64_t{1000} * 64), 16))->field,
            std::string("size"));  // 1000 lines, not a multiple of 16
  EXPECT_EQ(check(cfg(GiB(2), 16))->field, std::string("size"));
  EXPECT_FALSE(check(cfg(MiB(30), 15)));
  EXPECT_FALSE(check(HostCacheConfig{}));  // disabled: nothing to check
  EXPECT_THROW(HostCache(cfg(KiB(4), 3)), ValidationError);
}

TEST(HostCache, SpecOverridesTheProfileCache) {
  const HostCacheConfig prof{false, MiB(30), 15, Duration::ns(33)};
  auto c = apply_cache_spec(prof, "on");
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.size, MiB(30));
  EXPECT_FALSE(apply_cache_spec(c, "off").enabled);
  c = apply_cache_spec(prof, "60M");
  EXPECT_EQ(c.size, MiB(60));
  EXPECT_EQ(c.ways, 15u);
  EXPECT_EQ(c.hit_latency, Duration::ns(33));
  c = apply_cache_spec(prof, "2M:16:20ns");
  EXPECT_EQ(c.ways, 16u);
  EXPECT_EQ(c.hit_latency, Duration::ns(20));
  EXPECT_THROW(apply_cache_spec(prof, "1M:7"), ParseError);  // 1 MiB is no multiple of 7 x 64 B
  EXPECT_THROW(apply_cache_spec(prof, "1M:x"), ParseError);
  EXPECT_THROW(apply_cache_spec(prof, "1M:4:5ns:1"), ParseError);
  EXPECT_THROW(apply_cache_spec(prof, "big"), ParseError);
  // A profile without a [cache] table supplies neither ways nor latency.
  EXPECT_THROW(apply_cache_spec(HostCacheConfig{}, "on"), ParseError);
  EXPECT_THROW(apply_cache_spec(HostCacheConfig{}, "2M:16"), ParseError);
  EXPECT_TRUE(apply_cache_spec(HostCacheConfig{}, "2M:16:30").enabled);
}

// The spr-xeon host with its [cache] table replaced by `table` (empty: none).
HostProfile host_with(const std::string& table) {
  std::string text(builtin_profile_text("spr-xeon"));
  text = text.substr(0, text.find("[cache]"));
  return parse_host_profile(text + table, "test-host");
}

std::string parse_error(const std::string& table) {
  try {
    host_with(table);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HostCacheProfile, BuiltInHostDescribesItsLlcButLeavesItOff) {
  const HostProfile h = load_host_profile("spr-xeon");
  EXPECT_FALSE(h.cache.enabled);
  EXPECT_EQ(h.cache.size, MiB(30));
  EXPECT_EQ(h.cache.ways, 15u);
  EXPECT_LT(h.cache.hit_latency, h.core_to_home + h.home_to_core);  // a hit beats any miss
  EXPECT_FALSE(check(HostCacheConfig{true, h.cache.size, h.cache.ways, h.cache.hit_latency}));
}

TEST(HostCacheProfile, ATableEnablesTheCacheAnAbsentOneDoesNot) {
  EXPECT_FALSE(host_with("").cache.enabled);
  const HostProfile h = host_with("[cache]\nsize = \"2M\"\nways = 16\nhit_latency_ns = 28.5\n");
  EXPECT_TRUE(h.cache.enabled);
  EXPECT_EQ(h.cache.size, MiB(2));
  EXPECT_EQ(h.cache.ways, 16u);
  EXPECT_EQ(h.cache.hit_latency, Duration::ns(28.5));
  EXPECT_EQ(host_with("[cache]\nsize = 1048576\nways = 4\nhit_latency_ns = 20\n").cache.size,
            MiB(1));
}

TEST(HostCacheProfile, BadTablesNameTheField) {
  EXPECT_NE(
      parse_error("[cache]\nsize = \"1M\"\nways = 7\nhit_latency_ns = 20\n").find("[cache] size"),
      std::string::npos);
  EXPECT_NE(
      parse_error("[cache]\nsize = \"1M\"\nways = 0\nhit_latency_ns = 20\n").find("[cache] ways"),
      std::string::npos);
  EXPECT_NE(
      parse_error("[cache]\nsize = \"lots\"\nways = 4\nhit_latency_ns = 20\n").find("[cache] size"),
      std::string::npos);
  EXPECT_NE(
      parse_error("[cache]\nsize = \"1M\"\nways = 4\n").find("[cache] hit_latency_ns is missing"),
      std::string::npos);
  EXPECT_NE(parse_error("[cache]\nways = 4\nhit_latency_ns = 20\n").find("[cache] size is missing"),
            std::string::npos);
  EXPECT_NE(parse_error("[cache]\nsize = \"1M\"\nways = 4\nhit_latency_ns = 20\nenabled = 1\n")
                .find("[cache] enabled"),
            std::string::npos);
}

}  // namespace
}  // namespace cxlsim::timing
