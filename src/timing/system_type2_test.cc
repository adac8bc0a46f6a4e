// The memory side of Type 2 devices as timing targets (builtin:type2-accel): each gets the
// device profile device_for gives for its id and the links of its path, and an idle read to it
// costs exactly the sum of that path's latencies.
#include <gtest/gtest.h>

#include <string>

#include "fabric/topology_loader.h"
#include "timing/coherence_timer.h"
#include "timing/profile.h"
#include "timing/system.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

struct Fixture {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile mem = quiet(load_device_profile("eurosys24-asic"));
  DeviceProfile accel = [this] {
    DeviceProfile p = mem;
    p.name = "accel-hdm";
    p.frontend_latency += Duration::ns(30);  // an accelerator's slower memory controller
    return p;
  }();
  Topology topo = load_topology("builtin:type2-accel");
  std::function<DeviceProfile(const std::string&)> device_for = [this](const std::string& id) {
    return id.rfind("accel", 0) == 0 ? accel : mem;
  };
};

size_t target_of(const System& sys, const std::string& name) {
  for (size_t t = 0; t < sys.targets().size(); ++t) {
    if (sys.targets()[t].name == name) return t;
  }
  ADD_FAILURE() << "no target " << name;
  return 0;
}

TEST(SystemType2, EveryDeviceWithMemoryIsATargetWithItsProfileAndPath) {
  Fixture f;
  System sys(f.host, f.local, GiB(64), f.topo, f.device_for);
  ASSERT_EQ(sys.targets().size(), 6u);  // local DRAM, mem0, mem1, mem2, accel0, accel1
  EXPECT_EQ(sys.targets()[target_of(sys, "accel0")].profile.name, "accel-hdm");
  EXPECT_EQ(sys.targets()[target_of(sys, "mem0")].profile.name, f.mem.name);
  EXPECT_EQ(sys.targets()[target_of(sys, "accel0")].hops.size(), 1u);  // rp1's link
  EXPECT_EQ(sys.targets()[target_of(sys, "accel1")].hops.size(), 2u);  // rp2's, then sw0_dsp1's
  // Default regions: one per kind and window, never mixed.
  ASSERT_EQ(sys.regions().size(), 4u);
  for (const CommittedRegion& w : sys.regions()) {
    const std::string& name = sys.targets()[w.memdevs[0]].name;
    for (uint16_t t : w.memdevs) {
      EXPECT_EQ(sys.targets()[t].name[0], name[0]) << w.id << " mixes kinds";
    }
    if (w.cfmws == "cfmw0") {
      EXPECT_EQ(name, "mem0");
    }
    if (w.cfmws == "cfmw1") {
      EXPECT_EQ(name, "accel0");
    }
  }
}

TEST(SystemType2, IdleReadToAcceleratorMemoryCostsTheSumOfItsPathLatencies) {
  Fixture f;
  // mem0's region first: both use hb0, whose regions Linux requires in HPA order.
  std::vector<RegionRequest> regions = {
      memdev_region(*Fabric::build(place_windows(f.topo, GiB(64))), "mem0"),
      memdev_region(*Fabric::build(place_windows(f.topo, GiB(64))), "accel0")};
  System sys(f.host, f.local, GiB(64), f.topo, f.device_for, regions);
  ASSERT_EQ(sys.regions().size(), 2u);
  EXPECT_EQ(sys.regions()[0].cfmws, "cfmw0");
  EXPECT_EQ(sys.regions()[1].cfmws, "cfmw1");
  Duration lat[2];
  for (size_t i = 0; i < 2; ++i) {
    System run(f.host, f.local, GiB(64), f.topo, f.device_for, regions);
    OneRead p(Duration::ns(1000), run.regions()[i].base + 4096);
    run.add(&p);
    run.run_until(Duration::ns(10000));
    const size_t t = run.regions()[i].memdevs[0];
    EXPECT_EQ(p.latency, run.idle_read_latency(t));
    lat[i] = p.latency.value_or(Duration());
  }
  // accel0 and mem0 sit on root ports of the same host bridge, over links of the same profile:
  // they differ by the accelerator controller's extra front-end latency alone.
  EXPECT_EQ(lat[1] - lat[0], Duration::ns(30));
}

// CXL 3.1 §3.5.2.2, §3.6: a host read of a Type 2 device's HDM-D memory is answered by the DCOH
// with an NDR (Cmp-E) beside the data, as the coherence engine's flow says; a Type 3 (HDM-H)
// read by the data alone. The NDR occupies the link up and does not delay the data.
TEST(SystemType2, ReadOfAcceleratorMemoryCarriesTheCoherenceEnginesNdr) {
  Fixture f;
  EXPECT_EQ(host_read_ndrs_hdm_d(), 1);
  std::vector<RegionRequest> regions = {
      memdev_region(*Fabric::build(place_windows(f.topo, GiB(64))), "mem0"),
      memdev_region(*Fabric::build(place_windows(f.topo, GiB(64))), "accel0")};
  for (size_t i = 0; i < 2; ++i) {
    System run(f.host, f.local, GiB(64), f.topo, f.device_for, regions);
    OneRead p(Duration::ns(1000), run.regions()[i].base);
    run.add(&p);
    run.run_until(Duration::ns(10000));
    const Target& t = run.targets()[run.regions()[i].memdevs[0]];
    EXPECT_EQ(t.read_ndrs, i == 0 ? 0 : 1);
    EXPECT_EQ(t.hops.front().link->stats(Dir::kUp).messages, i == 0 ? 1u : 2u) << t.name;
  }
}

TEST(SystemType2, AcceleratorBelowSwitchAddsTheSwitchHop) {
  Fixture f;
  f.accel = f.mem;  // same controller: only the path differs
  const auto fabric = Fabric::build(place_windows(f.topo, GiB(64)));
  RegionRequest r2;
  r2.window = 2;
  r2.ways = 1;
  r2.targets = {"accel1"};
  r2.mode = RegionMode::kRam;
  Duration lat[2];
  for (size_t i = 0; i < 2; ++i) {
    System run(f.host, f.local, GiB(64), f.topo, f.device_for,
               {memdev_region(*fabric, "mem0"), r2});
    OneRead p(Duration::ns(1000), run.regions()[i].base);
    run.add(&p);
    run.run_until(Duration::ns(10000));
    lat[i] = p.latency.value_or(Duration());
  }
  FlitLink link("l", f.mem.link);
  const Duration hop = f.host.switch_latency * 2 + link.idle_latency(Msg::kReqRead) +
                       link.idle_latency(Msg::kRespData);
  EXPECT_EQ(lat[1] - lat[0], hop);
}

}  // namespace
}  // namespace cxlsim::timing
