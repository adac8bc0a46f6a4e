#include "fabric/fabric.h"

#include <gtest/gtest.h>

#include "fabric/test_topology.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

using testing::make_tree;
using testing::TreeShape;

TEST(Fabric, window_bases_follow_qemu_q35_placement) {
  TreeShape s;
  s.windows = 2;
  auto f = Fabric::build(make_tree(s));
  ASSERT_EQ(f->windows().size(), 2u);
  EXPECT_EQ(f->windows()[0].base(), Hpa(0x110000000));
  EXPECT_EQ(f->windows()[1].base(), Hpa(0x110000000) + f->windows()[0].size());
}

TEST(Fabric, explicit_window_base_is_kept) {
  Topology t = make_tree({});
  t.windows[0].base = 0x4000000000;
  auto f = Fabric::build(t);
  EXPECT_EQ(f->windows()[0].base(), Hpa(0x4000000000));
}

TEST(Fabric, single_dport_ports_have_no_hdm_decoders) {
  TreeShape s;
  s.root_ports = 1;
  s.switch_levels = 1;
  s.downstream_ports = 2;
  auto f = Fabric::build(make_tree(s));
  EXPECT_EQ(f->host_bridges()[0]->hdm(), nullptr);
  ASSERT_NE(f->switches()[0]->hdm(), nullptr);
  EXPECT_EQ(f->switches()[0]->hdm()->target_count(), 2u);
}

TEST(Fabric, memdev_path_runs_from_host_bridge_to_memdev) {
  TreeShape s;
  s.root_ports = 2;
  s.switch_levels = 1;
  auto f = Fabric::build(make_tree(s));
  const auto path = f->memdev_path(*f->find_memdev("mem3"));
  const std::vector<std::string> want = {"hb0", "hb0.rp1", "hb0.rp1.sw", "hb0.rp1.sw.dp1", "mem3"};
  EXPECT_EQ(path, want);
  EXPECT_EQ(f->port_chain(3).size(), 2u);
}

TEST(Fabric, nothing_decodes_before_any_commit) {
  auto f = Fabric::build(make_tree({}));
  EXPECT_FALSE(f->decode(Hpa(0x110000000)));
  std::array<std::byte, 4> buf{};
  EXPECT_THROW(f->read(Hpa(0x110000000), buf), DecodeError);
}

TEST(Fabric, rejects_unknown_references_naming_them) {
  Topology t = make_tree({});
  t.type3[0].parent = "nowhere";
  try {
    Fabric::build(t);
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos);
  }
  t = make_tree({});
  t.windows[0].targets = {"hbX"};
  EXPECT_THROW(Fabric::build(t), ValidationError);
}

TEST(Fabric, rejects_two_devices_below_one_port) {
  Topology t = make_tree({});
  t.type3.push_back(t.type3[0]);
  t.type3.back().id = "other";
  EXPECT_THROW(Fabric::build(t), ValidationError);
}

TEST(Fabric, rejects_overlapping_windows) {
  TreeShape s;
  s.windows = 2;
  Topology t = make_tree(s);
  t.windows[0].size = GiB(4);
  t.windows[0].base = 0x200000000;
  t.windows[1].base = 0x200000000 + GiB(1).value();
  EXPECT_THROW(Fabric::build(t), ValidationError);
}

}  // namespace
}  // namespace cxlsim
