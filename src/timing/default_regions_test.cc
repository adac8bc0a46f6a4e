// Default regions (plan_default_regions): one region per window over all its memdevs when
// Linux allows it, else a fallback that still covers the devices, with a note.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fabric/fabric.h"
#include "fabric/newick.h"
#include "timing/profile.h"
#include "timing/system.h"

namespace cxlsim::timing {
namespace {

struct Planned {
  std::vector<unsigned> ways;
  std::multiset<std::string> targets;
  std::vector<std::string> notes;
};

Planned plan(const Topology& t) {
  const auto f = Fabric::build(t, FabricOptions{.map_backing_files = false});
  const DefaultRegions d = plan_default_regions(*f);
  Planned p;
  for (const auto& r : d.requests) {
    p.ways.push_back(r.ways);
    p.targets.insert(r.targets.begin(), r.targets.end());
  }
  p.notes = d.notes;
  return p;
}

// The regions are created by the host agent as planned (System throws otherwise).
size_t regions_built(const Topology& t) {
  const HostProfile host = load_host_profile("spr-xeon");
  const DeviceProfile local = load_device_profile("eurosys24-ddr5");
  DeviceProfile dev = load_device_profile("cxl-x8-asic");  // returned by copy below
  System sys(host, local, GiB(64), place_windows(t, GiB(64)),
             [&](const std::string&) { return dev; });
  return sys.regions().size();
}

TEST(DefaultRegions, OneRegionOverAllMemdevsWhenLinuxAllowsIt) {
  const Topology t =
      parse_newick("((((1,2),(3,4)),((5,6),(7,8))),(((9,10),(11,12)),((13,14),(15,16))))", "test");
  const Planned p = plan(t);
  EXPECT_EQ(p.ways, std::vector<unsigned>{16});
  EXPECT_EQ(p.targets.size(), 16u);
  EXPECT_TRUE(p.notes.empty());
  EXPECT_EQ(regions_built(t), 1u);
}

TEST(DefaultRegions, ThreeMemdevsFallBackToTwoRegionsAndSaySo) {
  const Topology t = parse_newick("(1,(2,3))", "test");
  const Planned p = plan(t);
  EXPECT_EQ(p.ways, (std::vector<unsigned>{2, 1}));
  EXPECT_EQ(p.targets, (std::multiset<std::string>{"mem1", "mem2", "mem3"}));
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("region ways must be 1, 2, 4, 8 or 16"), std::string::npos)
      << p.notes[0];
  EXPECT_EQ(regions_built(t), 2u);
}

TEST(DefaultRegions, TwelveRootPortsGiveEightAndFourWays) {
  const Topology t = parse_newick("(1,2,3,4,5,6,7,8,9,10,11,12)", "test");
  const Planned p = plan(t);
  EXPECT_EQ(p.ways, (std::vector<unsigned>{8, 4}));
  EXPECT_EQ(p.targets.size(), 12u);
  EXPECT_EQ(regions_built(t), 2u);
}

}  // namespace
}  // namespace cxlsim::timing
