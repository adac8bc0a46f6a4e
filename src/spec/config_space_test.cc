#include "spec/config_space.h"

#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "spec/register_table_testing.h"

namespace cxlsim {
namespace {

constexpr PciIdentity kEp{0x8086, 0x0D93, 0x050210, 0x01, 0x1AF4, 0x1100};
constexpr PciIdentity kBridge{0x8086, 0x7075, 0x060400, 0x00, 0, 0};

// The PCI BAR sizing protocol as system software runs it: save, write all ones, read, restore.
uint64_t size_bar(ConfigSpace& cs, unsigned index, bool is64) {
  const auto off = static_cast<uint16_t>(0x10 + 4 * index);
  const uint32_t lo0 = cs.read32(off);
  const uint32_t hi0 = is64 ? cs.read32(static_cast<uint16_t>(off + 4)) : 0;
  cs.write32(off, 0xFFFFFFFF);
  if (is64) cs.write32(static_cast<uint16_t>(off + 4), 0xFFFFFFFF);
  const uint64_t lo = cs.read32(off) & ~0xFull;
  const uint64_t hi = is64 ? cs.read32(static_cast<uint16_t>(off + 4)) : 0xFFFFFFFF;
  cs.write32(off, lo0);
  if (is64) cs.write32(static_cast<uint16_t>(off + 4), hi0);
  return ~((hi << 32) | lo) + 1;
}

TEST(ConfigSpace, Type0HeaderCarriesIdentity) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  EXPECT_EQ(cs.read32(0x00), 0x0D938086u);
  EXPECT_EQ(cs.read32(0x08), 0x05021001u);  // class code 05/02/10, revision 1
  EXPECT_EQ(cs.read8(0x0E), 0x00);
  EXPECT_EQ(cs.read32(0x2C), 0x11001AF4u);
  EXPECT_EQ(cs.read16(0x06) & 0x10, 0x10);  // Capabilities List hardwired on PCIe
  cs.write32(0x00, 0xFFFFFFFF);             // IDs are read-only to software
  EXPECT_EQ(cs.read32(0x00), 0x0D938086u);
}

TEST(ConfigSpace, CommandIsWritableAndStatusIsWriteOneToClear) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  cs.write(0x04, 2, 0xFFFF);
  EXPECT_EQ(cs.read16(0x04), 0x0547);  // IO, Mem, BusMaster, ParityErr, SERR, IntDisable
  cs.registers().set_field(0, "Received Master Abort", 1);
  EXPECT_EQ(cs.read16(0x06) & 0x2000, 0x2000);
  cs.write(0x06, 2, 0x2000);
  EXPECT_EQ(cs.read16(0x06) & 0x2000, 0);
}

TEST(ConfigSpace, Type1HeaderHasWritableBusNumbers) {
  ConfigSpace cs(HeaderType::kType1, kBridge);
  EXPECT_EQ(cs.read8(0x0E), 0x01);
  cs.write32(0x18, 0x00050400 | 0x02);  // primary 2, secondary 4, subordinate 5
  EXPECT_EQ(cs.read8(0x18), 2);
  EXPECT_EQ(cs.read8(0x19), 4);
  EXPECT_EQ(cs.read8(0x1A), 5);
  EXPECT_EQ(cs.read8(0x1B), 0);         // secondary latency timer RO 0 on PCIe
  EXPECT_EQ(cs.read16(0x24) & 0xF, 1);  // 64-bit prefetchable window
}

TEST(ConfigSpace, SixtyFourBitBarSizesByWritingAllOnes) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  cs.add_bar({0, KiB(64), true, false});
  cs.add_bar({2, GiB(8), true, true});
  EXPECT_EQ(size_bar(cs, 0, true), KiB(64).value());
  EXPECT_EQ(size_bar(cs, 2, true), GiB(8).value());
  EXPECT_EQ(cs.read32(0x10) & 0xF, 0x4u);  // memory, 64-bit, not prefetchable
  EXPECT_EQ(cs.read32(0x18) & 0xF, 0xCu);  // memory, 64-bit, prefetchable
  cs.write32(0x10, 0xFE812345);
  cs.write32(0x14, 0x00000012);
  EXPECT_EQ(*cs.bar_address(0), 0x12FE810000ull);
  EXPECT_FALSE(cs.bar_address(4).has_value());
}

TEST(ConfigSpace, ThirtyTwoBitBarSizes) {
  ConfigSpace cs(HeaderType::kType1, kBridge);
  cs.add_bar({1, KiB(4), false, false});
  EXPECT_EQ(size_bar(cs, 1, false) & 0xFFFFFFFF, KiB(4).value());
  cs.write32(0x14, 0xC0001234);
  EXPECT_EQ(*cs.bar_address(1), 0xC0001000ull);
}

TEST(ConfigSpace, BadBarsAreRejected) {
  ConfigSpace ep(HeaderType::kType0, kEp);
  EXPECT_THROW(ep.add_bar({0, Bytes(96), true, false}), std::invalid_argument);
  EXPECT_THROW(ep.add_bar({0, Bytes(8), false, false}), std::invalid_argument);
  EXPECT_THROW(ep.add_bar({5, KiB(4), true, false}), std::invalid_argument);
  ep.add_bar({0, KiB(4), true, false});
  EXPECT_THROW(ep.add_bar({1, KiB(4), false, false}), std::invalid_argument);
  ConfigSpace br(HeaderType::kType1, kBridge);
  EXPECT_THROW(br.add_bar({2, KiB(4), false, false}), std::invalid_argument);
}

constexpr auto kVendorBody = std::to_array<FieldDesc>({
    {"Scratch", 0x4, 4, 0, 31, Access::kRW, 0, "test"},
});

TEST(ConfigSpace, CapabilityListIsWalkableFromTheCapabilitiesPointer) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  const uint16_t pcie = cs.add_pcie_capability(PciePortType::kEndpoint, {7, 5, 16});
  const uint16_t vnd = cs.add_capability("Vendor Specific", 0x09, kVendorBody, 0x8);
  EXPECT_EQ(cs.read8(0x34), pcie);
  EXPECT_EQ(cs.read8(pcie), 0x10);
  EXPECT_EQ(cs.read8(static_cast<uint16_t>(pcie + 1)), vnd);
  EXPECT_EQ(cs.read8(vnd), 0x09);
  EXPECT_EQ(cs.read8(static_cast<uint16_t>(vnd + 1)), 0);
  EXPECT_EQ(cs.find_capability(0x09), vnd);
  EXPECT_FALSE(cs.find_capability(0x05).has_value());
}

TEST(ConfigSpace, PcieCapabilityReportsPortTypeAndPortNumber) {
  ConfigSpace cs(HeaderType::kType1, kBridge);
  const uint16_t at = cs.add_pcie_capability(PciePortType::kRootPort, {3, 5, 16});
  EXPECT_EQ((cs.read16(static_cast<uint16_t>(at + 2)) >> 4) & 0xF, 0x4);
  const uint32_t linkcap = cs.read32(static_cast<uint16_t>(at + 0x0C));
  EXPECT_EQ(linkcap >> 24, 3u);
  EXPECT_EQ(linkcap & 0xF, 5u);
  EXPECT_EQ((linkcap >> 4) & 0x3F, 16u);
  EXPECT_EQ(cs.port_number(), 3);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x2C)), 0x3Eu);  // 2.5..32 GT/s
  cs.write32(static_cast<uint16_t>(at + 0x0C), 0);                // Link Capabilities is read-only
  EXPECT_EQ(cs.port_number(), 3);
}

TEST(ConfigSpace, ExtendedCapabilitiesChainFrom0x100) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  EXPECT_EQ(cs.read32(0x100), 0u);  // no extended capabilities: header reads zero
  const uint16_t a = cs.add_extended_capability("A", 0x0001, 2, kVendorBody, 0x48);
  const uint16_t b = cs.add_extended_capability("B", 0x000B, 1, kVendorBody, 0x0A);
  const uint16_t c = cs.add_extended_capability("C", 0x0023, 1, kVendorBody, 0x10);
  EXPECT_EQ(a, 0x100);
  EXPECT_EQ(cs.read32(a), (uint32_t{b} << 20) | (2u << 16) | 0x0001);
  EXPECT_EQ(b % 4, 0);
  EXPECT_EQ(cs.read32(b) >> 20, c);
  EXPECT_EQ(cs.read32(c) >> 20, 0u);
  EXPECT_EQ(cs.find_extended_capability(0x000B), b);
  EXPECT_FALSE(cs.find_extended_capability(0x0010).has_value());
  cs.write32(a, 0);  // headers are read-only
  EXPECT_EQ(cs.find_extended_capability(0x0023), c);
}

TEST(ConfigSpace, FindDvsecMatchesVendorAndId) {
  constexpr auto kDvsecBody = std::to_array<FieldDesc>({
      {"DVSEC Vendor ID", 0x4, 4, 0, 15, Access::kRO, 0, "test"},
      {"DVSEC ID", 0x8, 2, 0, 15, Access::kRO, 0, "test"},
  });
  ConfigSpace cs(HeaderType::kType0, kEp);
  const uint16_t x = cs.add_extended_capability("X", 0x0023, 1, kDvsecBody, 0xC);
  cs.registers().init_field(x, "DVSEC Vendor ID", 0x1E98);
  cs.registers().init_field(x, "DVSEC ID", 3);
  const uint16_t y = cs.add_extended_capability("Y", 0x0023, 1, kDvsecBody, 0xC);
  cs.registers().init_field(y, "DVSEC Vendor ID", 0x1E98);
  cs.registers().init_field(y, "DVSEC ID", 8);
  EXPECT_EQ(cs.find_dvsec(0x1E98, 8), y);
  EXPECT_EQ(cs.find_dvsec(0x1E98, 3), x);
  EXPECT_FALSE(cs.find_dvsec(0x8086, 8).has_value());
}

TEST(ConfigSpace, CapabilityAreaOverflowIsAnError) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  EXPECT_THROW(cs.add_capability("Big", 0x09, kVendorBody, 0xC4), std::length_error);
  EXPECT_THROW(cs.add_extended_capability("Huge", 0x1, 1, kVendorBody, 0xF04), std::length_error);
}

TEST(ConfigSpace, EveryFieldHonoursItsAccessType) {
  ConfigSpace ep(HeaderType::kType0, kEp);
  ep.add_bar({0, KiB(64), true, false});
  ep.add_pcie_capability(PciePortType::kEndpoint, {0, 5, 16});
  testing::expect_register_file_conforms(ep.registers(), "type 0");
  ConfigSpace rp(HeaderType::kType1, kBridge);
  rp.add_bar({0, KiB(64), true, false});
  rp.add_pcie_capability(PciePortType::kRootPort, {1, 5, 16});
  testing::expect_register_file_conforms(rp.registers(), "type 1");
}

TEST(ConfigSpace, JsonDumpNamesStructures) {
  ConfigSpace cs(HeaderType::kType0, kEp);
  cs.add_pcie_capability(PciePortType::kEndpoint, {0, 5, 16});
  const nlohmann::json j = cs.to_json();
  EXPECT_EQ(j["size"], 4096);
  bool found = false;
  for (const auto& s : j["structures"]) {
    if (s["name"] == "PCI Express Capability") found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace cxlsim
