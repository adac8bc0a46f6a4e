#include "spec/dvsec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "spec/error.h"
#include "spec/register_table_testing.h"

namespace cxlsim {
namespace {

std::vector<uint16_t> sorted(std::vector<uint16_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

uint16_t dvsec_at(const ConfigSpace& cs, DvsecId id) {
  auto at = cs.find_dvsec(kCxlDvsecVendorId, static_cast<uint16_t>(id));
  EXPECT_TRUE(at.has_value()) << "DVSEC " << static_cast<int>(id);
  return at.value_or(0);
}

uint32_t dvsec_length(const ConfigSpace& cs, uint16_t at) {
  return cs.read32(static_cast<uint16_t>(at + 4)) >> 20;
}

// CXL 3.1 §8.1.1 Table 8-2: which DVSECs each kind carries.
TEST(Dvsec, EachComponentKindCarriesExactlyTheSpecifiedDvsecs) {
  using V = std::vector<uint16_t>;
  EXPECT_EQ(sorted(cxl_dvsec_ids(make_root_port_config_space())), (V{3, 4, 7, 8}));
  EXPECT_EQ(sorted(cxl_dvsec_ids(make_switch_upstream_config_space())), (V{3, 7, 8}));
  EXPECT_EQ(sorted(cxl_dvsec_ids(make_switch_downstream_config_space())), (V{3, 4, 7, 8}));
  EXPECT_EQ(sorted(cxl_dvsec_ids(make_type3_config_space(GiB(1)))), (V{0, 5, 7, 8}));
  EXPECT_EQ(sorted(cxl_dvsec_ids(make_type2_config_space(GiB(1)))), (V{0, 5, 7, 8}));
}

TEST(Dvsec, HeadersCarryVendorRevisionAndLength) {
  const ConfigSpace rp = make_root_port_config_space();
  const uint16_t ext = dvsec_at(rp, DvsecId::kPortExtensions);
  EXPECT_EQ(rp.read32(ext) & 0xFFFFF, 0x10023u);  // ext cap id 0x23, version 1
  EXPECT_EQ(rp.read32(static_cast<uint16_t>(ext + 4)), (0x28u << 20) | 0x1E98);
  EXPECT_EQ(dvsec_length(rp, dvsec_at(rp, DvsecId::kGpfPort)), 0x10u);
  EXPECT_EQ(dvsec_length(rp, dvsec_at(rp, DvsecId::kFlexBusPort)), 0x20u);
  EXPECT_EQ((rp.read32(static_cast<uint16_t>(dvsec_at(rp, DvsecId::kFlexBusPort) + 4)) >> 16) & 0xF,
            2u);
  EXPECT_EQ(dvsec_length(rp, dvsec_at(rp, DvsecId::kRegisterLocator)), 0x0Cu + 8);
  const ConfigSpace t3 = make_type3_config_space(GiB(1));
  EXPECT_EQ(dvsec_length(t3, dvsec_at(t3, DvsecId::kCxlDevice)), 0x3Cu);
  EXPECT_EQ(dvsec_length(t3, dvsec_at(t3, DvsecId::kGpfDevice)), 0x10u);
}

TEST(Dvsec, Type3RangesReportSizeValidActive) {
  DeviceConfigOptions o;
  o.persistent_capacity = MiB(512);
  const ConfigSpace cs = make_type3_config_space(GiB(5), o);
  const uint16_t at = dvsec_at(cs, DvsecId::kCxlDevice);
  // Capability: IO_Capable, Mem_Capable, Mem_HwInit_Mode, HDM_Count = 2.
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(at + 0x0A)), 0x2E);
  // Control: IO_Enable only; Mem_Enable stays 0 so software decodes through HDM decoders.
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(at + 0x0C)), 0x2);
  // Range 1: 5 GiB = high 1, low bits 31:28 = 4; Media_Type = Memory_Class = 010b; valid+active.
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x18)), 1u);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x1C)),
            0x40000000u | (2u << 5) | (2u << 2) | 0x3u);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x28)), 0u);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x2C)), 0x20000000u | 0x4Bu);
  EXPECT_EQ(cs.read8(0x0B), 0x05);
  EXPECT_EQ(cs.read8(0x0A), 0x02);
  EXPECT_EQ(cs.read8(0x09), 0x10);
}

TEST(Dvsec, RangeBaseIsWritableAndConfigLockIsSetOnce) {
  ConfigSpace cs = make_type3_config_space(GiB(1));
  const uint16_t at = dvsec_at(cs, DvsecId::kCxlDevice);
  cs.write32(static_cast<uint16_t>(at + 0x24), 0xFFFFFFFF);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x24)), 0xF0000000u);
  cs.write(static_cast<uint16_t>(at + 0x14), 2, 1);
  cs.write(static_cast<uint16_t>(at + 0x14), 2, 0);
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(at + 0x14)), 1);
  cs.write32(static_cast<uint16_t>(at + 0x1C), 0);  // size/info registers are read-only
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x1C)) & 0x3, 0x3u);
}

TEST(Dvsec, RegisterLocatorPointsAtComponentAndMemoryDeviceBlocks) {
  const ConfigSpace cs = make_type3_config_space(GiB(1));
  const uint16_t at = dvsec_at(cs, DvsecId::kRegisterLocator);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x0C)), 0x00000100u);  // BIR 0, id 1, offset 0
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x14)), 0x00000302u);  // BIR 2, id 3, offset 0
  const std::vector<RegisterBlockEntry> want{{0, RegisterBlockId::kComponent, 0},
                                             {2, RegisterBlockId::kMemoryDevice, 0}};
  EXPECT_EQ(read_register_locator(cs), want);
  EXPECT_TRUE(cs.bar_address(kDeviceRegisterBar).has_value());
}

TEST(Dvsec, ExtraRegisterBlocksAreAppended) {
  DeviceConfigOptions o;
  o.extra_blocks = {{2, RegisterBlockId::kCpmu, 0x10000}, {2, RegisterBlockId::kCpmu, 0x120000000}};
  o.memory_device_bar_size = GiB(8);
  const ConfigSpace cs = make_type3_config_space(GiB(1), o);
  auto blocks = read_register_locator(cs);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[2], (RegisterBlockEntry{2, RegisterBlockId::kCpmu, 0x10000}));
  EXPECT_EQ(blocks[3], (RegisterBlockEntry{2, RegisterBlockId::kCpmu, 0x120000000}));
  const uint16_t at = dvsec_at(cs, DvsecId::kRegisterLocator);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x24)), 0x20000402u);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x28)), 0x1u);
}

TEST(Dvsec, BadRegisterBlocksAreRejected) {
  DeviceConfigOptions o;
  o.extra_blocks = {{4, RegisterBlockId::kCpmu, 0}};  // BAR4 not implemented
  EXPECT_THROW(make_type3_config_space(GiB(1), o), std::invalid_argument);
  ConfigSpace cs(HeaderType::kType0, {});
  const std::array<RegisterBlockEntry, 1> misaligned{{{0, RegisterBlockId::kComponent, 0x1000}}};
  EXPECT_THROW(add_register_locator_dvsec(cs, misaligned), std::invalid_argument);
  const std::array<RegisterBlockEntry, 1> bad_bir{{{6, RegisterBlockId::kComponent, 0}}};
  EXPECT_THROW(add_register_locator_dvsec(cs, bad_bir), std::invalid_argument);
}

TEST(Dvsec, CapacityMustBe256MiBMultiple) {
  EXPECT_THROW(make_type3_config_space(MiB(100)), ValidationError);
  EXPECT_THROW(make_type3_config_space(Bytes(0)), ValidationError);
  DeviceConfigOptions pmem_only;
  pmem_only.persistent_capacity = GiB(2);
  const ConfigSpace cs = make_type3_config_space(Bytes(0), pmem_only);
  const uint16_t at = dvsec_at(cs, DvsecId::kCxlDevice);
  EXPECT_EQ((cs.read16(static_cast<uint16_t>(at + 0x0A)) >> 4) & 0x3, 1);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x1C)) >> 28, 0x8u);
}

TEST(Dvsec, Type2IsCacheCapableAcceleratorWithoutMemdevRegisters) {
  const ConfigSpace cs = make_type2_config_space(GiB(2));
  const uint16_t dev = dvsec_at(cs, DvsecId::kCxlDevice);
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(dev + 0x0A)) & 0x7, 0x7);  // Cache, IO, Mem
  const uint16_t fb = dvsec_at(cs, DvsecId::kFlexBusPort);
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(fb + 0x0A)) & 0x7, 0x7);
  EXPECT_EQ(cs.read16(static_cast<uint16_t>(fb + 0x0E)) & 0x7, 0x7);
  EXPECT_EQ(cs.read32(0x08) >> 8, 0x120000u);
  EXPECT_EQ(read_register_locator(cs).size(), 1u);
  EXPECT_FALSE(cs.bar_address(kDeviceRegisterBar).has_value());
}

TEST(Dvsec, PortsReportTypeAndPortNumber) {
  PortConfigOptions o;
  o.link.port_number = 2;
  const ConfigSpace rp = make_root_port_config_space(o);
  EXPECT_EQ(rp.port_number(), 2);
  EXPECT_EQ(rp.header_type(), HeaderType::kType1);
  EXPECT_EQ(rp.port_type(), PciePortType::kRootPort);
  EXPECT_EQ(make_type3_config_space(GiB(1)).port_type(), PciePortType::kEndpoint);
  auto pcie = rp.find_capability(ConfigSpace::kPcieCapabilityId);
  ASSERT_TRUE(pcie);
  EXPECT_EQ((rp.read16(static_cast<uint16_t>(*pcie + 2)) >> 4) & 0xF, 4);
  const ConfigSpace usp = make_switch_upstream_config_space();
  EXPECT_EQ((usp.read16(static_cast<uint16_t>(*usp.find_capability(0x10) + 2)) >> 4) & 0xF, 5);
  const ConfigSpace dsp = make_switch_downstream_config_space();
  EXPECT_EQ((dsp.read16(static_cast<uint16_t>(*dsp.find_capability(0x10) + 2)) >> 4) & 0xF, 6);
  EXPECT_EQ(read_register_locator(dsp),
            (std::vector<RegisterBlockEntry>{{0, RegisterBlockId::kComponent, 0}}));
  // Flex Bus port of a CXL port: IO + Mem, trained with 68B flit / VH.
  const uint16_t fb = dvsec_at(rp, DvsecId::kFlexBusPort);
  EXPECT_EQ(rp.read16(static_cast<uint16_t>(fb + 0x0E)), 0x26);
}

TEST(Dvsec, NonCxlFunctionMapStoresTheMap) {
  ConfigSpace cs(HeaderType::kType0, {});
  const std::array<uint32_t, 8> map{0x6, 0, 0, 0, 0, 0, 0, 0x80000000};
  const uint16_t at = add_non_cxl_function_map_dvsec(cs, map);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x0C)), 0x6u);
  EXPECT_EQ(cs.read32(static_cast<uint16_t>(at + 0x28)), 0x80000000u);
  EXPECT_EQ(cs.find_dvsec(kCxlDvsecVendorId, 2), at);
}

TEST(Dvsec, EveryBuilderHonoursAccessTypes) {
  DeviceConfigOptions pm;
  pm.persistent_capacity = GiB(1);
  ConfigSpace spaces[] = {make_root_port_config_space(), make_switch_upstream_config_space(),
                          make_switch_downstream_config_space(),
                          make_type3_config_space(GiB(1), pm), make_type2_config_space(GiB(1))};
  const char* names[] = {"root port", "usp", "dsp", "type3", "type2"};
  for (size_t i = 0; i < std::size(spaces); ++i) {
    testing::expect_register_file_conforms(spaces[i].registers(), names[i]);
    // Writes never break the list structure.
    EXPECT_FALSE(cxl_dvsec_ids(spaces[i]).empty()) << names[i];
  }
}

TEST(Dvsec, JsonDumpContainsTheDvsecs) {
  const nlohmann::json j = make_type3_config_space(GiB(1)).to_json();
  std::vector<std::string> names;
  for (const auto& s : j["structures"]) names.push_back(s["name"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "DVSEC: PCIe DVSEC for CXL Devices"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "Register Locator: Register Block 2"),
            names.end());
}

TEST(Dvsec, DescribeSummarisesIdentityDvsecsAndBlocks) {
  PortConfigOptions o;
  o.link.port_number = 9;
  const nlohmann::json j = describe(make_switch_downstream_config_space(o));
  EXPECT_EQ(j["header_type"], 1);
  EXPECT_EQ(j["class_code"], 0x060400);
  EXPECT_EQ(j["port_type"], "switch-downstream-port");
  EXPECT_EQ(j["port_number"], 9);
  ASSERT_EQ(j["dvsecs"].size(), 4u);
  EXPECT_EQ(j["dvsecs"][3]["name"], "Register Locator");
  EXPECT_EQ(j["register_blocks"][0]["id"], 1);
  EXPECT_EQ(j["bars"][0]["index"], 0);
}

}  // namespace
}  // namespace cxlsim
