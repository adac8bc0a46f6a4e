#include "fm/pool.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "fabric/topology_loader.h"
#include "fabric/topology_validate.h"

namespace cxlsim::fm {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

// builtin:pool-2host: hosts h0, h1 (4 vPPBs each); mld0 (4 LDs of 1 GiB, shared); dcd0 (regions
// 1 GiB and 1 GiB, 2 MiB blocks, not shared).
Topology pool_2host() {
  Topology t = load_topology("builtin:pool-2host");
  EXPECT_FALSE(has_errors(validate(t)));
  return t;
}

Topology with_shared_dcd() {
  Topology t = pool_2host();
  t.dcds[0].shared = true;
  return t;
}

const DcTag kTagA{1};
const DcTag kTagB{2};

TEST(Pool, NumbersHostsAndPortsInTopologyOrder) {
  const Pool p(pool_2host());
  EXPECT_EQ(p.vcs_id("h1"), 1u);
  EXPECT_EQ(p.host_at(0)->id, "h0");
  EXPECT_EQ(p.host_at(2), nullptr);
  EXPECT_EQ(p.port_id("mld0"), 0u);
  EXPECT_EQ(p.port_id("dcd0"), 1u);
  EXPECT_EQ(p.device_at(2), "");
}

TEST(Pool, BindAndUnbind) {
  Pool p(pool_2host());
  EXPECT_EQ(p.bind("h0", 0, {"mld0", 0}), MboxReturn::kSuccess);
  EXPECT_EQ(p.hosts_of({"mld0", 0}), std::vector<std::string>{"h0"});
  EXPECT_EQ(p.bound("h0", 0), (LdRef{"mld0", 0}));
  EXPECT_EQ(p.unbind("h0", 0), MboxReturn::kSuccess);
  EXPECT_TRUE(p.bindings().empty());
}

TEST(Pool, RefusedBindsAndUnbindsLeaveTheStateUntouched) {
  Topology t = pool_2host();
  t.mlds[0].shared = false;
  Pool p(t);
  ASSERT_EQ(p.bind("h0", 0, {"mld0", 0}), MboxReturn::kSuccess);
  const Pool before = p;
  EXPECT_EQ(p.bind("h1", 0, {"mld0", 0}), MboxReturn::kBusy);  // unshared LD, other host
  EXPECT_EQ(p.bind("h0", 1, {"mld0", 0}), MboxReturn::kBusy);  // same LD twice in one VCS
  EXPECT_EQ(p.bind("h0", 0, {"mld0", 1}), MboxReturn::kBusy);  // vPPB taken
  EXPECT_EQ(p.bind("h2", 0, {"mld0", 1}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.bind("h0", 4, {"mld0", 1}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.bind("h0", 1, {"mld0", 4}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.bind("h0", 1, {"dcd0", 0}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.unbind("h1", 0), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.unbind("h0", 9), MboxReturn::kInvalidInput);
  EXPECT_EQ(p, before);
}

TEST(Pool, SharedLdBindsToTwoHosts) {
  Pool p(pool_2host());
  EXPECT_EQ(p.bind("h0", 0, {"mld0", 3}), MboxReturn::kSuccess);
  EXPECT_EQ(p.bind("h1", 2, {"mld0", 3}), MboxReturn::kSuccess);
  EXPECT_EQ(p.hosts_of({"mld0", 3}).size(), 2u);
  EXPECT_EQ(p.check_invariants(), "");
}

TEST(Pool, LdAllocationsChangeOnlyUnboundLdsWithinCapacity) {
  Pool p(pool_2host());
  ASSERT_EQ(p.bind("h0", 0, {"mld0", 0}), MboxReturn::kSuccess);
  const Pool before = p;
  EXPECT_EQ(p.set_ld_allocations("mld0", 0, {512 * kMiB}), MboxReturn::kBusy);
  EXPECT_EQ(p.set_ld_allocations("mld0", 1, {2 * kGiB}), MboxReturn::kInvalidInput);  // > 4 GiB
  EXPECT_EQ(p.set_ld_allocations("mld0", 1, {100 * kMiB}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.set_ld_allocations("mld0", 3, {kGiB, kGiB}), MboxReturn::kInvalidInput);
  EXPECT_EQ(p, before);
  EXPECT_EQ(p.set_ld_allocations("mld0", 1, {2 * kGiB, 0, kGiB}), MboxReturn::kSuccess);
  EXPECT_EQ(p.ld_allocations("mld0"), (std::vector<uint64_t>{kGiB, 2 * kGiB, 0, kGiB}));
  EXPECT_EQ(p.bind("h0", 1, {"mld0", 2}), MboxReturn::kInvalidInput);  // LD without capacity
}

TEST(Pool, FreeAddTakesTheLowestUnassignedBlocks) {
  Pool p(pool_2host());
  std::vector<PoolExtent> a;
  std::vector<PoolExtent> b;
  ASSERT_EQ(p.dc_add("dcd0", "h0", 0, 512 * kMiB, kTagA, AddPolicy::kFree, &a),
            MboxReturn::kSuccess);
  ASSERT_EQ(p.dc_add("dcd0", "h1", 0, 512 * kMiB, kTagB, AddPolicy::kFree, &b),
            MboxReturn::kSuccess);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].dpa, 512 * kMiB);
  EXPECT_EQ(p.dc_add("dcd0", "h1", 0, 2 * kMiB, kTagB, AddPolicy::kFree, nullptr),
            MboxReturn::kResourcesExhausted);
  // Region 1 starts after region 0 in the DPA space.
  ASSERT_EQ(p.dc_add("dcd0", "h1", 1, 2 * kMiB, kTagB, AddPolicy::kFree, &b), MboxReturn::kSuccess);
  EXPECT_EQ(b[0].dpa, kGiB);
  EXPECT_EQ(p.check_invariants(), "");
}

TEST(Pool, FreeAddFillsHolesButContiguousNeedsOnePiece) {
  Pool p(pool_2host());
  ASSERT_EQ(p.dc_add_ranges("dcd0", "h0", {{2 * kMiB, 2 * kMiB}, {6 * kMiB, 1018 * kMiB}}, kTagA),
            MboxReturn::kSuccess);
  // Free: 0-2 MiB and 4-6 MiB remain.
  EXPECT_EQ(p.dc_add("dcd0", "h1", 0, 4 * kMiB, kTagB, AddPolicy::kContiguous, nullptr),
            MboxReturn::kResourcesExhausted);
  std::vector<PoolExtent> got;
  ASSERT_EQ(p.dc_add("dcd0", "h1", 0, 4 * kMiB, kTagB, AddPolicy::kFree, &got),
            MboxReturn::kSuccess);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].dpa, 0u);
  EXPECT_EQ(got[1].dpa, 4 * kMiB);
}

TEST(Pool, RefusedDcChangesLeaveTheStateUntouched) {
  Pool p(pool_2host());
  ASSERT_EQ(p.dc_add_ranges("dcd0", "h0", {{0, 4 * kMiB}}, kTagA), MboxReturn::kSuccess);
  const Pool before = p;
  EXPECT_EQ(p.dc_add("dcd0", "h0", 0, 3 * kMiB, kTagA, AddPolicy::kFree, nullptr),
            MboxReturn::kInvalidInput);  // not a block multiple
  EXPECT_EQ(p.dc_add("dcd0", "h0", 2, 2 * kMiB, kTagA, AddPolicy::kFree, nullptr),
            MboxReturn::kInvalidInput);  // no region 2
  EXPECT_EQ(p.dc_add("dcd0", "h9", 0, 2 * kMiB, kTagA, AddPolicy::kFree, nullptr),
            MboxReturn::kInvalidInput);
  EXPECT_EQ(p.dc_add("dcd0", "h0", 0, 4 * kGiB, kTagA, AddPolicy::kFree, nullptr),
            MboxReturn::kResourcesExhausted);
  // Prescriptive: overlapping, crossing regions, unaligned, held by another host, empty.
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h0", {{2 * kMiB, 4 * kMiB}}, kTagA),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h0", {{kGiB - 2 * kMiB, 4 * kMiB}}, kTagA),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h0", {{kMiB, 2 * kMiB}}, kTagA),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h1", {{0, 2 * kMiB}}, kTagA), MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h1", {{8 * kMiB, 4 * kMiB}, {10 * kMiB, 2 * kMiB}}, kTagA),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h1", {}, kTagA), MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_share("dcd0", "h1", 0, kTagA), MboxReturn::kInvalidInput);  // not shared
  // Release: not held, by another host, unknown tag, too long.
  EXPECT_EQ(p.dc_release_ranges("dcd0", "h0", {{4 * kMiB, 2 * kMiB}}),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_release_ranges("dcd0", "h1", {{0, 2 * kMiB}}), MboxReturn::kInvalidExtentList);
  // Found by fuzz_fm: a release of part of a block, and one whose end wraps around.
  EXPECT_EQ(p.dc_release_ranges("dcd0", "h0", {{2 * kMiB - 1, 2}}), MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_release_ranges("dcd0", "h0", {{0, ~0ull - 0xffff}}),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_release_ranges("dcd0", "h0", {{2 * kMiB, ~0ull - 2 * kMiB + 1}}),
            MboxReturn::kInvalidExtentList);
  EXPECT_EQ(p.dc_release_tag("dcd0", "h0", kTagB, 0), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.dc_release_tag("dcd0", "h0", kTagA, 8 * kMiB), MboxReturn::kResourcesExhausted);
  EXPECT_EQ(p, before);
}

TEST(Pool, ReleaseSplitsAnExtentAroundTheRange) {
  Pool p(pool_2host());
  ASSERT_EQ(p.dc_add_ranges("dcd0", "h0", {{0, 8 * kMiB}}, kTagA), MboxReturn::kSuccess);
  ASSERT_EQ(p.dc_release_ranges("dcd0", "h0", {{2 * kMiB, 2 * kMiB}}), MboxReturn::kSuccess);
  const auto e = p.extents("dcd0", "h0");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ((DpaRange{e[0].dpa, e[0].length}), (DpaRange{0, 2 * kMiB}));
  EXPECT_EQ((DpaRange{e[1].dpa, e[1].length}), (DpaRange{4 * kMiB, 4 * kMiB}));
  EXPECT_EQ(e[1].tag, kTagA);
  ASSERT_EQ(p.dc_release_tag("dcd0", "h0", kTagA, 0), MboxReturn::kSuccess);
  EXPECT_TRUE(p.all_extents().empty());
}

TEST(Pool, SharedCapacityIsReachedOnlyByItsTag) {
  Pool p(with_shared_dcd());
  ASSERT_EQ(p.dc_add("dcd0", "h0", 1, 4 * kMiB, kTagA, AddPolicy::kFree, nullptr),
            MboxReturn::kSuccess);
  EXPECT_EQ(p.dc_share("dcd0", "h1", 1, kTagB), MboxReturn::kInvalidInput);
  EXPECT_EQ(p.dc_share("dcd0", "h1", 0, kTagA), MboxReturn::kInvalidInput);  // other region
  ASSERT_EQ(p.dc_share("dcd0", "h1", 1, kTagA), MboxReturn::kSuccess);
  EXPECT_EQ(p.dc_share("dcd0", "h1", 1, kTagA), MboxReturn::kInvalidInput);  // already
  EXPECT_EQ(p.extents("dcd0", "h1").size(), 1u);
  EXPECT_EQ(p.dc_add_ranges("dcd0", "h1", {{kGiB, 2 * kMiB}}, kTagB),
            MboxReturn::kInvalidExtentList);  // held by itself now
  // Free capacity never comes from what another host holds, shared or not.
  std::vector<PoolExtent> got;
  ASSERT_EQ(p.dc_add("dcd0", "h1", 1, 2 * kMiB, kTagB, AddPolicy::kFree, &got),
            MboxReturn::kSuccess);
  EXPECT_EQ(got[0].dpa, kGiB + 4 * kMiB);
  // One host releasing leaves the other's access.
  ASSERT_EQ(p.dc_release_tag("dcd0", "h0", kTagA, 0), MboxReturn::kSuccess);
  EXPECT_EQ(p.extents("dcd0", "h1").size(), 2u);
  EXPECT_EQ(p.check_invariants(), "");
}

// Any sequence of operations: a refused one changes nothing, and the invariants always hold.
RC_GTEST_PROP(PoolProperty, RefusalsChangeNothingAndInvariantsHold, ()) {
  Pool p(*rc::gen::element(pool_2host(), with_shared_dcd()));
  const std::vector<std::string> hosts = {"h0", "h1", "h2"};
  const auto steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; ++i) {
    const Pool before = p;
    const std::string host = *rc::gen::elementOf(hosts);
    const DcTag tag{static_cast<uint8_t>(*rc::gen::inRange(0, 3))};
    const uint64_t blocks = *rc::gen::inRange<uint64_t>(0, 600);
    const auto op = *rc::gen::inRange(0, 7);
    MboxReturn rc = MboxReturn::kSuccess;
    switch (op) {
      case 0:
        rc = p.bind(host, *rc::gen::inRange(0u, 5u), {"mld0", *rc::gen::inRange(0u, 5u)});
        break;
      case 1:
        rc = p.unbind(host, *rc::gen::inRange(0u, 5u));
        break;
      case 2:
        rc = p.dc_add("dcd0", host, *rc::gen::inRange(0u, 3u), blocks * 2 * kMiB, tag,
                      *rc::gen::element(AddPolicy::kFree, AddPolicy::kContiguous), nullptr);
        break;
      case 3:
        rc = p.dc_add_ranges("dcd0", host,
                             {{*rc::gen::inRange<uint64_t>(0, 1100) * 2 * kMiB, blocks * 2 * kMiB}},
                             tag);
        break;
      case 4:
        rc = p.dc_release_ranges(
            "dcd0", host, {{*rc::gen::inRange<uint64_t>(0, 1100) * 2 * kMiB, blocks * 2 * kMiB}});
        break;
      case 5:
        rc = p.dc_release_tag("dcd0", host, tag, 0);
        break;
      default:
        rc = p.dc_share("dcd0", host, *rc::gen::inRange(0u, 2u), tag);
        break;
    }
    if (rc != MboxReturn::kSuccess) RC_ASSERT(p == before);
    RC_ASSERT(p.check_invariants() == "");
  }
}

}  // namespace
}  // namespace cxlsim::fm
