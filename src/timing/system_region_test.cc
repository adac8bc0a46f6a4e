// Routing through the functional fabric: requests go where the committed HDM decoders say.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "fabric/region.h"
#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/system.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

// One host bridge with `n` root ports, one Type 3 device on each, one window over the bridge.
Topology root_ports(unsigned n, Bytes device_size = GiB(4)) {
  Topology t;
  t.name = "root-ports";
  t.host_bridges.push_back({"hb0", 0, 0x0c});
  WindowSpec w;
  w.id = "cfmw0";
  w.size = device_size * n;
  w.targets = {"hb0"};
  t.windows.push_back(w);
  for (unsigned i = 0; i < n; ++i) {
    t.root_ports.push_back({"rp" + std::to_string(i), "hb0", i, 0, i});
    Type3Spec d;
    d.id = "mem" + std::to_string(i);
    d.parent = "rp" + std::to_string(i);
    d.volatile_size = device_size;
    d.serial = i + 1;
    t.type3.push_back(d);
  }
  return t;
}

// Reads `lines` consecutive 64 B lines from `base`, `depth` in flight.
class Sequential final : public Requester {
 public:
  Sequential(uint64_t base, uint64_t lines, unsigned depth)
      : base_(base), lines_(lines), depth_(depth) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    while (next_ < lines_ && next_ < depth_) issue();
  }
  void on_event(Request*, Duration) override {}
  void complete(System&, Request&, Duration) override {
    ++done_;
    if (next_ < lines_) issue();
  }
  [[nodiscard]] uint64_t done() const { return done_; }

 private:
  void issue() {
    Request* r = sys_->alloc(id());
    r->op = Op::kRead;
    r->hpa = base_ + 64 * next_++;
    sys_->issue(r);
  }
  System* sys_ = nullptr;
  uint64_t base_, lines_;
  unsigned depth_;
  uint64_t next_ = 0, done_ = 0;
};

struct Profiles {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = load_device_profile("eurosys24-ddr5");
  DeviceProfile x8 = load_device_profile("cxl-x8-asic");
};

// Runs a sequential stream over the first region and checks each target's count against
// Fabric::decode, line by line.
void expect_spread_as_decoded(const Topology& topo, const std::vector<RegionRequest>& regions,
                              unsigned ways) {
  Profiles p;
  System sys(
      p.host, p.local, GiB(64), topo, [&](const std::string&) { return p.x8; }, regions);
  ASSERT_FALSE(sys.regions().empty());
  const CommittedRegion& reg = sys.regions().front();
  ASSERT_EQ(reg.memdevs.size(), ways);
  const uint64_t lines = 4096;
  Sequential s(reg.base, lines, 32);
  sys.add(&s);
  sys.run_until(Duration::ns(10'000'000));
  ASSERT_EQ(s.done(), lines);

  std::vector<uint64_t> expected(sys.targets().size(), 0);
  for (uint64_t i = 0; i < lines; ++i) {
    const auto d = sys.fabric().decode(Hpa(reg.base + 64 * i));
    ASSERT_TRUE(d.has_value());
    ++expected[d->memdev + 1];
  }
  for (size_t t = 0; t < sys.targets().size(); ++t) {
    EXPECT_EQ(sys.targets()[t].stats.reads, expected[t]) << sys.targets()[t].name;
  }
  // Interleaving spreads a whole number of periods evenly over the region's memdevs.
  for (uint16_t t : reg.memdevs) {
    EXPECT_EQ(sys.targets()[t].stats.reads, lines / ways) << sys.targets()[t].name;
  }
}

TEST(SystemRegion, TwoWayHostBridgeInterleaveSpreadsAsDecodeSays) {
  expect_spread_as_decoded(root_ports(2), {}, 2);
}

TEST(SystemRegion, FourWayRegionBelowSwitchesWithExplicitGranularity) {
  RegionRequest r;
  r.window = 0;
  r.ways = 4;
  r.granularity = Bytes(1024);
  r.mode = RegionMode::kRam;
  r.targets = {"mem3", "mem1", "mem2", "mem0"};  // position order differs from memdev order
  expect_spread_as_decoded(switch_tree(2, 2, GiB(4)), {r}, 4);
}

TEST(SystemRegion, EachMemdevTakesItsFabricPath) {
  Profiles p;
  System sys(p.host, p.local, GiB(64), switch_tree(2, 2, GiB(4)),
             [&](const std::string&) { return p.x8; });
  for (size_t m = 0; m < sys.fabric().memdev_count(); ++m) {
    const auto path = sys.fabric().memdev_path(m);  // hb, rp, [switch, dport]*, memdev
    const Target& t = sys.targets()[m + 1];
    EXPECT_EQ(t.name, path.back());
    ASSERT_EQ(t.hops.size(), (path.size() - 1) / 2);
    for (size_t h = 0; h < t.hops.size(); ++h) {
      EXPECT_EQ(t.hops[h].link->name(), path[1 + 2 * h] + "->" + path[2 + 2 * h]);
    }
    EXPECT_TRUE(t.hops.front().shared);  // the root port link carries all four devices
    EXPECT_FALSE(t.hops.back().shared);
  }
}

TEST(SystemRegion, AddressOutsideCommittedRegionsIsRejected) {
  Profiles p;
  RegionRequest r;
  r.window = 0;
  r.ways = 1;
  r.targets = {"mem1"};
  r.mode = RegionMode::kRam;
  System sys(p.host, p.local, GiB(64), root_ports(2), [&](const std::string&) { return p.x8; },
             {r});
  ASSERT_EQ(sys.regions().size(), 1u);
  const uint64_t end = sys.regions().front().base + sys.regions().front().size;
  Sequential s(end, 1, 1);  // the window continues past the 1-way region, but nothing decodes it
  sys.add(&s);
  EXPECT_THROW(sys.run_until(Duration::ns(1000)), ValidationError);
}

// Read bandwidth of 32 saturating sequential streams over the first region.
double read_gbps(const Topology& topo, const std::vector<RegionRequest>& regions) {
  Profiles p;
  System sys(
      p.host, p.local, GiB(64), topo, [&](const std::string&) { return p.x8; }, regions);
  return saturated_read_gbps(sys);
}

TEST(SystemRegion, TwoWayRegionOverTwoX8DevicesDoublesBandwidth) {
  RegionRequest one;
  one.window = 0;
  one.ways = 1;
  one.targets = {"mem0"};
  one.mode = RegionMode::kRam;
  RegionRequest two = one;
  two.ways = 2;
  two.targets = {"mem0", "mem1"};
  const double single = read_gbps(root_ports(2), {one});
  const double pair = read_gbps(root_ports(2), {two});
  EXPECT_GT(single, 15.0);  // cxl-x8-asic: ~22 GB/s of reads (x8 PCIe 5.0)
  EXPECT_LT(single, 30.0);
  std::printf("x8 reads: 1 device %.1f GB/s, 2-way region %.1f GB/s\n", single, pair);
  EXPECT_NEAR(pair / single, 2.0, 0.2) << single << " vs " << pair << " GB/s";
}

}  // namespace
}  // namespace cxlsim::timing
