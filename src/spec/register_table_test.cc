#include "spec/register_table.h"

#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "spec/register_table_testing.h"

namespace cxlsim {
namespace {

// One register of each access kind, packed in a single dword and a 64-bit register.
constexpr auto kDemo = std::to_array<FieldDesc>({
    {"Ro", 0x0, 4, 0, 3, Access::kRO, 0x5, "test"},
    {"Rw", 0x0, 4, 4, 7, Access::kRW, 0x3, "test"},
    {"Rw1c", 0x0, 4, 8, 11, Access::kRW1C, 0xF, "test"},
    {"Rw1s", 0x0, 4, 12, 15, Access::kRW1S, 0x1, "test"},
    {"HwInit", 0x0, 4, 16, 19, Access::kHwInit, 0xA, "test"},
    {"RsvdP", 0x0, 4, 20, 23, Access::kRsvdP, 0x6, "test"},
    {"RsvdZ", 0x0, 4, 24, 31, Access::kRsvdZ, 0, "test"},
    {"Wide", 0x8, 8, 4, 59, Access::kRW, 0, "test"},
});

TEST(RegisterTable, DemoTableIsValid) { EXPECT_TRUE(validate_table(kDemo, 0x10).empty()); }

TEST(RegisterTable, ValidateFindsOverlapsAndBadRanges) {
  constexpr auto kOverlap = std::to_array<FieldDesc>({
      {"A", 0x0, 4, 0, 7, Access::kRW, 0, ""},
      {"B", 0x0, 2, 7, 9, Access::kRW, 0, ""},
  });
  auto p = validate_table(kOverlap, 4);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find('B'), std::string::npos);
  constexpr auto kBad = std::to_array<FieldDesc>({
      {"TooHigh", 0x0, 2, 0, 16, Access::kRW, 0, ""},
      {"Misaligned", 0x2, 4, 0, 3, Access::kRW, 0, ""},
      {"ResetTooWide", 0x8, 1, 0, 1, Access::kRW, 4, ""},
      {"Outside", 0x10, 4, 0, 1, Access::kRW, 0, ""},
  });
  EXPECT_EQ(validate_table(kBad, 0x10).size(), 4u);
}

TEST(RegisterTable, ResetValuesLoadOnPlacement) {
  RegisterFile rf(0x20);
  rf.add_structure("demo", 0x10, kDemo, 0x10);
  EXPECT_EQ(rf.read32(0x10), 0x006A1F35u);
  EXPECT_EQ(rf.field(0x10, "HwInit"), 0xAu);
}

TEST(RegisterTable, WritesHonourEachAccessType) {
  RegisterFile rf(0x10);
  rf.add_structure("demo", 0, kDemo, 0x10);
  rf.write32(0, 0xFFFFFFFF);
  EXPECT_EQ(rf.field(0, "Ro"), 0x5u);
  EXPECT_EQ(rf.field(0, "Rw"), 0xFu);
  EXPECT_EQ(rf.field(0, "Rw1c"), 0x0u);
  EXPECT_EQ(rf.field(0, "Rw1s"), 0xFu);
  EXPECT_EQ(rf.field(0, "HwInit"), 0xAu);
  EXPECT_EQ(rf.field(0, "RsvdP"), 0x6u);
  EXPECT_EQ(rf.field(0, "RsvdZ"), 0x0u);
  rf.set_field(0, "Rw1c", 0b1011);  // hardware raises status bits
  rf.write(0, 2, 0x0200);           // clear bit 1 of Rw1c only (16-bit write)
  EXPECT_EQ(rf.field(0, "Rw1c"), 0b1001u);
  EXPECT_EQ(rf.field(0, "Rw"), 0x0u);
  EXPECT_EQ(rf.field(0, "Rw1s"), 0xFu);  // writing 0 does not clear a set-once bit
}

TEST(RegisterTable, SubDwordAndSixtyFourBitAccesses) {
  RegisterFile rf(0x10);
  rf.add_structure("demo", 0, kDemo, 0x10);
  rf.write(0xC, 4, 0xFFFFFFFF);  // upper half of the 64-bit register only
  EXPECT_EQ(rf.field(0, "Wide"), 0x0FFFFFFF0000000ull);
  rf.write(0x8, 8, ~0ull);
  EXPECT_EQ(rf.read(0x8, 8), 0x0FFFFFFFFFFFFFF0ull);
  EXPECT_THROW((void)rf.read(0xE, 4), std::out_of_range);
}

TEST(RegisterTable, HardwareSetFieldAndResetRestore) {
  RegisterFile rf(0x10);
  rf.add_structure("demo", 0, kDemo, 0x10);
  rf.set_field(0, "HwInit", 0x3);
  EXPECT_EQ(rf.field(0, "HwInit"), 0x3u);
  EXPECT_THROW(rf.set_field(0, "HwInit", 0x10), std::invalid_argument);
  EXPECT_THROW(rf.set_field(0, "RsvdZ", 1), std::invalid_argument);
  EXPECT_THROW(rf.set_field(0, "NoSuchField", 1), std::invalid_argument);
  rf.reset();
  EXPECT_EQ(rf.field(0, "HwInit"), 0xAu);
}

TEST(RegisterTable, OverlappingPlacementIsRejected) {
  RegisterFile rf(0x20);
  rf.add_structure("a", 0, kDemo, 0x10);
  EXPECT_THROW(rf.add_structure("b", 0x8, kDemo, 0x10), std::invalid_argument);
  EXPECT_THROW(rf.add_structure("c", 0x18, kDemo, 0x10), std::invalid_argument);  // past end
  EXPECT_NO_THROW(rf.add_structure("d", 0x10, kDemo, 0x10));
}

TEST(RegisterTable, GenericWalkAcceptsTheDemo) {
  RegisterFile rf(0x10);
  rf.add_structure("demo", 0, kDemo, 0x10);
  testing::expect_register_file_conforms(rf, "demo");
}

TEST(RegisterTable, JsonDumpListsEveryFieldWithItsValue) {
  RegisterFile rf(0x20);
  rf.add_structure("demo", 0x10, kDemo, 0x10);
  const nlohmann::json j = rf.to_json();
  ASSERT_EQ(j["structures"].size(), 1u);
  const auto& fields = j["structures"][0]["fields"];
  ASSERT_EQ(fields.size(), kDemo.size());
  EXPECT_EQ(fields[4]["field"], "HwInit");
  EXPECT_EQ(fields[4]["offset"], 0x10);
  EXPECT_EQ(fields[4]["bits"], "19:16");
  EXPECT_EQ(fields[4]["access"], "HwInit");
  EXPECT_EQ(fields[4]["value"], 0xA);
}

}  // namespace
}  // namespace cxlsim
