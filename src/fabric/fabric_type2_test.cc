// Type 2 devices in the fabric (builtin:type2-accel): an accelerator endpoint with the
// registers CXL 3.1 gives it (class 12h, DVSEC for CXL Devices with Cache/IO/Mem capable and
// its HDM as range 1, Register Locator -> component block -> HDM Decoder Capability, no memory
// device registers), and its memory reached through regions the host agent commits in windows
// whose CFMWS restrictions allow Type 2 memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology_loader.h"
#include "fabric/topology_testing.h"
#include "spec/dvsec.h"

namespace cxlsim {
namespace {

using testing::error_of;
using testing::Rig;

Topology accel_topology() { return load_topology("builtin:type2-accel"); }

// cfmw0: type3 only; cfmw1: type2 only (hb0: mem0 on rp0, accel0 on rp1); cfmw2: both (hb1:
// switch sw0 with mem1, accel1).
RegionRequest ram(size_t window, std::vector<std::string> targets) {
  RegionRequest r;
  r.window = window;
  r.ways = static_cast<unsigned>(targets.size());
  r.targets = std::move(targets);
  r.mode = RegionMode::kRam;
  return r;
}

TEST(FabricType2, EndpointIsACacheAndMemCapableAcceleratorWithItsHdmAsRange1) {
  Rig rig(accel_topology());
  for (auto [id, hdm] : {std::pair{"accel0", GiB(4)}, std::pair{"accel1", GiB(2)}}) {
    SCOPED_TRACE(id);
    const auto v = rig.fabric->find_component(id);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->kind, ComponentKind::kEndpoint);
    const ConfigSpace& cs = *v->config;
    EXPECT_EQ(cs.read32(0x08) >> 24, 0x12u);  // base class 12h: processing accelerator
    EXPECT_EQ(cs.port_type(), PciePortType::kEndpoint);
    const auto dev = cs.find_dvsec(kCxlDvsecVendorId, 0);
    ASSERT_TRUE(dev.has_value());
    // DVSEC CXL Capability (CXL 3.1 §8.1.3.1): Cache_Capable 0, IO_Capable 1, Mem_Capable 2,
    // HDM_Count 5:4.
    const uint16_t cap = cs.read16(static_cast<uint16_t>(*dev + 0x0A));
    EXPECT_EQ(cap & 0x7, 0x7);
    EXPECT_EQ((cap >> 4) & 0x3, 1);
    // Range 1 Size High/Low (§8.1.3.8): Memory_Info_Valid bit 0, Memory_Active bit 1, size
    // bits 31:28 of the low dword.
    const uint32_t lo = cs.read32(static_cast<uint16_t>(*dev + 0x1C));
    const uint64_t size =
        (uint64_t{cs.read32(static_cast<uint16_t>(*dev + 0x18))} << 32) | (lo & 0xF0000000u);
    EXPECT_EQ(size, hdm.value());
    EXPECT_EQ(lo & 0x3, 0x3u);
    // Register Locator: the component block only (no Memory Device registers, block id 3).
    const auto blocks = read_register_locator(cs);
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].id, RegisterBlockId::kComponent);
    ASSERT_NE(v->hdm, nullptr);
    EXPECT_EQ(v->hdm->kind(), HdmKind::kEndpoint);
    EXPECT_EQ(v->hdm->decoder_count(), FabricOptions::kDefaultHdmDecoders);
  }
  // Type 3 memdevs keep the memory device class and their indices come first.
  EXPECT_EQ(rig.fabric->find_component("mem0")->config->read32(0x08) >> 8, 0x050210u);
  EXPECT_EQ(rig.fabric->find_memdev("mem0"), 0u);
  EXPECT_EQ(rig.fabric->find_memdev("mem1"), 1u);
  EXPECT_TRUE(rig.fabric->memdev(*rig.fabric->find_memdev("accel0")).is_type2());
  EXPECT_FALSE(rig.fabric->memdev(0).is_type2());
}

TEST(FabricType2, RegionOnAcceleratorBelowRootPortCommitsHdmDAndDecodes) {
  Rig rig(accel_topology());
  const size_t a = *rig.fabric->find_memdev("accel0");
  const Region& reg = rig.regions.create(ram(1, {"accel0"}));
  EXPECT_EQ(reg.kind, DeviceKind::kType2);
  EXPECT_EQ(reg.size, GiB(4));
  const DecoderState ep = rig.fabric->memdev(a).hdm().state(0);
  ASSERT_TRUE(ep.committed);
  EXPECT_EQ(ep.target_type, HdmTargetType::kDeviceCoherent);
  EXPECT_EQ(ep.dpa_base, Dpa(0));
  const DecoderState hb = rig.fabric->host_bridges()[0]->hdm()->state(0);
  ASSERT_TRUE(hb.committed);
  EXPECT_EQ(hb.target_type, HdmTargetType::kDeviceCoherent);
  EXPECT_EQ(rig.fabric->decode(reg.base), (DecodeResult{a, Dpa(0)}));
  EXPECT_EQ(rig.fabric->decode(reg.base + GiB(3) + Bytes(77)),
            (DecodeResult{a, Dpa(GiB(3).value() + 77)}));
  EXPECT_FALSE(rig.fabric->decode(reg.base + GiB(4)).has_value());
  // Write and read back through the fabric.
  std::vector<std::byte> in(1000), out(1000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = std::byte(i * 7 + 1);
  const Hpa at = reg.base + MiB(5) + Bytes(100);
  EXPECT_EQ(rig.fabric->write(at, in), device::MediaAccess::kOk);
  EXPECT_EQ(rig.fabric->read(at, out), device::MediaAccess::kOk);
  EXPECT_EQ(in, out);
  std::vector<std::byte> direct(1000);
  EXPECT_EQ(rig.fabric->memdev(a).read(Dpa(MiB(5).value() + 100), direct),
            device::MediaAccess::kOk);
  EXPECT_EQ(direct, in);
}

TEST(FabricType2, RegionOnAcceleratorBelowSwitchSharesTheSwitchWithAType3Region) {
  Rig rig(accel_topology());
  const Region& r3 = rig.regions.create(ram(2, {"mem1"}));
  const Region& r2 = rig.regions.create(ram(2, {"accel1"}));
  const size_t a = *rig.fabric->find_memdev("accel1");
  EXPECT_EQ(r2.base, r3.end());
  EXPECT_EQ(rig.fabric->decode(r2.base + Bytes(4096)), (DecodeResult{a, Dpa(4096)}));
  EXPECT_EQ(rig.fabric->decode(r3.base), (DecodeResult{1, Dpa(0)}));
  const auto t = rig.fabric->trace(r2.base);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->steps.back().target, "sw0_dsp1");
  const DecoderState sw = rig.fabric->switches()[0]->hdm()->state(1);
  EXPECT_TRUE(sw.committed);
  EXPECT_EQ(sw.target_type, HdmTargetType::kDeviceCoherent);
  EXPECT_EQ(rig.fabric->switches()[0]->hdm()->state(0).target_type, HdmTargetType::kHostOnly);
}

TEST(FabricType2, WindowRestrictionsAndKindsAreRespected) {
  Rig rig(accel_topology());
  // cfmw0 allows Type 3 memory only.
  std::string e = error_of(rig, ram(0, {"accel0"}));
  EXPECT_NE(e.find("does not allow Type 2"), std::string::npos) << e;
  EXPECT_NE(e.find("type2 (bit 0)"), std::string::npos) << e;
  EXPECT_NE(e.find("accel0"), std::string::npos) << e;
  // cfmw1 allows Type 2 memory only.
  e = error_of(rig, ram(1, {"mem0"}));
  EXPECT_NE(e.find("does not allow Type 3"), std::string::npos) << e;
  // One kind per region.
  e = error_of(rig, ram(2, {"mem1", "accel1"}));
  EXPECT_NE(e.find("cannot share a region"), std::string::npos) << e;
  // Type 2 memory is volatile (cfmw2 allows pmem regions; accel1 has none).
  RegionRequest pmem = ram(2, {"accel1"});
  pmem.mode = RegionMode::kPmem;
  e = error_of(rig, pmem);
  EXPECT_NE(e.find("use mode=ram"), std::string::npos) << e;
  EXPECT_TRUE(rig.regions.regions().empty());
  for (size_t m = 0; m < rig.fabric->memdev_count(); ++m) {
    EXPECT_EQ(rig.fabric->memdev(m).hdm().committed_count(), 0u);
  }
}

TEST(FabricType2, DpaIsAccountedLikeType3VolatileCapacity) {
  Rig rig(accel_topology());
  const size_t a = *rig.fabric->find_memdev("accel0");
  RegionRequest half = ram(1, {"accel0"});
  half.size = GiB(2);
  rig.regions.create(half);
  EXPECT_EQ(rig.regions.free_dpa(a, RegionMode::kRam), GiB(2));
  const Region& second = rig.regions.create(half);
  EXPECT_EQ(rig.fabric->memdev(a).hdm().state(1).dpa_base, Dpa(GiB(2).value()));
  EXPECT_EQ(rig.fabric->decode(second.base), (DecodeResult{a, Dpa(GiB(2).value())}));
  const std::string e = error_of(rig, ram(1, {"accel0"}));
  EXPECT_NE(e.find("no free ram capacity"), std::string::npos) << e;
}

TEST(FabricType2, AutomaticTargetsPickOneKind) {
  Rig rig(accel_topology());
  EXPECT_EQ(rig.regions.auto_targets(2, 1, RegionMode::kRam), (std::vector<size_t>{1}));
  EXPECT_EQ(rig.regions.auto_targets(2, 1, RegionMode::kRam, DeviceKind::kType2),
            (std::vector<size_t>{*rig.fabric->find_memdev("accel1")}));
  RegionRequest r;
  r.window = 2;
  r.ways = 1;
  r.mode = RegionMode::kRam;
  r.kind = DeviceKind::kType2;
  const Region& reg = rig.regions.create(r);
  EXPECT_EQ(reg.targets[0].memdev, *rig.fabric->find_memdev("accel1"));
}

}  // namespace
}  // namespace cxlsim
