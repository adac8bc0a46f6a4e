// Test support (header-only, included by *_test.cc only): generic checks that walk every table
// placed in a RegisterFile and verify that bus writes honour each field's access type.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "spec/register_table.h"

namespace cxlsim::testing {

// Value of every placed field, keyed by (absolute offset of its register, lsb).
inline std::map<std::pair<uint32_t, unsigned>, uint64_t> snapshot(const RegisterFile& rf) {
  std::map<std::pair<uint32_t, unsigned>, uint64_t> s;
  for (const PlacedStructure& ps : rf.structures()) {
    for (const FieldDesc& f : ps.fields) s[{ps.base + f.offset, f.lsb}] = rf.field(ps.base, f.name);
  }
  return s;
}

// Writes `pattern` (all ones or all zeros) to every dword of `rf` over the bus, then checks
// each field against what its access type allows, and that uncovered bits read zero.
inline void expect_access_semantics(RegisterFile& rf, bool ones, const std::string& what) {
  const auto before = snapshot(rf);
  const uint32_t pattern = ones ? 0xFFFFFFFFu : 0u;
  for (uint32_t off = 0; off + 4 <= rf.size_bytes(); off += 4) rf.write32(off, pattern);
  for (const PlacedStructure& ps : rf.structures()) {
    for (const FieldDesc& f : ps.fields) {
      const uint64_t old = before.at({ps.base + f.offset, f.lsb});
      const uint64_t now = rf.field(ps.base, f.name);
      uint64_t want = old;
      switch (f.access) {
        case Access::kRW:
          want = ones ? f.mask() : 0;
          break;
        case Access::kRW1C:
          want = ones ? 0 : old;
          break;
        case Access::kRW1S:
          want = ones ? f.mask() : old;
          break;
        case Access::kRsvdZ:
          want = 0;
          break;
        case Access::kRO:
        case Access::kHwInit:
        case Access::kRsvdP:
          want = old;
          break;
      }
      EXPECT_EQ(now, want) << what << ": " << ps.name << " / " << f.name << " ("
                           << access_name(f.access) << ") at 0x" << std::hex << ps.base + f.offset;
    }
  }
}

// Every placed table is well-formed against its own structure.
inline void expect_tables_valid(const RegisterFile& rf, const std::string& what) {
  for (const PlacedStructure& ps : rf.structures()) {
    uint32_t extent = 0;
    for (const FieldDesc& f : ps.fields) extent = std::max(extent, f.offset + f.width);
    auto problems = validate_table(ps.fields, extent);
    EXPECT_TRUE(problems.empty()) << what << ": " << ps.name << ": " << problems.front();
  }
}

inline void expect_register_file_conforms(RegisterFile& rf, const std::string& what) {
  expect_tables_valid(rf, what);
  expect_access_semantics(rf, true, what + " (all ones)");
  expect_access_semantics(rf, false, what + " (all zeros)");
}

}  // namespace cxlsim::testing
