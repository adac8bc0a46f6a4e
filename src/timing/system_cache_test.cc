// The host cache inside the System: hits skip memory, misses fill, dirty victims are written
// back once, and every request still completes exactly once.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/system.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

HostProfile with_cache(Bytes size, unsigned ways, Duration hit) {
  HostProfile h = load_host_profile("spr-xeon");
  h.cache = HostCacheConfig{true, size, ways, hit};
  return h;
}

struct Step {
  Duration at;
  uint64_t hpa;
  Op op = Op::kRead;
};

// Issues one request per step at its time; records latency and the op seen on completion.
class Probe final : public Requester {
 public:
  explicit Probe(std::vector<Step> plan) : plan_(std::move(plan)) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    for (const Step& s : plan_) sys.schedule(s.at, this, nullptr);
  }
  void on_event(Request*, Duration) override {
    Request* r = sys_->alloc(id());
    r->op = plan_[next_].op;
    r->hpa = plan_[next_].hpa;
    r->tag = next_++;
    sys_->issue(r);
  }
  void complete(System&, Request& r, Duration now) override {
    latency[r.tag] = now - r.issued;
    op[r.tag] = r.op;
    ++done;
  }
  std::map<uint64_t, Duration> latency;
  std::map<uint64_t, Op> op;
  uint64_t done = 0;

 private:
  System* sys_ = nullptr;
  std::vector<Step> plan_;
  size_t next_ = 0;
};

struct Fixture {
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile dev = quiet(load_device_profile("eurosys24-asic"));
  System make(const HostProfile& h, unsigned levels = 0, unsigned fanout = 1) {
    return {h, local, GiB(64), switch_tree(levels, fanout),
            [&](const std::string&) { return dev; }};
  }
};

TEST(SystemCache, NoCacheUnlessTheProfileEnablesOne) {
  Fixture f;
  HostProfile h = load_host_profile("spr-xeon");
  EXPECT_FALSE(h.cache.enabled);
  EXPECT_EQ(f.make(h).cache(), nullptr);
  h.cache.enabled = true;
  System sys = f.make(h);
  ASSERT_NE(sys.cache(), nullptr);
  EXPECT_EQ(sys.cache()->config().size, MiB(30));
}

TEST(SystemCache, AHitCostsTheHitLatencyAndLeavesMemoryAlone) {
  Fixture f;
  const Duration hit = Duration::ns(31.5);
  System sys = f.make(with_cache(MiB(1), 16, hit));
  const uint64_t a = sys.regions().front().base + 4096;
  Probe p(
      {{Duration::ns(1000), a}, {Duration::ns(3000), a}, {Duration::ns(4000), a + 8, Op::kWrite}});
  sys.add(&p);
  sys.run_until(Duration::ns(10000));
  ASSERT_EQ(p.done, 3u);
  // The miss costs what it costs without a cache (the LLC lookup is part of core_to_home).
  EXPECT_EQ(p.latency[0], sys.idle_read_latency(1));
  EXPECT_EQ(p.latency[1], hit);
  EXPECT_EQ(p.latency[2], hit);  // a write to the same line hits too
  EXPECT_EQ(p.op[2], Op::kWrite);
  EXPECT_EQ(sys.targets()[1].stats.reads, 1u);
  EXPECT_EQ(sys.targets()[1].stats.writes, 0u);
  EXPECT_EQ(sys.cache()->stats().hits(), 2u);
  EXPECT_EQ(sys.cache()->stats().misses(), 1u);
  EXPECT_EQ(sys.completed(), 3u);
}

// 4 KiB 2-way: 32 sets, lines 2 KiB apart share a set; the third line evicts the first.
TEST(SystemCache, ADirtyEvictionWritesTheLineBackExactlyOnce) {
  for (Op first : {Op::kWrite, Op::kRead}) {
    Fixture f;
    System sys = f.make(with_cache(KiB(4), 2, Duration::ns(30)));
    const uint64_t a = sys.regions().front().base;
    Probe p({{Duration::ns(1000), a, first},
             {Duration::ns(2000), a + 2048},
             {Duration::ns(3000), a + 4096}});
    sys.add(&p);
    sys.run_until(Duration::ns(20000));
    const bool dirty = first == Op::kWrite;
    ASSERT_EQ(p.done, 3u);
    EXPECT_EQ(p.op[0],
              first);  // the requester sees its write, though memory saw a read for ownership
    const TargetStats& s = sys.targets()[1].stats;
    EXPECT_EQ(s.reads, 3u);  // three fills; the write miss read its line first
    EXPECT_EQ(s.writes, dirty ? 1u : 0u);
    EXPECT_EQ(sys.targets()[1].media->stats().writes, dirty ? 1u : 0u);
    EXPECT_EQ(sys.cache()->stats().writebacks, dirty ? 1u : 0u);
    EXPECT_EQ(sys.completed(), dirty ? 4u : 3u);  // the write-back completes too
    EXPECT_EQ(sys.in_flight(), 0u);               // and went back to the pool
    EXPECT_FALSE(sys.cache()->contains(a));
  }
}

// Issues `n` requests (every third a write) at random lines of two ranges, `depth` in flight.
class Random final : public Requester {
 public:
  Random(uint64_t n, unsigned depth, std::vector<std::pair<uint64_t, uint64_t>> ranges,
         uint64_t seed)
      : done(n, 0), n_(n), depth_(depth), ranges_(std::move(ranges)), rng_(seed) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    pump();
  }
  void on_event(Request*, Duration) override {}
  void complete(System&, Request& r, Duration now) override {
    ++done[r.tag];
    if (r.op != op_[r.tag]) ++op_changed;
    latency_sum += now - r.issued;
    --out_;
    pump();
  }
  std::vector<uint8_t> done;
  uint64_t writes = 0, op_changed = 0;
  Duration latency_sum;

 private:
  void pump() {
    while (out_ < depth_ && next_ < n_) {
      Request* r = sys_->alloc(id());
      r->op = splitmix64(rng_) % 3 == 0 ? Op::kWrite : Op::kRead;
      op_.push_back(r->op);
      writes += r->op == Op::kWrite;
      const auto& [base, size] = ranges_[splitmix64(rng_) % ranges_.size()];
      r->hpa = base + (splitmix64(rng_) % (size / 64)) * 64;
      r->tag = next_++;
      ++out_;
      sys_->issue(r);
    }
  }
  System* sys_ = nullptr;
  uint64_t n_;
  unsigned depth_;
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;
  std::vector<Op> op_;
  uint64_t next_ = 0, rng_;
  unsigned out_ = 0;
};

struct MixedRun {
  uint64_t completed = 0, hits = 0, misses = 0, fills = 0, writebacks = 0, reads = 0, writes = 0,
           media = 0;
  uint64_t requester_writes = 0, op_changed = 0, link_bytes = 0;
  size_t in_flight = 0;
  Duration latency_sum;
  bool each_once = true;
};

// 6 requesters x 48 in flight (more than one device's 64 credits, so write-backs wait too),
// over 1.5 MiB of local DRAM and 1.5 MiB of a 4-device interleaved region behind two switch
// levels, with a 1 MiB 8-way cache: hits, misses and write-backs all happen.
MixedRun mixed_run(uint64_t seed) {
  Fixture f;
  System sys = f.make(with_cache(MiB(1), 8, Duration::ns(30)), 2, 2);
  const CommittedRegion& w = sys.regions().front();
  std::vector<std::unique_ptr<Random>> qs;
  for (unsigned i = 0; i < 6; ++i) {
    qs.push_back(std::make_unique<Random>(
        20000, 48,
        std::vector<std::pair<uint64_t, uint64_t>>{{MiB(64).value(), KiB(1536).value()},
                                                   {w.base, KiB(1536).value()}},
        seed * 10 + i));
    sys.add(qs.back().get());
  }
  sys.run_until(Duration::ns(1e9));
  MixedRun m;
  m.completed = sys.completed();
  m.in_flight = sys.in_flight();
  const HostCacheStats& c = sys.cache()->stats();
  m.hits = c.hits();
  m.misses = c.misses();
  m.fills = c.fills;
  m.writebacks = c.writebacks;
  for (const Target& t : sys.targets()) {
    m.reads += t.stats.reads;
    m.writes += t.stats.writes;
    m.media += t.media->stats().reads + t.media->stats().writes;
  }
  for (const auto& l : sys.links()) {
    m.link_bytes += l->stats(Dir::kDown).payload_bytes + l->stats(Dir::kUp).payload_bytes;
  }
  for (const auto& q : qs) {
    for (uint8_t d : q->done) m.each_once = m.each_once && d == 1;
    m.requester_writes += q->writes;
    m.op_changed += q->op_changed;
    m.latency_sum += q->latency_sum;
  }
  return m;
}

TEST(SystemCache, MixedRunConservesRequestsAndBytes) {
  const MixedRun m = mixed_run(1);
  const uint64_t n = uint64_t{6} * 20000;
  EXPECT_TRUE(m.each_once);
  EXPECT_EQ(m.op_changed, 0u);
  EXPECT_EQ(m.in_flight, 0u);
  EXPECT_EQ(m.hits + m.misses, n);
  EXPECT_GT(m.hits, n / 10);  // the 3 MiB working set partly fits the 1 MiB cache
  EXPECT_GT(m.writebacks, 1000u);
  EXPECT_EQ(m.completed, n + m.writebacks);
  // Memory sees fills as reads and write-backs as writes, nothing else.
  EXPECT_EQ(m.fills, m.misses);
  EXPECT_EQ(m.reads, m.fills);
  EXPECT_EQ(m.writes, m.writebacks);
  EXPECT_EQ(m.media, m.fills + m.writebacks);
  EXPECT_LT(m.writebacks, m.requester_writes);  // written lines are often rewritten before eviction
}

TEST(SystemCache, SameSeedSameRunOtherSeedOtherRun) {
  const MixedRun a = mixed_run(2), b = mixed_run(2), c = mixed_run(3);
  EXPECT_EQ(a.latency_sum, b.latency_sum);
  EXPECT_EQ(a.hits, b.hits);
  EXPECT_EQ(a.writebacks, b.writebacks);
  EXPECT_EQ(a.link_bytes, b.link_bytes);
  EXPECT_NE(a.latency_sum, c.latency_sum);
}

TEST(SystemCache, ACacheCutsMeanLatencyOfAWorkingSetThatFits) {
  // 512 KiB of CXL lines read again and again: with a 1 MiB cache nearly all hit.
  Fixture f;
  Duration mean[2];
  for (int on = 0; on < 2; ++on) {
    HostProfile h = with_cache(MiB(1), 8, Duration::ns(30));
    h.cache.enabled = on == 1;
    System sys = f.make(h);
    Random q(20000, 16, {{sys.regions().front().base, KiB(512).value()}}, 7);
    sys.add(&q);
    sys.run_until(Duration::ns(1e9));
    mean[on] = q.latency_sum / 20000;
  }
  EXPECT_LT(mean[1] * 2, mean[0]);
  EXPECT_GE(mean[1], Duration::ns(30));
}

}  // namespace
}  // namespace cxlsim::timing
