// Several hosts over one topology's shared switch and devices (multi_host.h).
#include "timing/multi_host.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fabric/fabric.h"
#include "timing/chase_core.h"
#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

constexpr Bytes kLocal = GiB(64);
const Duration kWarm = Duration::ns(20'000), kEnd = Duration::ns(100'000);

struct Rig {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile dev = load_device_profile("eurosys24-asic");
  // One host bridge, root port, switch; mem0 and mem1 below its downstream ports.
  Topology topo = switch_tree(1, 2);
  [[nodiscard]] std::function<DeviceProfile(const std::string&)> dev_for() const {
    return [d = dev](const std::string&) { return d; };
  }
  // A host whose one region is a 1-way region on `memdev`.
  [[nodiscard]] HostSpec on(const std::string& name, const std::string& memdev) const {
    const auto f =
        Fabric::build(place_windows(topo, kLocal), FabricOptions{.map_backing_files = false});
    return HostSpec{name, {memdev_region(*f, memdev)}};
  }
  [[nodiscard]] MultiHost make(const std::vector<HostSpec>& hosts) const {
    return {host, local, kLocal, topo, dev_for(), hosts};
  }
};

// `streams` saturating sequential read streams over the first region of `sys`.
struct Streams {
  std::vector<std::unique_ptr<StreamCore>> cores;
  // `writes` > 0: a 3:`writes` mix, writes to the second half of each stream's range.
  Streams(System& sys, unsigned streams, Duration compute = Duration(), unsigned writes = 0) {
    const CommittedRegion& reg = sys.regions().front();
    for (unsigned i = 0; i < streams; ++i) {
      StreamCoreConfig c;
      c.read_size = reg.size / streams / 2;
      c.read_base = reg.base + i * c.read_size * 2;
      c.write_base = c.read_base + c.read_size;
      c.write_size = c.read_size;
      c.reads = writes > 0 ? 3 : 1;
      c.writes = writes;
      c.compute = compute;
      c.measure_from = kWarm;
      c.seed = i + 1;
      cores.push_back(std::make_unique<StreamCore>(c));
      sys.add(cores.back().get());
    }
  }
  [[nodiscard]] double gbps() const {
    uint64_t bytes = 0;
    for (const auto& c : cores) bytes += c->bytes();
    return static_cast<double>(bytes) / (kEnd - kWarm).nanoseconds();
  }
};

// Read bandwidth (GB/s) of each host, every host running 32 saturating streams.
std::vector<double> saturated(MultiHost& mh) {
  std::vector<std::unique_ptr<Streams>> load;
  for (size_t h = 0; h < mh.hosts(); ++h) load.push_back(std::make_unique<Streams>(mh.host(h), 32));
  mh.run_until(kEnd);
  std::vector<double> out;
  out.reserve(load.size());
  for (const auto& l : load) out.push_back(l->gbps());
  return out;
}

TEST(MultiHost, OneHostGivesTheSingleHostNumbersExactly) {
  Rig rig;
  rig.topo = switch_tree(1, 2);  // the default region interleaves mem0 and mem1
  System single(rig.host, rig.local, kLocal, rig.topo, rig.dev_for());
  Streams a(single, 32, Duration::ns(5));
  single.run_until(kEnd);
  MultiHost mh = rig.make({HostSpec{"h0", {}}});
  Streams b(mh.host(0), 32, Duration::ns(5));
  mh.run_until(kEnd);
  ASSERT_GT(a.gbps(), 10.0);
  for (size_t i = 0; i < a.cores.size(); ++i) {
    EXPECT_EQ(a.cores[i]->bytes(), b.cores[i]->bytes()) << i;
  }
  for (size_t t = 0; t < single.targets().size(); ++t) {
    const TargetStats& x = single.targets()[t].stats;
    const TargetStats& y = mh.host(0).targets()[t].stats;
    EXPECT_EQ(x.reads, y.reads) << t;
    EXPECT_EQ(x.latency_sum, y.latency_sum) << t;
  }
  EXPECT_GT(mh.windows(), 1000u);  // it did run window by window
}

TEST(MultiHost, OneHostWithACacheAndWritesGivesTheSingleHostNumbersExactly) {
  Rig rig;
  rig.host.cache = HostCacheConfig{true, MiB(2), 16, Duration::ns(30)};
  System single(rig.host, rig.local, kLocal, rig.topo, rig.dev_for());
  Streams a(single, 16, Duration::ns(5), 1);
  single.run_until(kEnd);
  MultiHost mh = rig.make({HostSpec{"h0", {}}});
  Streams b(mh.host(0), 16, Duration::ns(5), 1);
  mh.run_until(kEnd);
  ASSERT_GT(single.cache()->stats().writebacks, 1000u);  // dirty victims crossed too
  EXPECT_EQ(single.cache()->stats().writebacks, mh.host(0).cache()->stats().writebacks);
  for (size_t i = 0; i < a.cores.size(); ++i) {
    EXPECT_EQ(a.cores[i]->bytes(), b.cores[i]->bytes()) << i;
  }
  for (size_t t = 0; t < single.targets().size(); ++t) {
    const TargetStats& x = single.targets()[t].stats;
    const TargetStats& y = mh.host(0).targets()[t].stats;
    EXPECT_EQ(x.writes, y.writes) << t;
    EXPECT_EQ(x.latency_sum, y.latency_sum) << t;
  }
}

TEST(MultiHost, TwoHostsSaturatingOneDeviceGetAboutHalfEach) {
  Rig rig;
  MultiHost one = rig.make({rig.on("h0", "mem0")});
  const double alone = saturated(one)[0];
  ASSERT_GT(alone, 30.0);
  MultiHost two = rig.make({rig.on("h0", "mem0"), rig.on("h1", "mem0")});
  const auto bw = saturated(two);
  for (double b : bw) {
    EXPECT_GT(b, 0.4 * alone);
    EXPECT_LT(b, 0.6 * alone);
  }
  EXPECT_NEAR(bw[0] + bw[1], alone, 0.05 * alone);
  RecordProperty("gbps", fmt::format("alone {:.2f}, h0 {:.2f}, h1 {:.2f}", alone, bw[0], bw[1]));
  // The shared device served both hosts.
  EXPECT_GT(two.pool().served(1, 0), 0u);
  EXPECT_GT(two.pool().served(1, 1), 0u);
  EXPECT_EQ(two.pool().served(2, 0) + two.pool().served(2, 1), 0u);
}

TEST(MultiHost, AHostOnAnotherDeviceIsNotSlowed) {
  Rig rig;
  MultiHost one = rig.make({rig.on("h0", "mem0")});
  const double alone = saturated(one)[0];
  MultiHost two = rig.make({rig.on("h0", "mem0"), rig.on("h1", "mem1")});
  const auto bw = saturated(two);
  EXPECT_NEAR(bw[0], alone, 0.02 * alone);
  EXPECT_NEAR(bw[1], alone, 0.02 * alone);
}

// Mean latency (ns) of host 0's pointer chaser on mem0 while host 1 runs 32 streams on `other`.
double chaser_latency(const Rig& rig, const std::string& other) {
  MultiHost mh = rig.make({rig.on("h0", "mem0"), rig.on("h1", other)});
  const CommittedRegion& reg = mh.host(0).regions().front();
  ChaseCoreConfig c;
  c.base = reg.base;
  c.size = reg.size;
  c.measure_from = kWarm;
  ChaseCore chaser(c);
  mh.host(0).add(&chaser);
  Streams load(mh.host(1), 32);
  mh.run_until(kEnd);
  EXPECT_GT(chaser.loads(), 30u);
  return chaser.mean_latency_ns();
}

TEST(MultiHost, LoadedLatencyRisesWithAnotherHostOnTheSameDeviceOnly) {
  Rig rig;
  MultiHost idle = rig.make({rig.on("h0", "mem0")});
  const CommittedRegion& reg = idle.host(0).regions().front();
  ChaseCoreConfig c;
  c.base = reg.base;
  c.size = reg.size;
  c.measure_from = kWarm;
  ChaseCore chaser(c);
  idle.host(0).add(&chaser);
  idle.run_until(kEnd);
  const double alone = chaser.mean_latency_ns();
  const double shared = chaser_latency(rig, "mem0"), apart = chaser_latency(rig, "mem1");
  EXPECT_GT(shared, 1.3 * alone);
  EXPECT_NEAR(apart, alone, 0.03 * alone);
  RecordProperty("latency_ns",
                 fmt::format("alone {:.1f}, shared {:.1f}, apart {:.1f}", alone, shared, apart));
}

TEST(MultiHost, ResultsDoNotDependOnThePartitionOrderWithinAWindow) {
  Rig rig;
  const std::vector<std::vector<size_t>> orders = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}};
  std::vector<std::vector<double>> bw;
  std::vector<std::vector<Duration>> lat;
  for (const auto& order : orders) {
    MultiHost mh = rig.make({rig.on("h0", "mem0"), rig.on("h1", "mem0"), HostSpec{"h2", {}}});
    mh.set_order(order);
    bw.push_back(saturated(mh));
    lat.emplace_back();
    for (size_t h = 0; h < mh.hosts(); ++h) {
      for (const Target& t : mh.host(h).targets()) lat.back().push_back(t.stats.latency_sum);
    }
  }
  for (size_t i = 1; i < orders.size(); ++i) {
    EXPECT_EQ(bw[i], bw[0]) << i;
    EXPECT_EQ(lat[i], lat[0]) << i;
  }
  EXPECT_GT(bw[0][2], 0.0);
}

TEST(MultiHost, SkipsIdleTimeAndStopsWhenNothingIsLeft) {
  Rig rig;
  rig.dev = quiet(rig.dev);
  MultiHost mh = rig.make({rig.on("h0", "mem0"), rig.on("h1", "mem1")});
  OneRead a(Duration::ns(1'000'000)), b(Duration::ns(1'000'000));
  mh.host(0).add(&a);
  mh.host(1).add(&b);
  mh.run_until(Duration::ps(INT64_MAX / 2));
  ASSERT_TRUE(a.latency && b.latency);
  // Each idle read costs what one host's does; 1 ms of nothing took no windows.
  EXPECT_EQ(*a.latency, mh.host(0).idle_read_latency(1));
  EXPECT_EQ(*b.latency, mh.host(1).idle_read_latency(2));
  EXPECT_LT(mh.windows(), 100u);
  EXPECT_EQ(mh.host(0).now(), Duration::ps(INT64_MAX / 2));
}

TEST(MultiHost, RefusesABadOrderAndNoHosts) {
  Rig rig;
  MultiHost mh = rig.make({HostSpec{"h0", {}}});
  EXPECT_THROW(mh.set_order({0, 0}), ValidationError);
  EXPECT_THROW(mh.set_order({0}), ValidationError);
  EXPECT_THROW((void)rig.make({}), ValidationError);
}

}  // namespace
}  // namespace cxlsim::timing
