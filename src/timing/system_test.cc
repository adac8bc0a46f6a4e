#include "timing/system.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

// Issues one read at each given time and records each completion once.
class Probe final : public Requester {
 public:
  Probe(std::vector<std::pair<Duration, uint64_t>> plan) : plan_(std::move(plan)) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    for (auto& i : plan_) sys.schedule(i.first, this, nullptr);
  }
  void on_event(Request*, Duration) override {
    Request* r = sys_->alloc(id());
    r->op = Op::kRead;
    r->hpa = plan_[next_].second;
    r->tag = next_++;
    sys_->issue(r);
  }
  void complete(System&, Request& r, Duration now) override { latency[r.tag] = now - r.issued; }
  std::map<uint64_t, Duration> latency;

 private:
  System* sys_ = nullptr;
  std::vector<std::pair<Duration, uint64_t>> plan_;
  size_t next_ = 0;
};

struct Fixture {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile dev = quiet(load_device_profile("eurosys24-asic"));
};

TEST(System, IdleReadCostsTheSumOfItsPathLatencies) {
  Fixture f;
  for (unsigned levels : {0u, 1u, 2u}) {
    System sys(f.host, f.local, GiB(64), switch_tree(levels, 2),
               [&](const std::string&) { return f.dev; });
    const uint64_t base = sys.regions().front().base;
    Probe p({{Duration::ns(1000), base}});
    sys.add(&p);
    sys.run_until(Duration::ns(10000));
    ASSERT_EQ(p.latency.size(), 1u);
    const Duration expect = sys.idle_read_latency(1);
    EXPECT_EQ(p.latency[0], expect) << levels;  // an idle bus serves the burst when it is ready
  }
}

TEST(System, EachSwitchHopAddsItsLatencyBothWays) {
  Fixture f;
  Duration lat[2];
  for (unsigned levels : {0u, 1u}) {
    System sys(f.host, f.local, GiB(64), switch_tree(levels, 1),
               [&](const std::string&) { return f.dev; });
    Probe p({{Duration::ns(1000), sys.regions().front().base}});
    sys.add(&p);
    sys.run_until(Duration::ns(10000));
    lat[levels] = p.latency[0];
  }
  FlitLink link("l", f.dev.link);
  const Duration hop = f.host.switch_latency * 2 + link.idle_latency(Msg::kReqRead) +
                       link.idle_latency(Msg::kRespData);
  EXPECT_EQ(lat[1] - lat[0], hop);
  EXPECT_GT(lat[1] - lat[0], f.host.switch_latency * 2);
}

TEST(System, LocalDramIdleReadIsCheaperThanCxl) {
  Fixture f;
  System sys(f.host, f.local, GiB(64), switch_tree(0, 1),
             [&](const std::string&) { return f.dev; });
  Probe p({{Duration::ns(1000), 4096}, {Duration::ns(3000), sys.regions().front().base}});
  sys.add(&p);
  sys.run_until(Duration::ns(10000));
  EXPECT_LT(p.latency[0], p.latency[1]);
  EXPECT_EQ(p.latency[0], sys.idle_read_latency(0));
}

struct RunTotals {
  uint64_t completed = 0;
  Duration latency_sum;
  size_t pool = 0;
};

// 24 cores of random or sequential 2:1 reads:writes over a two-level switch with 4 devices
// and local DRAM.
RunTotals loaded_run(uint64_t seed, Duration length) {
  Fixture f;
  System sys(f.host, f.local, GiB(64), switch_tree(2, 2),
             [&](const std::string&) { return f.dev; });
  const uint64_t base = sys.regions().front().base;
  std::vector<std::unique_ptr<StreamCore>> cores;
  for (unsigned i = 0; i < 24; ++i) {
    StreamCoreConfig c;
    c.read_base = i % 3 == 0 ? uint64_t{i} << 28 : base + (uint64_t{i} << 28);
    c.read_size = uint64_t{1} << 28;
    c.write_base = c.read_base;
    c.write_size = c.read_size;
    c.reads = 2;
    c.writes = 1;
    c.random = i % 2 == 0;
    c.compute = Duration::ns(i % 4);
    c.seed = seed * 100 + i;
    cores.push_back(std::make_unique<StreamCore>(c));
    sys.add(cores.back().get());
  }
  sys.run_until(length);
  RunTotals t;
  for (const Target& tg : sys.targets()) t.latency_sum += tg.stats.latency_sum;
  t.completed = sys.completed();
  t.pool = sys.pool_capacity();
  return t;
}

// Issues `n` requests (every third a write) at random lines of all targets, 64 in flight.
class Finite final : public Requester {
 public:
  Finite(uint64_t n, uint64_t base, uint64_t size) : done_(n, 0), n_(n), base_(base), size_(size) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    pump();
  }
  void on_event(Request*, Duration) override {}
  void complete(System&, Request& r, Duration) override {
    ++done_[r.tag];
    --out_;
    pump();
  }
  std::vector<uint8_t> done_;
  uint64_t writes = 0;

 private:
  void pump() {
    while (out_ < 64 && next_ < n_) {
      Request* r = sys_->alloc(id());
      r->op = next_ % 3 == 2 ? Op::kWrite : Op::kRead;
      writes += r->op == Op::kWrite;
      r->hpa = base_ + (splitmix64(rng_) % (size_ / 64)) * 64;
      r->tag = next_++;
      ++out_;
      sys_->issue(r);
    }
  }
  System* sys_ = nullptr;
  uint64_t n_, base_, size_, next_ = 0, rng_ = 9;
  unsigned out_ = 0;
};

TEST(System, EveryRequestCompletesExactlyOnceAndBytesAreConserved) {
  Fixture f;
  System sys(f.host, f.local, GiB(64), switch_tree(2, 2),
             [&](const std::string&) { return f.dev; });
  const CommittedRegion& w = sys.regions().front();
  const uint64_t n = 60000;
  Finite q(n, w.base, w.size);
  sys.add(&q);
  sys.run_until(Duration::ns(1e9));
  EXPECT_EQ(sys.in_flight(), 0u);
  EXPECT_EQ(sys.completed(), n);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(q.done_[i], 1) << "request " << i;
  uint64_t reads = 0, writes = 0, media = 0;
  for (const Target& t : sys.targets()) {
    reads += t.stats.reads;
    writes += t.stats.writes;
    media += t.media->stats().reads + t.media->stats().writes;
  }
  EXPECT_EQ(writes, q.writes);
  EXPECT_EQ(reads + writes, n);
  EXPECT_EQ(media, n);
  // Root link: all write data went down, all read data came up; each leaf link carried
  // exactly its device's share.
  const LinkModel* root = sys.targets()[1].hops.front().link;
  EXPECT_EQ(root->stats(Dir::kDown).payload_bytes, 64 * writes);
  EXPECT_EQ(root->stats(Dir::kUp).payload_bytes, 64 * reads);
  EXPECT_EQ(root->stats(Dir::kDown).messages, n);
  uint64_t leaf_bytes = 0;
  for (size_t i = 1; i < sys.targets().size(); ++i) {
    const LinkModel* leaf = sys.targets()[i].hops.back().link;
    EXPECT_EQ(leaf->stats(Dir::kUp).payload_bytes, 64 * sys.targets()[i].stats.reads);
    leaf_bytes += leaf->stats(Dir::kUp).payload_bytes + leaf->stats(Dir::kDown).payload_bytes;
  }
  EXPECT_EQ(leaf_bytes,
            root->stats(Dir::kUp).payload_bytes + root->stats(Dir::kDown).payload_bytes);
}

TEST(System, SameSeedSameTimelineOtherSeedOtherTimeline) {
  const RunTotals a = loaded_run(3, Duration::ns(50000));
  const RunTotals b = loaded_run(3, Duration::ns(50000));
  const RunTotals c = loaded_run(4, Duration::ns(50000));
  EXPECT_EQ(a.completed, b.completed);
  EXPECT_EQ(a.latency_sum, b.latency_sum);
  EXPECT_NE(a.latency_sum, c.latency_sum);
}

TEST(System, MemoryIsBoundedByRequestsInFlightNotRunLength) {
  const RunTotals shorter = loaded_run(5, Duration::ns(100000));
  const RunTotals longer = loaded_run(5, Duration::ns(600000));
  EXPECT_GT(longer.completed, 5 * shorter.completed);
  // Capacity follows the peak in flight (at most 24 cores x 48 misses, in 256-request blocks),
  // not the 6x longer run.
  EXPECT_LE(longer.pool, shorter.pool + 256u);
  EXPECT_LE(longer.pool, 24u * 48u + 256u);
}

}  // namespace
}  // namespace cxlsim::timing
