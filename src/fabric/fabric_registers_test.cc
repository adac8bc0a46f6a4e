// The fabric's registers are the truth: every component carries the config space and component
// register block its kind has (CXL 3.1 Table 8-2, Table 8-22), and what RegionManager commits is
// what software reads back through them, walked the way Linux walks them (CEDT CHBS for host
// bridges; config space Register Locator -> BAR -> component block -> HDM capability otherwise).
// Register contents are decoded here from the CXL 3.1 layouts, independently of the typed
// helpers the fabric itself uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/test_topology.h"
#include "spec/dvsec.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

using testing::make_tree;
using testing::TreeShape;

// HDM decoder n as the registers encode it (CXL 3.1 §8.2.4.20.5 .. §8.2.4.20.11).
struct RawDecoder {
  uint64_t base = 0, size = 0;
  unsigned ways = 0;
  uint64_t granularity = 0;
  bool committed = false;
  std::vector<uint8_t> targets;  // Target Port Identifiers, `ways` of them (ports only)
};

unsigned decode_eiw(unsigned eiw) { return eiw <= 4 ? 1u << eiw : 3u << (eiw - 8); }

RawDecoder read_decoder(const ComponentRegisters& block, uint32_t hdm, unsigned n, bool port) {
  auto rd = [&](uint32_t r) { return block.read32(hdm + 0x10 + 0x20 * n + r); };
  RawDecoder d;
  d.base = (uint64_t{rd(0x04)} << 32) | (rd(0x00) & 0xF0000000u);
  d.size = (uint64_t{rd(0x0C)} << 32) | (rd(0x08) & 0xF0000000u);
  const uint32_t ctrl = rd(0x10);
  d.granularity = uint64_t{256} << (ctrl & 0xF);
  d.ways = decode_eiw((ctrl >> 4) & 0xF);
  d.committed = ctrl & (1u << 10);
  if (port) {
    const uint64_t list = (uint64_t{rd(0x18)} << 32) | rd(0x14);
    for (unsigned i = 0; i < d.ways; ++i) {
      d.targets.push_back(static_cast<uint8_t>(list >> (8 * i)));
    }
  }
  return d;
}

// The component block a PCI function's Register Locator points at: block id 1 in an
// implemented BAR (CXL 3.1 §8.1.9.1). The fabric does not assign BAR addresses, so the block
// is the component's own, found at the entry's offset into it.
uint32_t component_block_offset(const ConfigSpace& cs) {
  const std::vector<RegisterBlockEntry> entries = read_register_locator(cs);
  auto it = std::find_if(entries.begin(), entries.end(), [](const RegisterBlockEntry& e) {
    return e.id == RegisterBlockId::kComponent;
  });
  EXPECT_NE(it, entries.end());
  if (it == entries.end()) return 0;
  EXPECT_TRUE(cs.bar_address(it->bir).has_value())
      << "BAR" << unsigned{it->bir} << " is not implemented";
  return static_cast<uint32_t>(it->offset);
}

uint32_t hdm_offset(const ComponentRegisters& block, uint32_t base) {
  // CXL Capability Header at cache/mem +0: array size in bits 31:24, then one dword per
  // capability (ID 15:0, pointer 31:20 relative to the cache/mem start).
  const uint32_t cm = base + 0x1000;
  const uint32_t n = block.read32(cm) >> 24;
  for (uint32_t i = 1; i <= n; ++i) {
    const uint32_t h = block.read32(cm + 4 * i);
    if ((h & 0xFFFF) == 5) return cm + (h >> 20);
  }
  ADD_FAILURE() << "no HDM Decoder Capability";
  return 0;
}

// Link Capabilities Port Number (PCIe 6.0 §7.5.3.6: PCIe capability + 0x0C, bits 31:24).
uint8_t link_port_number(const ConfigSpace& cs) {
  auto pcie = cs.find_capability(0x10);
  EXPECT_TRUE(pcie.has_value());
  return static_cast<uint8_t>(cs.read32(static_cast<uint16_t>(*pcie + 0x0C)) >> 24);
}

std::vector<uint16_t> sorted(std::vector<uint16_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TreeShape two_level() {
  TreeShape s;
  s.host_bridges = 2;
  s.root_ports = 2;
  s.switch_levels = 1;
  s.downstream_ports = 2;
  s.volatile_ = MiB(256);
  s.persistent = MiB(512);
  return s;
}

TEST(FabricRegisters, every_component_carries_the_registers_of_its_kind) {
  auto f = Fabric::build(make_tree(two_level()));
  std::map<ComponentKind, unsigned> count;
  for (const ComponentRegisterView& v : f->components()) {
    ++count[v.kind];
    ASSERT_NE(v.component, nullptr) << v.id;
    EXPECT_EQ(v.component->kind(), v.kind) << v.id;
    const bool ras = v.component->find_capability(CacheMemCapabilityId::kRas).has_value();
    EXPECT_EQ(ras, v.kind != ComponentKind::kHostBridge) << v.id;
    if (v.kind == ComponentKind::kHostBridge) {
      EXPECT_EQ(v.config, nullptr) << v.id;
      EXPECT_TRUE(v.chbcr.has_value()) << v.id;
      continue;
    }
    ASSERT_NE(v.config, nullptr) << v.id;
    // CXL 3.1 Table 8-2: which DVSEC each kind carries.
    std::vector<uint16_t> want;
    switch (v.kind) {
      case ComponentKind::kRootPort:
      case ComponentKind::kSwitchDownstream:
        want = {3, 4, 7, 8};
        break;
      case ComponentKind::kSwitchUpstream:
        want = {3, 7, 8};
        break;
      case ComponentKind::kEndpoint:
        want = {0, 5, 7, 8};
        break;
      case ComponentKind::kHostBridge:
        break;
    }
    EXPECT_EQ(sorted(cxl_dvsec_ids(*v.config)), want) << v.id;
  }
  EXPECT_EQ(count[ComponentKind::kHostBridge], 2u);
  EXPECT_EQ(count[ComponentKind::kRootPort], 4u);
  EXPECT_EQ(count[ComponentKind::kSwitchUpstream], 4u);
  EXPECT_EQ(count[ComponentKind::kSwitchDownstream], 8u);
  EXPECT_EQ(count[ComponentKind::kEndpoint], 8u);
}

TEST(FabricRegisters, hdm_capability_present_exactly_where_the_port_decodes) {
  TreeShape s = two_level();
  s.host_bridges = 1;
  s.root_ports = 1;  // a host bridge with one root port decodes pass-through
  auto f = Fabric::build(make_tree(s));
  const Port& hb = *f->host_bridges()[0];
  EXPECT_EQ(hb.hdm(), nullptr);
  EXPECT_FALSE(hb.component()->has_hdm());
  const Port& sw = *f->switches()[0];
  ASSERT_NE(sw.hdm(), nullptr);
  EXPECT_TRUE(sw.component()->find_capability(CacheMemCapabilityId::kHdmDecoder).has_value());
  for (size_t m = 0; m < f->memdev_count(); ++m) {
    EXPECT_TRUE(
        f->endpoint(m).component->find_capability(CacheMemCapabilityId::kHdmDecoder).has_value());
  }
}

TEST(FabricRegisters, dport_config_space_reports_its_topology_port_number) {
  Topology t = make_tree(two_level());
  for (size_t i = 0; i < t.root_ports.size(); ++i) {
    t.root_ports[i].port_number = static_cast<unsigned>(7 + i % 2 * 9);
  }
  for (size_t i = 0; i < t.downstream_ports.size(); ++i) {
    t.downstream_ports[i].port_number = static_cast<unsigned>(3 + i % 2 * 40);
  }
  auto f = Fabric::build(t);
  for (const RootPortSpec& rp : t.root_ports) {
    EXPECT_EQ(link_port_number(*f->find_component(rp.id)->config), rp.port_number) << rp.id;
  }
  for (const DownstreamPortSpec& dp : t.downstream_ports) {
    EXPECT_EQ(link_port_number(*f->find_component(dp.id)->config), dp.port_number) << dp.id;
  }
}

TEST(FabricRegisters, committed_region_reads_back_through_every_component_block) {
  Topology t = make_tree(two_level());
  for (size_t i = 0; i < t.root_ports.size(); ++i) {
    t.root_ports[i].port_number = static_cast<unsigned>(10 + i % 2);
  }
  for (size_t i = 0; i < t.downstream_ports.size(); ++i) {
    t.downstream_ports[i].port_number = static_cast<unsigned>(20 + i % 2 * 5);
  }
  auto f = Fabric::build(t);
  RegionManager rm(*f);
  RegionRequest req;
  req.ways = 8;
  const Region& reg = rm.create(req);

  // Host bridges: the CEDT CHBS base names the block.
  const Cedt cedt = f->cedt();
  std::map<uint64_t, const ComponentRegisters*> chbcr;
  for (const ComponentRegisterView& v : f->components()) {
    if (v.chbcr) chbcr[v.chbcr->value()] = v.component;
  }

  unsigned checked_ports = 0;
  for (const RegionPortDecoder& pd : reg.ports) {
    if (pd.passthrough) continue;
    const ComponentRegisters* block = nullptr;
    uint32_t at = 0;
    if (pd.port->kind() == PortKind::kHostBridge) {
      const auto* hb = static_cast<const HostBridge*>(pd.port);
      for (const CedtStructure& st : cedt.structures) {
        if (const Chbs* c = std::get_if<Chbs>(&st); c && c->uid == hb->uid()) {
          block = chbcr.at(c->base.value());
        }
      }
    } else {
      const ComponentRegisterView v = *f->find_component(pd.port->id());
      at = component_block_offset(*v.config);
      block = v.component;
    }
    ASSERT_NE(block, nullptr) << pd.port->id();
    const RawDecoder d = read_decoder(*block, hdm_offset(*block, at), pd.decoder, true);
    EXPECT_TRUE(d.committed) << pd.port->id();
    EXPECT_EQ(d.base, reg.base.value()) << pd.port->id();
    EXPECT_EQ(d.size, reg.size.value()) << pd.port->id();
    EXPECT_EQ(d.ways, pd.ways) << pd.port->id();
    EXPECT_EQ(d.granularity, pd.granularity.value()) << pd.port->id();
    ASSERT_EQ(d.targets.size(), pd.targets.size()) << pd.port->id();
    for (size_t i = 0; i < d.targets.size(); ++i) {  // the dport's own config space agrees
      EXPECT_EQ(d.targets[i], link_port_number(pd.targets[i]->config()))
          << pd.port->id() << " target " << i;
    }
    ++checked_ports;
  }
  EXPECT_EQ(checked_ports, 2u + 4u);  // both host bridges (2 root ports each), every switch

  for (const RegionTarget& rt : reg.targets) {
    const ComponentRegisterView v = *f->find_component(f->memdev(rt.memdev).id());
    const uint32_t at = component_block_offset(*v.config);
    const RawDecoder d =
        read_decoder(*v.component, hdm_offset(*v.component, at), rt.decoder, false);
    EXPECT_TRUE(d.committed) << v.id;
    EXPECT_EQ(d.base, reg.base.value()) << v.id;
    EXPECT_EQ(d.size, reg.size.value()) << v.id;
    EXPECT_EQ(d.ways, 8u) << v.id;
    EXPECT_EQ(d.granularity, reg.granularity.value()) << v.id;
  }
}

TEST(FabricRegisters, writes_through_the_component_block_reach_the_decoders) {
  TreeShape s;
  s.root_ports = 2;
  auto f = Fabric::build(make_tree(s));
  RegionManager rm(*f);
  RegionRequest req;
  req.ways = 2;
  const Region& reg = rm.create(req);
  ASSERT_TRUE(f->decode(reg.base).has_value());
  // Decommit as software would, top-down, through the blocks: decode follows the registers.
  Port& hb = *f->host_bridges()[0];
  ComponentRegisters& block = *hb.component();
  const uint32_t ctrl = hdm_offset(block, 0) + 0x10 + 0x10;
  block.write32(ctrl, block.read32(ctrl) & ~(1u << 9));
  EXPECT_FALSE(hb.hdm()->state(0).committed);
  EXPECT_FALSE(f->decode(reg.base).has_value());
}

TEST(FabricRegisters, dvsec_for_cxl_devices_reports_each_memdev_capacity) {
  Topology t = make_tree(two_level());
  t.type3[1].volatile_size = Bytes(0);
  t.type3[2].persistent_size = Bytes(0);
  t.type3[3].volatile_size = GiB(2);
  auto f = Fabric::build(t);
  for (size_t m = 0; m < f->memdev_count(); ++m) {
    const ConfigSpace& cs = *f->endpoint(m).config;
    auto dv = cs.find_dvsec(kCxlDvsecVendorId, 0);
    ASSERT_TRUE(dv.has_value());
    // Range n Size High at +0x18 / +0x28, Size Low (bits 31:28) at +0x1C / +0x2C (§8.1.3.8..13).
    uint64_t total = 0;
    for (uint16_t r : {uint16_t{0x18}, uint16_t{0x28}}) {
      total += (uint64_t{cs.read32(static_cast<uint16_t>(*dv + r))} << 32) |
               (cs.read32(static_cast<uint16_t>(*dv + r + 4)) & 0xF0000000u);
    }
    EXPECT_EQ(total, (t.type3[m].volatile_size + t.type3[m].persistent_size).value())
        << t.type3[m].id;
  }
}

TEST(FabricRegisters, cedt_decodes_back_to_the_windows) {
  TreeShape s = two_level();
  s.host_bridges = 3;
  s.windows = 2;
  s.window_granularity = KiB(4);
  Topology t = make_tree(s);
  t.host_bridges[1].uid = 7;
  t.windows[1].targets = {"hb2"};
  t.windows[1].restrictions.persistent = false;
  auto f = Fabric::build(t);
  const Cedt back = decode_cedt(encode_cedt(f->cedt()));
  std::vector<Chbs> chbs;
  std::vector<CedtCfmws> cfmws;
  for (const CedtStructure& st : back.structures) {
    if (const Chbs* c = std::get_if<Chbs>(&st)) chbs.push_back(*c);
    if (const CedtCfmws* c = std::get_if<CedtCfmws>(&st)) cfmws.push_back(*c);
  }
  ASSERT_EQ(chbs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(chbs[i].uid, t.host_bridges[i].uid);
    EXPECT_EQ(chbs[i].cxl_version, Chbs::kVersionCxl2);
    EXPECT_EQ(chbs[i].length, KiB(64));
    // QEMU 7.2: 64 KiB blocks at 4 GiB, the last host bridge first.
    EXPECT_EQ(chbs[i].base, Hpa(0x100000000ull + (2 - i) * 0x10000));
  }
  ASSERT_EQ(cfmws.size(), f->windows().size());
  for (size_t w = 0; w < cfmws.size(); ++w) {
    const Cfmws& win = f->windows()[w];
    EXPECT_EQ(cfmws[w].base, win.base());
    EXPECT_EQ(cfmws[w].size, win.size());
    EXPECT_EQ(cfmws[w].ways(), win.ways());
    EXPECT_EQ(cfmws[w].granularity(), win.granularity());
    EXPECT_EQ(cfmws[w].restrictions, t.windows[w].restrictions.encode());
    std::vector<uint32_t> uids;
    for (const HostBridge* hb : win.targets()) uids.push_back(hb->uid());
    EXPECT_EQ(cfmws[w].targets, uids);
  }
  EXPECT_EQ(cfmws[0].targets, (std::vector<uint32_t>{0, 7, 2}));
  EXPECT_EQ(cfmws[0].eniw, 8u);  // 3 ways (CXL 3.1 §9.18.3: ENIW 8)
  EXPECT_EQ(cfmws[0].hbig, 4u);  // 4 KiB
  EXPECT_EQ(cfmws[1].restrictions & kCfmwsPersistent, 0u);
}

TEST(FabricRegisters, unknown_component_id_is_not_found) {
  auto f = Fabric::build(make_tree(TreeShape{}));
  EXPECT_FALSE(f->find_component("nope").has_value());
  EXPECT_TRUE(f->find_component("hb0").has_value());
  EXPECT_TRUE(f->find_component("mem0").has_value());
}

}  // namespace
}  // namespace cxlsim
