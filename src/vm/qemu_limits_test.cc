#include "vm/qemu_limits.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fabric/test_topology.h"

namespace cxlsim::vm {
namespace {

using testing::make_tree;
using testing::TreeShape;

Topology tree(unsigned host_bridges, unsigned root_ports, unsigned switch_levels = 0,
              unsigned windows = 1) {
  TreeShape s;
  s.host_bridges = host_bridges;
  s.root_ports = root_ports;
  s.switch_levels = switch_levels;
  s.windows = windows;
  return make_tree(s);
}

std::vector<std::string> rules_of(const Topology& t) {
  std::vector<std::string> out;
  for (const auto& v : qemu72_limit_violations(t)) out.push_back(v.element + " " + v.rule);
  return out;
}

TEST(QemuLimits, TwoRootPortsAndOneSwitchAreWithinLimits) {
  EXPECT_TRUE(rules_of(tree(2, 2)).empty());
  EXPECT_TRUE(rules_of(tree(1, 2, 1)).empty());
}

TEST(QemuLimits, SingleRootPortHostBridge) {
  Topology t = tree(2, 2);
  std::erase_if(t.root_ports, [](const RootPortSpec& rp) { return rp.id == "hb1.rp1"; });
  EXPECT_EQ(rules_of(t), std::vector<std::string>{"hb1 single-root-port host bridge"});
}

TEST(QemuLimits, SwitchBelowSwitch) {
  Topology t = tree(1, 2, 2);
  auto rules = rules_of(t);
  ASSERT_EQ(rules.size(), 4u);  // two second-level switches below each root port's switch
  for (const auto& r : rules) EXPECT_TRUE(r.ends_with(" switch below a switch")) << r;
  EXPECT_EQ(rules[0], "hb0.rp0.sw.dp0.sw switch below a switch");
}

TEST(QemuLimits, WindowWaysAboveEight) {
  EXPECT_TRUE(rules_of(tree(8, 2)).empty());
  for (unsigned ways : {12u, 16u}) {
    Topology t = tree(ways, 2, 0, 2);
    EXPECT_EQ(rules_of(t), (std::vector<std::string>{"cfmw0 window over more than 8 ways",
                                                     "cfmw1 window over more than 8 ways"}));
    auto v = qemu72_limit_violations(t);
    EXPECT_NE(describe(v[0]).find(std::to_string(ways) + " host bridges"), std::string::npos);
  }
}

// QEMU 10.0.2 (observed with Linux 6.1, docs/vm.md): a single-root-port host bridge routes as
// cxlsim does, a switch below a switch still loses the accesses, wide windows are not re-run.
TEST(QemuLimits, Qemu10KeepsOnlyWhatItStillBreaks) {
  Topology t = tree(12, 2, 2);
  std::erase_if(t.root_ports, [](const RootPortSpec& rp) { return rp.id == "hb1.rp1"; });
  std::vector<std::string> kept;
  for (const auto& v : qemu10_limit_violations(qemu72_limit_violations(t))) {
    kept.push_back(v.rule);
    EXPECT_NE(v.qemu10, Qemu10Status::kFixed);
  }
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "single-root-port host bridge"), 0);
  EXPECT_GT(std::count(kept.begin(), kept.end(), "switch below a switch"), 0);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "window over more than 8 ways"), 1);
  EXPECT_EQ(rules_of(t).size(), kept.size() + 1);  // QEMU 7.2 keeps all
  const auto wide = qemu72_limit_violations(tree(12, 2));
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_NE(describe(wide[0], true).find("QEMU 10.0.2 places each granule"), std::string::npos);
  EXPECT_NE(describe(wide[0]).find("QEMU 7.2 crashes"), std::string::npos);
  EXPECT_TRUE(qemu10_limit_violations(qemu72_limit_violations(tree(16, 2))).empty());
}

}  // namespace
}  // namespace cxlsim::vm
