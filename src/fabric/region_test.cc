// Region creation as Linux 6.1 does it: programming at each level, and its refusals.
#include "fabric/region.h"

#include <gtest/gtest.h>

#include <array>

#include "fabric/test_topology.h"
#include "fabric/topology_testing.h"

namespace cxlsim {
namespace {

using testing::make_tree;
using testing::TreeShape;

using testing::error_of;
using testing::Rig;

RegionRequest request(unsigned ways, std::vector<std::string> targets = {}, size_t window = 0) {
  RegionRequest r;
  r.window = window;
  r.ways = ways;
  r.targets = std::move(targets);
  return r;
}

TEST(Region, x1_window_two_root_ports_host_bridge_uses_region_granularity) {
  TreeShape s;
  s.root_ports = 2;
  s.window_granularity = KiB(4);
  Rig rig(make_tree(s));
  RegionRequest r = request(2, {"mem0", "mem1"});
  r.granularity = Bytes(1024);  // a x1 window allows any granularity
  const Region& reg = rig.regions.create(r);
  EXPECT_EQ(reg.base, Hpa(kFirstWindowBase));
  EXPECT_EQ(reg.size, GiB(2));
  const DecoderState hb = rig.fabric->host_bridges()[0]->hdm()->state(0);
  EXPECT_TRUE(hb.committed);
  EXPECT_EQ(hb.ways, 2u);
  EXPECT_EQ(hb.granularity, Bytes(1024));
  const DecoderState ep = rig.fabric->memdev(1).hdm().state(0);
  EXPECT_TRUE(ep.committed);
  EXPECT_EQ(ep.ways, 2u);
  EXPECT_EQ(ep.granularity, Bytes(1024));
  // Granule k goes to position k mod 2, at DPA (k / 2) x granularity.
  EXPECT_EQ(rig.fabric->decode(reg.base), (DecodeResult{0, Dpa(0)}));
  EXPECT_EQ(rig.fabric->decode(reg.base + Bytes(1024)), (DecodeResult{1, Dpa(0)}));
  EXPECT_EQ(rig.fabric->decode(reg.base + Bytes(2048 + 5)), (DecodeResult{0, Dpa(1024 + 5)}));
}

TEST(Region, interleaved_host_bridges_route_on_the_next_address_bit) {
  TreeShape s;
  s.host_bridges = 2;
  s.root_ports = 2;
  Rig rig(make_tree(s));  // mem0,mem1 below hb0; mem2,mem3 below hb1
  const Region& reg = rig.regions.create(request(4, {"mem0", "mem2", "mem1", "mem3"}));
  // address_bit = max(peig + peiw, eiw + peig) = 1; eig = 1 - 1 + 1 = 1: 512 B.
  const DecoderState hb0 = rig.fabric->host_bridges()[0]->hdm()->state(0);
  EXPECT_EQ(hb0.ways, 2u);
  EXPECT_EQ(hb0.granularity, Bytes(512));
  EXPECT_EQ(hb0.targets[0], 0);  // position 0's root port first, then position 2's
  EXPECT_EQ(hb0.targets[1], 1);
  for (unsigned k = 0; k < 8; ++k) {
    const auto d = rig.fabric->decode(reg.base + Bytes(uint64_t{256} * k));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->memdev, reg.targets[k % 4].memdev) << k;
    EXPECT_EQ(d->dpa, Dpa(uint64_t{256} * (k / 4)));
  }
}

TEST(Region, default_order_satisfies_linux_position_rules) {
  TreeShape s;
  s.host_bridges = 2;
  s.root_ports = 2;
  s.switch_levels = 1;
  s.downstream_ports = 2;
  Rig rig(make_tree(s));
  const Region& reg = rig.regions.create(request(8));
  EXPECT_EQ(reg.targets.size(), 8u);
  for (const RegionTarget& t : reg.targets) {
    EXPECT_EQ(rig.fabric->port_chain(t.memdev)[0],
              rig.fabric->windows()[0].targets()[t.position % 2]);
  }
}

TEST(Region, rejects_memdev_below_wrong_host_bridge_for_position) {
  TreeShape s;
  s.host_bridges = 2;
  Rig rig(make_tree(s));
  EXPECT_NE(
      error_of(rig, request(2, {"mem1", "mem0"})).find("invalid target position for decoder0.0"),
      std::string::npos);
}

TEST(Region, rejects_ways_not_a_power_of_two_multiple_of_window_ways) {
  TreeShape s;
  s.host_bridges = 2;
  Rig rig(make_tree(s));
  EXPECT_NE(error_of(rig, request(3)).find("invalid interleave: 3"), std::string::npos);
  EXPECT_NE(error_of(rig, request(5)).find("invalid interleave: 5"), std::string::npos);
}

TEST(Region, rejects_granularity_other_than_interleaved_windows) {
  TreeShape s;
  s.host_bridges = 2;
  Rig rig(make_tree(s));
  RegionRequest r = request(2);
  r.granularity = Bytes(512);
  EXPECT_NE(error_of(rig, r).find("invalid interleave granularity: 512"), std::string::npos);
}

TEST(Region, rejects_unknown_and_repeated_memdevs) {
  TreeShape s;
  s.root_ports = 2;
  Rig rig(make_tree(s));
  EXPECT_THROW(rig.regions.create(request(2, {"mem0", "memX"})), ValidationError);
  EXPECT_NE(error_of(rig, request(2, {"mem0", "mem0"})).find("already specified at position 0"),
            std::string::npos);
}

TEST(Region, switch_positions_sharing_a_dport_must_be_distance_apart) {
  // One root port, a switch with two dports: 2-way region fine; with two root ports each with a
  // switch, positions 0 and 1 below the same switch break the host bridge's distance rule.
  TreeShape s;
  s.root_ports = 2;
  s.switch_levels = 1;
  s.downstream_ports = 2;
  Rig rig(make_tree(s));  // mem0, mem1 below rp0's switch; mem2, mem3 below rp1's
  const std::string e = error_of(rig, request(4, {"mem0", "mem1", "mem2", "mem3"}));
  EXPECT_NE(e.find("port1: cannot host mem1(mem1):decoder"), std::string::npos) << e;
  EXPECT_NE(error_of(rig, request(4, {"mem0", "mem2", "mem3", "mem1"})).find("mismatched peer"),
            std::string::npos);
  EXPECT_NO_THROW(rig.regions.create(request(4, {"mem0", "mem2", "mem1", "mem3"})));
}

TEST(Region, sharing_distance_is_the_product_of_target_counts_up_to_the_root) {
  // Two root ports, each with a 4-dport switch: an 8-way region alternates root ports
  // (host bridge distance 2 x 1) and walks the switch dports (switch distance 4 x 2 = 8), as
  // Linux 6.1.y accepts it (tests/conformance, topology "wide").
  TreeShape s;
  s.root_ports = 2;
  s.switch_levels = 1;
  s.downstream_ports = 4;
  Rig rig(make_tree(s));  // mem0..mem3 below rp0's switch; mem4..mem7 below rp1's
  const Region& reg = rig.regions.create(
      request(8, {"mem0", "mem4", "mem1", "mem5", "mem2", "mem6", "mem3", "mem7"}));
  for (unsigned k = 0; k < 16; ++k) {
    const auto d = rig.fabric->decode(reg.base + Bytes(uint64_t{256} * k));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->memdev, reg.targets[k % 8].memdev) << k;
  }
  Rig rig2(make_tree(s));
  EXPECT_NE(
      error_of(rig2, request(8, {"mem0", "mem1", "mem2", "mem3", "mem4", "mem5", "mem6", "mem7"}))
          .find("port1: cannot host mem1(mem1):decoder"),
      std::string::npos);
}

TEST(Region, switch_target_counts_must_be_powers_of_two) {
  TreeShape s;
  s.root_ports = 1;
  s.switch_levels = 1;
  s.downstream_ports = 3;
  Rig rig(make_tree(s));
  EXPECT_NE(error_of(rig, request(4, {"mem0", "mem1", "mem2", "mem0"})).find("already specified"),
            std::string::npos);
  RegionRequest r = request(3, {"mem0", "mem1", "mem2"});
  EXPECT_NE(error_of(rig, r).find("invalid interleave: 3"), std::string::npos);
}

TEST(Region, passthrough_port_hosts_one_region_only) {
  TreeShape s;  // one host bridge with one root port: pass-through
  s.persistent = GiB(2);
  Rig rig(make_tree(s));
  RegionRequest r = request(1);
  r.size = GiB(1);
  rig.regions.create(r);
  EXPECT_NE(error_of(rig, r).find("port1: no decoder available"), std::string::npos);
}

TEST(Region, several_regions_share_a_window_and_decommit_in_reverse) {
  TreeShape s;
  s.root_ports = 2;
  s.persistent = GiB(2);
  Rig rig(make_tree(s));
  RegionRequest r = request(2);
  r.size = GiB(2);
  const Region& a = rig.regions.create(r);
  const unsigned a_id = a.id;
  const Hpa a_base = a.base;
  const Region& b = rig.regions.create(r);
  EXPECT_EQ(b.base, a_base + GiB(2));
  EXPECT_EQ(b.targets[0].dpa_base, Dpa(GiB(1).value()));
  EXPECT_EQ(rig.fabric->decode(b.base), (DecodeResult{0, Dpa(GiB(1).value())}));
  EXPECT_THROW(rig.regions.destroy(a_id), RegionError);  // out of order reset
  EXPECT_TRUE(rig.fabric->decode(a_base));
  rig.regions.destroy(b.id);
  rig.regions.destroy(a_id);
  EXPECT_FALSE(rig.fabric->decode(a_base));
  EXPECT_FALSE(rig.fabric->memdev(0).hdm().state(0).committed);
}

TEST(Region, hpa_order_violation_when_a_lower_region_follows_a_higher_one) {
  TreeShape s;
  s.windows = 2;
  s.persistent = GiB(2);
  Rig rig(make_tree(s));
  RegionRequest r = request(1);
  r.size = GiB(1);
  r.window = 1;
  rig.regions.create(r);
  r.window = 0;
  EXPECT_NE(error_of(rig, r).find("HPA order violation"), std::string::npos);
}

TEST(Region, volatile_only_memdev_needs_ram_mode) {
  TreeShape s;
  s.persistent = Bytes(0);
  s.volatile_ = GiB(1);
  Rig rig(make_tree(s));
  EXPECT_NE(error_of(rig, request(1, {"mem0"})).find("no free pmem capacity"), std::string::npos);
  RegionRequest r = request(1, {"mem0"});
  r.mode = RegionMode::kRam;
  EXPECT_EQ(rig.regions.create(r).size, GiB(1));
}

TEST(Region, pmem_region_skips_the_volatile_partition) {
  TreeShape s;
  s.volatile_ = GiB(1);
  Rig rig(make_tree(s));
  const Region& reg = rig.regions.create(request(1));
  EXPECT_EQ(reg.targets[0].dpa_base, Dpa(GiB(1).value()));
  EXPECT_EQ(rig.fabric->memdev(0).hdm().state(0).dpa_skip, GiB(1));
  EXPECT_EQ(rig.fabric->decode(reg.base + Bytes(7)), (DecodeResult{0, Dpa(GiB(1).value() + 7)}));
}

TEST(Region, data_written_through_the_region_lands_on_the_decoded_device) {
  TreeShape s;
  s.root_ports = 2;
  Rig rig(make_tree(s));
  const Region& reg = rig.regions.create(request(2));
  std::vector<std::byte> in(1000), out(1000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = std::byte(i * 7);
  EXPECT_EQ(rig.fabric->write(reg.base + Bytes(100), in), device::MediaAccess::kOk);
  EXPECT_EQ(rig.fabric->read(reg.base + Bytes(100), out), device::MediaAccess::kOk);
  EXPECT_EQ(in, out);
  std::array<std::byte, 1> b{};
  // HPA base+256 is mem1's DPA 0.
  EXPECT_EQ(rig.fabric->memdev(1).read(Dpa(0), b), device::MediaAccess::kOk);
  EXPECT_EQ(b[0], in[156]);
}

}  // namespace
}  // namespace cxlsim

namespace cxlsim {
namespace {

TEST(Region, poison_on_the_decoded_device_is_reported_through_the_fabric) {
  testing::TreeShape s;
  s.root_ports = 2;
  auto f = Fabric::build(testing::make_tree(s));
  RegionManager regions(*f);
  RegionRequest r;
  r.ways = 2;
  const Region& reg = regions.create(r);
  // HPA base + 256 is mem1's DPA 0 (position 1, first granule).
  f->memdev(1).cci().report_media_error(Dpa(0), Bytes(64), device::GmTransaction::kHostRead);
  std::array<std::byte, 64> b{};
  EXPECT_EQ(f->read(reg.base, b), device::MediaAccess::kOk);
  EXPECT_EQ(f->read(reg.base + Bytes(256), b), device::MediaAccess::kPoisoned);
}

}  // namespace
}  // namespace cxlsim

namespace cxlsim {
namespace {

TEST(Region, default_order_finds_the_subtree_linux_can_interleave) {
  // rp0 -> a 4-port switch with mem0..mem3; rp1 -> mem4. Spreading 4 positions over both root
  // ports breaks Linux's peer distance rule (rp1 holds one device); the switch alone works.
  Topology t;
  t.host_bridges.push_back({"hb0", 0, 12});
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  t.root_ports.push_back({"rp1", "hb0", 1, 0, 1});
  t.switches.push_back({"sw", "rp0"});
  for (unsigned i = 0; i < 5; ++i) {
    Type3Spec m;
    m.id = "mem" + std::to_string(i);
    m.persistent_size = GiB(1);
    if (i < 4) {
      t.downstream_ports.push_back({"dp" + std::to_string(i), "sw", i, 1, i});
      m.parent = "dp" + std::to_string(i);
    } else {
      m.parent = "rp1";
    }
    t.type3.push_back(m);
  }
  WindowSpec w;
  w.id = "cfmw0";
  w.size = GiB(8);
  w.targets = {"hb0"};
  t.windows.push_back(w);
  auto f = Fabric::build(t);
  RegionManager regions(*f);
  EXPECT_EQ(regions.auto_targets(0, 4, RegionMode::kPmem), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(regions.auto_targets(0, 2, RegionMode::kPmem), (std::vector<size_t>{0, 4}));
  RegionRequest r;
  r.ways = 4;
  EXPECT_EQ(regions.create(r).size, GiB(4));
}

}  // namespace
}  // namespace cxlsim

namespace cxlsim {
namespace {

// mode=dc maps the memdev's DC region (after its static capacity); the device's accepted
// extents alone decide which addresses hold memory.
TEST(Region, dc_region_maps_dynamic_capacity_backed_by_accepted_extents_only) {
  Topology t = testing::make_tree({});
  for (auto& d : t.type3) d.dc_regions = {MiB(256)};
  testing::Rig rig(t);
  RegionRequest r;
  r.targets = {"mem0"};
  r.mode = RegionMode::kDc;
  const Region& reg = rig.regions.create(r);
  Memdev& m = rig.fabric->memdev(0);
  const Dpa dc(m.capacity().value());
  EXPECT_EQ(reg.size, MiB(256));
  EXPECT_EQ(reg.targets[0].dpa_base, dc);
  EXPECT_EQ(rig.fabric->decode(reg.base + MiB(2))->dpa, dc + MiB(2));
  std::array<std::byte, 64> buf{};
  EXPECT_THROW((void)rig.fabric->read(reg.base + MiB(2), buf), NoCapacityError);
  const device::DcExtent e{dc.value(), MiB(4).value(), {}, 0};
  ASSERT_EQ(m.cci().offer_dc_extents({e}), device::MboxReturn::kSuccess);
  std::vector<uint8_t> accept(8 + 24, 0);
  accept[0] = 1;
  for (size_t i = 0; i < 8; ++i) {
    accept[8 + i] = static_cast<uint8_t>(e.dpa >> (8 * i));
    accept[16 + i] = static_cast<uint8_t>(e.length >> (8 * i));
  }
  ASSERT_EQ(m.cci().execute(device::opcode::kAddDcResponse, accept).rc,
            device::MboxReturn::kSuccess);
  EXPECT_EQ(rig.fabric->read(reg.base + MiB(2), buf), device::MediaAccess::kOk);
  EXPECT_THROW((void)rig.fabric->read(reg.base + MiB(4), buf), NoCapacityError);
  // The static capacity is still free for a pmem region.
  EXPECT_EQ(rig.regions.free_dpa(0, RegionMode::kPmem), m.persistent_size());
  EXPECT_EQ(rig.regions.free_dpa(0, RegionMode::kDc), Bytes(0));
}

TEST(Region, dc_region_needs_dynamic_capacity) {
  testing::Rig rig(testing::make_tree({}));
  RegionRequest r;
  r.targets = {"mem0"};
  r.mode = RegionMode::kDc;
  EXPECT_NE(testing::error_of(rig, r).find("dc capacity"), std::string::npos)
      << testing::error_of(rig, r);
}

}  // namespace
}  // namespace cxlsim

namespace cxlsim {
namespace {

// media_faults asks the devices: poison and unaccepted DC in the range, nothing outside it.
TEST(Region, media_faults_are_what_the_devices_say_within_the_range) {
  testing::TreeShape shape;
  shape.root_ports = 2;  // two regions need a host bridge decoder each (no pass-through)
  Topology t = testing::make_tree(shape);
  t.type3[0].dc_regions = {MiB(256)};
  testing::Rig rig(t);
  RegionRequest pmem;
  pmem.targets = {"mem0"};
  pmem.size = MiB(256);
  const Region& p = rig.regions.create(pmem);
  Memdev& m = rig.fabric->memdev(0);
  EXPECT_TRUE(rig.fabric->media_faults(p.base, p.size).empty());
  const uint64_t poisoned = p.targets[0].dpa_base.value() + 0x4000;
  ASSERT_EQ(m.cci().state().poison.add(poisoned, 64, device::PoisonSource::kInjected, 0), true);
  auto f = rig.fabric->media_faults(p.base, p.size);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].what, device::MediaAccess::kPoisoned);
  EXPECT_EQ(f[0].dpa, Dpa(poisoned));
  EXPECT_EQ(f[0].hpa, p.base + Bytes(0x4000));
  EXPECT_TRUE(rig.fabric->media_faults(p.base, Bytes(0x4000)).empty());  // before the line
  RegionRequest dc;
  dc.targets = {"mem0"};
  dc.mode = RegionMode::kDc;
  const Region& d = rig.regions.create(dc);
  const uint64_t dc_base = m.capacity().value();
  m.cci().state().dc.accepted.push_back({dc_base, MiB(2).value(), {}, 0});
  f = rig.fabric->media_faults(d.base, d.size);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].what, device::MediaAccess::kNoCapacity);
  EXPECT_EQ(f[0].dpa, Dpa(dc_base + MiB(2).value()));
  EXPECT_EQ(f[0].length, MiB(254));
  EXPECT_EQ(f[0].hpa, d.base + MiB(2));
}

}  // namespace
}  // namespace cxlsim
