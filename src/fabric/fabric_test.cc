#include "fabric/fabric.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>

#include "device/mbox_command.h"
#include "device/mbox_payloads.h"
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
  EXPECT_THROW((void)f->read(Hpa(0x110000000), buf), DecodeError);
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

// An endpoint decoder over DC capacity: host accesses outside accepted extents throw
// NoCapacityError naming the memdev and DPA; accepted extents read and write normally.
TEST(Fabric, dc_access_outside_accepted_extents_names_memdev_and_dpa) {
  Topology t = make_tree({});
  t.type3[0].dc_regions = {MiB(256)};
  auto f = Fabric::build(t);
  Memdev& m = f->memdev(0);
  const Hpa base = f->windows()[0].base();
  DecoderSettings s;
  s.base = base;
  s.size = MiB(256);
  s.dpa_skip = m.capacity();  // the decoder starts at the DC region
  m.hdm().program(0, s);
  m.hdm().set_enabled(true);
  ASSERT_TRUE(m.hdm().commit(0));
  const Dpa dc(m.capacity().value());
  ASSERT_EQ(f->decode(base + MiB(4))->dpa, dc + MiB(4));
  std::array<std::byte, 64> buf{};
  try {
    (void)f->read(base + MiB(4), buf);
    FAIL();
  } catch (const NoCapacityError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("memdev '" + m.id() + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(fmt::format("DPA {:#x}", (dc + MiB(4)).value())), std::string::npos) << msg;
  }
  EXPECT_THROW((void)f->write(base, buf), NoCapacityError);
  const device::DcExtent e{dc.value(), MiB(8).value(), {}, 0};
  ASSERT_EQ(m.cci().offer_dc_extents({e}), device::MboxReturn::kSuccess);
  std::vector<uint8_t> p(8 + 24, 0);
  p[0] = 1;
  for (size_t i = 0; i < 8; ++i) {
    p[8 + i] = static_cast<uint8_t>(e.dpa >> (8 * i));
    p[16 + i] = static_cast<uint8_t>(e.length >> (8 * i));
  }
  ASSERT_EQ(m.cci().execute(device::opcode::kAddDcResponse, p).rc, device::MboxReturn::kSuccess);
  buf.fill(std::byte{7});
  EXPECT_EQ(f->write(base + MiB(4), buf), device::MediaAccess::kOk);
  std::array<std::byte, 64> back{};
  EXPECT_EQ(f->read(base + MiB(4), back), device::MediaAccess::kOk);
  EXPECT_EQ(back, buf);
  EXPECT_THROW((void)f->read(base + MiB(8), back), NoCapacityError);
}

// The decoder count: --hdm-decoders (FabricOptions) over the topology's hdm_decoders over
// cxlsim's default.
TEST(Fabric, hdm_decoder_count_from_options_then_topology) {
  testing::TreeShape shape;
  shape.root_ports = 2;
  Topology t = testing::make_tree(shape);
  auto counts = [](const Fabric& f) {
    return std::array<unsigned, 2>{f.host_bridges()[0]->hdm()->decoder_count(),
                                   f.memdev(0).hdm().decoder_count()};
  };
  EXPECT_EQ(counts(*Fabric::build(t)),
            (std::array<unsigned, 2>{FabricOptions::kDefaultHdmDecoders,
                                     FabricOptions::kDefaultHdmDecoders}));
  t.hdm_decoders = 1;
  EXPECT_EQ(counts(*Fabric::build(t)), (std::array<unsigned, 2>{1, 1}));
  FabricOptions o;
  o.port_decoders = 2;
  o.endpoint_decoders = 8;
  EXPECT_EQ(counts(*Fabric::build(t, o)), (std::array<unsigned, 2>{2, 8}));
}

// partitionable = false: Identify Memory Device reports fixed capacities and alignment 0 (as
// QEMU 7.2's cxl-type3 does); otherwise the capacity is partitionable in 256 MiB steps.
TEST(Fabric, partitionable_decides_identify_capacities) {
  testing::TreeShape shape;
  shape.persistent = MiB(512);
  shape.volatile_ = MiB(256);
  Topology t = testing::make_tree(shape);
  auto identify = [](const Topology& topo) {
    auto f = Fabric::build(topo);
    const auto r = f->memdev(0).cci().execute(device::opcode::kIdentifyMemoryDevice);
    using L = device::payload::Identify;
    return std::array<uint64_t, 3>{L::kVolatileOnly.get(r.out), L::kPersistentOnly.get(r.out),
                                   L::kPartitionAlignment.get(r.out)};
  };
  EXPECT_EQ(identify(t), (std::array<uint64_t, 3>{0, 0, 1}));  // 256 MiB units
  t.type3[0].partitionable = false;
  EXPECT_EQ(identify(t), (std::array<uint64_t, 3>{1, 2, 0}));
}

}  // namespace
}  // namespace cxlsim
