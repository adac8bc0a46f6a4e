#include "fabric/region_order.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <functional>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/test_topology.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

// A small random tree: 1 or 2 host bridges (one window over all of them), 1..3 root ports
// each, below every port a memdev or (to depth 2) a switch with 1..3 downstream ports; at most
// `max_devices` memdevs of 256 MiB.
Topology gen_small_tree(int max_devices) {
  Topology t;
  int devices = 0, switches = 0;
  std::function<void(const std::string&, int)> attach = [&](const std::string& port, int depth) {
    if (devices >= max_devices) return;  // an empty port
    if (depth < 2 && *rc::gen::inRange(0, 3) == 0) {
      const std::string sw = "sw" + std::to_string(switches++);
      t.switches.push_back({sw, port});
      const int n = *rc::gen::inRange(1, 4);
      for (int k = 0; k < n; ++k) {
        const std::string dp = sw + "p" + std::to_string(k);
        t.downstream_ports.push_back({dp, sw, static_cast<unsigned>(k), 0, 0});
        attach(dp, depth + 1);
      }
      return;
    }
    Type3Spec m;
    m.id = "m" + std::to_string(devices++);
    m.parent = port;
    m.persistent_size = MiB(256);
    t.type3.push_back(m);
  };
  const int hbs = *rc::gen::inRange(1, 3);
  WindowSpec w;
  w.id = "cfmw0";
  w.size = GiB(4) * static_cast<uint64_t>(hbs);
  w.granularity = Bytes(uint64_t{256} << *rc::gen::element(0, 2, 4, 6));
  for (int h = 0; h < hbs; ++h) {
    const std::string hb = "hb" + std::to_string(h);
    t.host_bridges.push_back({hb, static_cast<unsigned>(h), 16u + 64u * static_cast<unsigned>(h)});
    w.targets.push_back(hb);
    const int rps = *rc::gen::inRange(1, 4);
    for (int r = 0; r < rps; ++r) {
      const std::string rp = hb + "rp" + std::to_string(r);
      t.root_ports.push_back({rp, hb, static_cast<unsigned>(r), 0, 0});
      attach(rp, 0);
    }
  }
  t.windows.push_back(w);
  return t;
}

// Whether Linux's rules (RegionManager::create) accept some order of `ways` of the memdevs:
// every ordered selection is tried.
bool brute_force_finds_order(RegionManager& regions, const Fabric& f, unsigned ways, Bytes gran) {
  const size_t n = f.memdev_count();
  std::vector<size_t> chosen;
  std::vector<bool> used(n, false);
  std::function<bool()> next = [&]() -> bool {
    if (chosen.size() == ways) {
      RegionRequest r;
      r.ways = ways;
      r.granularity = gran;
      for (size_t m : chosen) r.targets.push_back(f.memdev(m).id());
      try {
        regions.destroy(regions.create(r).id);
        return true;
      } catch (const RegionError&) {
        return false;
      }
    }
    for (size_t m = 0; m < n; ++m) {
      if (used[m]) continue;
      used[m] = true;
      chosen.push_back(m);
      const bool ok = next();
      chosen.pop_back();
      used[m] = false;
      if (ok) return true;
    }
    return false;
  };
  return next();
}

RC_GTEST_PROP(RegionOrder, SearchFindsAnOrderWheneverBruteForceDoes, ()) {
  const Topology t = gen_small_tree(6);
  auto f = Fabric::build(t);
  RegionManager regions(*f);
  const Cfmws& w = f->windows()[0];
  std::vector<unsigned> candidates;
  for (unsigned ways : all_ways()) {
    if (ways % w.ways() == 0 && std::has_single_bit(ways / w.ways()) && ways <= f->memdev_count()) {
      candidates.push_back(ways);
    }
  }
  RC_PRE(!candidates.empty());
  const unsigned ways = *rc::gen::elementOf(candidates);
  // The region's granularity: the window's when it interleaves (Linux), else any.
  const Bytes gran =
      w.ways() > 1 ? w.granularity() : Bytes(uint64_t{256} << *rc::gen::inRange(0, 7));
  const bool exists = brute_force_finds_order(regions, *f, ways, gran);
  const auto found = regions.auto_targets(0, ways, RegionMode::kPmem, DeviceKind::kType3, gran);
  RC_TAG(exists ? "an order exists" : "no order");
  RC_ASSERT(exists == !found.empty());
  if (!found.empty()) {
    RegionRequest r;  // no targets: create() runs the search itself
    r.ways = ways;
    r.granularity = gran;
    const Region& reg = regions.create(r);
    std::vector<size_t> used;
    for (const RegionTarget& rt : reg.targets) used.push_back(rt.memdev);
    RC_ASSERT(used == found);
  }
}

// The reproduction: 16 ways over one root port's 3-level binary switch tree per root
// port (2 root ports): the old heuristic only tried f = k, sqrt(k) or 1 dports per port.
TEST(RegionOrder, SixteenWaysOverThreeSwitchLevels) {
  testing::TreeShape s;
  s.host_bridges = 1;
  s.root_ports = 2;
  s.switch_levels = 3;
  s.downstream_ports = 2;
  s.persistent = MiB(256);
  auto f = Fabric::build(testing::make_tree(s));
  RegionManager regions(*f);
  RegionRequest r;
  r.ways = 16;
  const Region& reg = regions.create(r);
  EXPECT_EQ(reg.targets.size(), 16u);
}

}  // namespace
}  // namespace cxlsim
