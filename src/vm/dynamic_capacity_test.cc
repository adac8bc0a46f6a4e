#include "vm/dynamic_capacity.h"

#include <gtest/gtest.h>

#include "spec/error.h"

namespace cxlsim::vm {
namespace {

using nlohmann::json;

// One DCD: 256 MiB static (volatile), then DC regions of 512 MiB at 0x10000000, 0x30000000.
Topology dcd_topology() {
  Topology t;
  Type3Spec d;
  d.id = "dcd0";
  d.volatile_size = MiB(256);
  d.dc_regions = {MiB(512), MiB(512)};
  t.type3.push_back(d);
  Type3Spec plain;
  plain.id = "mem1";
  plain.persistent_size = MiB(256);
  t.type3.push_back(plain);
  return t;
}

TEST(DynamicCapacity, AddSendsRegionOffsetsOfTheDpas) {
  DcAddRequest r;
  r.device = "dcd0";
  r.extents = {{0x30000000, MiB(2).value()}, {0x30400000, MiB(4).value()}};
  r.tag = "0123456789abcdef0123456789abcdef";
  const json a = dc_add_arguments(dcd_topology(), r);
  EXPECT_EQ(a["path"], "/machine/peripheral/dcd0");
  EXPECT_EQ(a["region"], 1);
  EXPECT_EQ(a["selection-policy"], "prescriptive");
  EXPECT_EQ(a["host-id"], 0);
  EXPECT_EQ(a["tag"], "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(a["extents"], json::parse(R"([{"offset":0,"len":2097152},
                                          {"offset":4194304,"len":4194304}])"));
}

TEST(DynamicCapacity, FreePolicyNeedsRegionAndLength) {
  DcAddRequest r;
  r.device = "dcd0";
  r.policy = DcSelectionPolicy::kFree;
  EXPECT_THROW(dc_add_arguments(dcd_topology(), r), ValidationError);
  r.region = 0;
  r.length = MiB(64).value();
  const json a = dc_add_arguments(dcd_topology(), r);
  EXPECT_EQ(a["selection-policy"], "free");
  EXPECT_EQ(a["extents"], json::parse(R"([{"offset":0,"len":67108864}])"));
}

TEST(DynamicCapacity, RefusesExtentsOutsideOrAcrossRegionsOrOffBlocks) {
  const Topology t = dcd_topology();
  auto add = [&](std::vector<DcRange> e, std::optional<unsigned> region = {}) {
    DcAddRequest r;
    r.device = "dcd0";
    r.region = region;
    r.extents = std::move(e);
    return dc_add_arguments(t, r);
  };
  EXPECT_THROW(add({{0, MiB(2).value()}}), ValidationError);           // static capacity
  EXPECT_THROW(add({{0x50000000, MiB(2).value()}}), ValidationError);  // past the last region
  EXPECT_THROW(add({{0x2fe00000, MiB(4).value()}}), ValidationError);  // straddles 0 and 1
  EXPECT_THROW(add({{0x10000000, MiB(2).value()}, {0x30000000, MiB(2).value()}}),
               ValidationError);                                          // two regions
  EXPECT_THROW(add({{0x10100000, MiB(2).value()}}), ValidationError);     // not block aligned
  EXPECT_THROW(add({{0x10000000, MiB(2).value()}}, 1), ValidationError);  // not region 1
  EXPECT_THROW(add({{0x10000000, MiB(2).value()}}, 2), ValidationError);  // no region 2
  EXPECT_NO_THROW(add({{0x2fe00000, MiB(2).value()}}));  // the last block of region 0
  DcAddRequest other;
  other.device = "mem1";
  other.extents = {{0, MiB(2).value()}};
  EXPECT_THROW(dc_add_arguments(t, other), ValidationError);  // no DC regions
  other.device = "nope";
  EXPECT_THROW(dc_add_arguments(t, other), ValidationError);
}

TEST(DynamicCapacity, ReleaseIsPrescriptiveWithExtentsTagBasedWithout) {
  const Topology t = dcd_topology();
  DcReleaseRequest r;
  r.device = "dcd0";
  EXPECT_THROW(dc_release_arguments(t, r), ValidationError);  // nothing named
  r.extents = {{0x10200000, MiB(2).value()}};
  r.forced = true;
  json a = dc_release_arguments(t, r);
  EXPECT_EQ(a["removal-policy"], "prescriptive");
  EXPECT_EQ(a["forced-removal"], true);
  EXPECT_EQ(a["sanitize-on-release"], false);
  EXPECT_EQ(a["extents"], json::parse(R"([{"offset":2097152,"len":2097152}])"));
  DcReleaseRequest by_tag;
  by_tag.device = "dcd0";
  by_tag.tag = "01234567-89ab-cdef-0123-456789abcdef";
  EXPECT_THROW(dc_release_arguments(t, by_tag), ValidationError);  // which region?
  by_tag.region = 1;
  a = dc_release_arguments(t, by_tag);
  EXPECT_EQ(a["removal-policy"], "tag-based");
  EXPECT_EQ(a["region"], 1);
  EXPECT_EQ(a["extents"], json::array());
}

TEST(DynamicCapacity, TagsAreUuidsInEitherSpelling) {
  EXPECT_EQ(dc_tag_uuid("0123456789ABCDEF0123456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(dc_tag_uuid("01234567-89ab-cdef-0123-456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_THROW(dc_tag_uuid("0123"), ValidationError);
  EXPECT_THROW(dc_tag_uuid("0123456789abcdef0123456789abcdeg"), ValidationError);
}

}  // namespace
}  // namespace cxlsim::vm
