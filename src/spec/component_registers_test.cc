#include "spec/component_registers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "spec/dvsec.h"
#include "spec/hdm_decoder.h"
#include "spec/register_table_testing.h"

namespace cxlsim {
namespace {

// Minimal stand-in with the HDM capability interface: plain RW dwords, records accesses.
struct FakeHdm {
  static constexpr uint16_t kCapabilityId = 5;
  std::vector<uint32_t> regs = std::vector<uint32_t>(0x50 / 4, 0);
  mutable std::vector<uint32_t> reads;
  uint32_t read32(uint32_t off) const {
    reads.push_back(off);
    return regs.at(off / 4);
  }
  void write32(uint32_t off, uint32_t v) { regs.at(off / 4) = v; }
  uint32_t size_bytes() const { return static_cast<uint32_t>(regs.size() * 4); }
};

constexpr uint32_t kCm = ComponentRegisters::kCacheMemOffset;

TEST(ComponentRegisters, CapabilityHeaderListsRasLinkHdm) {
  FakeHdm fake;
  ComponentRegisters b(ComponentKind::kEndpoint, ExternalCapability::of(fake, 3));
  // CXL Capability Header: ID 1, version 1, cache/mem version 1, 3 capabilities.
  EXPECT_EQ(b.read32(kCm), 0x03110001u);
  EXPECT_EQ(b.read32(kCm + 4), (0x080u << 20) | (3u << 16) | 2u);   // RAS at 0x80, v3
  EXPECT_EQ(b.read32(kCm + 8), (0x0E0u << 20) | (2u << 16) | 4u);   // Link at 0xE0, v2
  EXPECT_EQ(b.read32(kCm + 12), (0x200u << 20) | (3u << 16) | 5u);  // HDM at 0x200, v3
  EXPECT_EQ(b.find_capability(CacheMemCapabilityId::kHdmDecoder), kCm + 0x200);
  EXPECT_EQ(b.find_capability(CacheMemCapabilityId::kRas), kCm + 0x80);
  EXPECT_FALSE(b.find_capability(CacheMemCapabilityId::kSnoopFilter).has_value());
}

TEST(ComponentRegisters, HdmOffsetsRouteToTheCapabilityObject) {
  FakeHdm fake;
  fake.regs[1] = 0xABCD1234;
  ComponentRegisters b(ComponentKind::kSwitchUpstream, ExternalCapability::of(fake, 3));
  EXPECT_EQ(b.read32(kCm + 0x204), 0xABCD1234u);
  EXPECT_EQ(fake.reads.back(), 4u);
  b.write32(kCm + 0x200 + 0x4C, 0x55);
  EXPECT_EQ(fake.regs[0x4C / 4], 0x55u);
  b.write32(kCm + 0x200 + 0x50, 0x77);  // just past the capability: not routed
  EXPECT_EQ(b.read32(kCm + 0x250), 0u);
}

TEST(ComponentRegisters, UnknownOffsetsReadZeroAndIgnoreWrites) {
  ComponentRegisters b = make_root_port_component_registers();
  for (uint32_t off : {0x0u, 0x0FFCu, 0x2000u, 0xE000u, 0xFFFCu, kCm + 0x400u}) {
    b.write32(off, 0xFFFFFFFF);
    EXPECT_EQ(b.read32(off), 0u) << std::hex << off;
  }
  EXPECT_THROW((void)b.read32(0x10000), std::out_of_range);
  EXPECT_THROW((void)b.read32(kCm + 2), std::out_of_range);
}

TEST(ComponentRegisters, KindsCarryTheSpecifiedCapabilities) {
  HdmDecoderCapability port_hdm(HdmKind::kPort, 4, 8, nullptr);
  HdmDecoderCapability ep_hdm(HdmKind::kEndpoint, 2, 0, nullptr);
  using Id = CacheMemCapabilityId;
  auto has = [](const ComponentRegisters& b, Id id) { return b.find_capability(id).has_value(); };

  const ComponentRegisters hb1 = make_host_bridge_component_registers(1, nullptr);
  EXPECT_EQ(hb1.read32(kCm) >> 24, 0u);
  const ComponentRegisters hb2 = make_host_bridge_component_registers(2, &port_hdm);
  EXPECT_TRUE(has(hb2, Id::kHdmDecoder));
  EXPECT_FALSE(has(hb2, Id::kRas));
  EXPECT_FALSE(has(hb2, Id::kLink));
  EXPECT_THROW(make_host_bridge_component_registers(2, nullptr), std::invalid_argument);
  EXPECT_TRUE(has(make_host_bridge_component_registers(1, &port_hdm), Id::kHdmDecoder));

  for (const ComponentRegisters& b :
       {make_root_port_component_registers(), make_switch_downstream_component_registers()}) {
    EXPECT_TRUE(has(b, Id::kRas));
    EXPECT_TRUE(has(b, Id::kLink));
    EXPECT_FALSE(has(b, Id::kHdmDecoder));
  }
  EXPECT_THROW(ComponentRegisters(ComponentKind::kRootPort, hdm_capability(&port_hdm)),
               std::invalid_argument);

  const ComponentRegisters usp = make_switch_upstream_component_registers(&port_hdm);
  EXPECT_TRUE(has(usp, Id::kRas) && has(usp, Id::kLink) && has(usp, Id::kHdmDecoder));
  const ComponentRegisters usp_pt = make_switch_upstream_component_registers(nullptr);
  EXPECT_FALSE(has(usp_pt, Id::kHdmDecoder));
  const ComponentRegisters ep = make_endpoint_component_registers(ep_hdm);
  EXPECT_TRUE(has(ep, Id::kRas) && has(ep, Id::kLink) && has(ep, Id::kHdmDecoder));
}

TEST(ComponentRegisters, RealHdmCapabilityIsVisibleThroughTheBlock) {
  HdmDecoderCapability hdm(HdmKind::kEndpoint, 2, 0, nullptr);
  ComponentRegisters b = make_endpoint_component_registers(hdm);
  const uint32_t at = *b.find_capability(CacheMemCapabilityId::kHdmDecoder);
  EXPECT_EQ(b.read32(at), hdm.read32(0));
  // Global Control HDM Decoder Enable written through the block lands in the capability.
  b.write32(at + HdmDecoderCapability::kGlobalControlReg, HdmDecoderCapability::kGlobalHdmEnable);
  EXPECT_TRUE(hdm.enabled());
}

TEST(ComponentRegisters, RasStatusIsWriteOneToClearAndMasksResetSet) {
  ComponentRegisters b = make_switch_downstream_component_registers();
  const uint32_t ras = *b.find_capability(CacheMemCapabilityId::kRas);
  EXPECT_EQ(b.read32(ras + 0x04), 0x0001CFFFu);  // UE mask
  EXPECT_EQ(b.read32(ras + 0x08), 0x0001CFFFu);  // UE severity
  EXPECT_EQ(b.read32(ras + 0x10), 0x7Fu);        // CE mask
  std::array<uint32_t, 16> log{};
  log[0] = 0xDEADBEEF;
  b.raise_uncorrectable(7, log);   // Mem_Data_ECC
  b.raise_uncorrectable(10, log);  // Poison_Received: not first
  EXPECT_EQ(b.read32(ras + 0x00), (1u << 7) | (1u << 10));
  EXPECT_EQ(b.read32(ras + 0x14) & 0x3F, 7u);
  EXPECT_EQ(b.read32(ras + 0x18), 0xDEADBEEFu);
  b.write32(ras + 0x00, 1u << 7);  // software clears the first error
  EXPECT_EQ(b.read32(ras + 0x00), 1u << 10);
  b.raise_uncorrectable(4);  // pointer moves: its error was cleared
  EXPECT_EQ(b.read32(ras + 0x14) & 0x3F, 4u);
  b.raise_correctable(6);
  EXPECT_EQ(b.read32(ras + 0x0C), 1u << 6);
  b.write32(ras + 0x0C, 0xFFFFFFFF);
  EXPECT_EQ(b.read32(ras + 0x0C), 0u);
  EXPECT_THROW(b.raise_uncorrectable(12), std::invalid_argument);
  EXPECT_THROW(b.raise_correctable(7), std::invalid_argument);
}

TEST(ComponentRegisters, LinkCapabilityReportsVersionAndAckDefaults) {
  ComponentRegisters b = make_root_port_component_registers();
  const uint32_t link = *b.find_capability(CacheMemCapabilityId::kLink);
  EXPECT_EQ(b.read64(link) & 0xFF, 0x22u);
  EXPECT_EQ((b.read64(link + 0x08) >> 3) & 0x3, 3u);
  EXPECT_EQ(b.read64(link + 0x28), (0x20ull << 8) | 0x10);
  b.write64(link + 0x10, ~0ull);
  EXPECT_EQ(b.read64(link + 0x10), (1ull << 60) - 1);  // six 10-bit credit fields
}

// Discovery as Linux's cxl_pci does it: Register Locator DVSEC -> component block BAR/offset ->
// CXL Capability Header -> HDM Decoder Capability.
TEST(ComponentRegisters, DiscoverableFromTheRegisterLocator) {
  ConfigSpace cs = make_type3_config_space(GiB(1));
  HdmDecoderCapability hdm(HdmKind::kEndpoint, 1, 0, nullptr);
  const ComponentRegisters block = make_endpoint_component_registers(hdm);
  cs.write32(0x10, 0xFE800000);  // firmware places BAR0
  cs.write32(0x14, 0);
  const auto blocks = read_register_locator(cs);
  auto it = std::find_if(blocks.begin(), blocks.end(), [](const RegisterBlockEntry& e) {
    return e.id == RegisterBlockId::kComponent;
  });
  ASSERT_NE(it, blocks.end());
  const uint64_t block_hpa = *cs.bar_address(it->bir) + it->offset;
  EXPECT_EQ(block_hpa, 0xFE800000u);
  auto hdm_at = block.find_capability(CacheMemCapabilityId::kHdmDecoder);
  ASSERT_TRUE(hdm_at);
  EXPECT_EQ(block.read32(*hdm_at) & 0xF, hdm.read32(0) & 0xF);  // Decoder Count field
}

TEST(ComponentRegisters, TablesHonourAccessTypes) {
  std::vector<ComponentRegisters> blocks;
  blocks.push_back(make_root_port_component_registers());
  blocks.push_back(make_host_bridge_component_registers(1, nullptr));
  for (ComponentRegisters& b : blocks) {
    testing::expect_register_file_conforms(b.cache_mem(),
                                           std::string(component_kind_name(b.kind())));
  }
}

TEST(ComponentRegisters, JsonIncludesRasLinkAndHdmDwords) {
  FakeHdm fake;
  fake.regs[0] = 0x1234;
  ComponentRegisters b(ComponentKind::kEndpoint, ExternalCapability::of(fake, 3));
  const nlohmann::json j = b.to_json();
  EXPECT_EQ(j["kind"], "endpoint");
  EXPECT_EQ(j["hdm"]["offset"], kCm + 0x200);
  EXPECT_EQ(j["hdm"]["dwords"][0]["value"], 0x1234);
  EXPECT_EQ(j["hdm"]["dwords"].size(), fake.regs.size());
  EXPECT_GE(j["cache_mem"]["structures"].size(), 5u);
}

}  // namespace
}  // namespace cxlsim
