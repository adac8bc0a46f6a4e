#include "fabric/fabric.h"

#include <gtest/gtest.h>

#include "device/mbox_command.h"
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

TEST(Fabric, dc_regions_from_topology_follow_static_capacity) {
  Topology t = make_tree({});
  t.type3[0].dc_regions = {MiB(256), MiB(512)};
  t.type3[0].dc_block_size = MiB(1);
  auto f = Fabric::build(t);
  Memdev& m = f->memdev(*f->find_memdev(t.type3[0].id));
  const uint64_t stat = (t.type3[0].volatile_size + t.type3[0].persistent_size).value();
  EXPECT_EQ(m.dpa_span(), Bytes(stat) + MiB(768));
  // Get Dynamic Capacity Configuration (CXL 3.1 §8.2.9.9.9.1): header 8 B, 0x28 B per region.
  const std::vector<uint8_t> in{8, 0};
  const auto r = m.cci().execute(device::opcode::kGetDcConfig, in);
  ASSERT_EQ(r.rc, device::MboxReturn::kSuccess);
  ASSERT_GE(r.out.size(), 8u + 2 * 0x28);
  auto u64 = [&](size_t off) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v |= uint64_t{r.out[off + i]} << (8 * i);
    return v;
  };
  EXPECT_EQ(r.out[0], 2);  // regions available
  EXPECT_EQ(u64(8), stat);
  EXPECT_EQ(u64(8 + 0x10), MiB(256).value());
  EXPECT_EQ(u64(8 + 0x18), MiB(1).value());
  EXPECT_EQ(u64(8 + 0x28), stat + MiB(256).value());
  EXPECT_EQ(u64(8 + 0x28 + 0x10), MiB(512).value());
}

}  // namespace
}  // namespace cxlsim
