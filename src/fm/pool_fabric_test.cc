#include "fm/pool_fabric.h"

#include <gtest/gtest.h>

#include "fabric/topology_loader.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim::fm {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

// builtin:pool-2host: hosts h0, h1; mld0 with 4 LDs of 1 GiB, shared (or not, `shared`).
Pool pool_2host(bool shared) {
  Topology t = load_topology("builtin:pool-2host");
  t.mlds[0].shared = shared;
  return Pool(t);
}

TEST(PoolFabric, AnLdOfASharedMldBoundToTwoHostsIsOneSharedMemdev) {
  Pool p = pool_2host(true);
  ASSERT_EQ(p.bind("h0", 1, {"mld0", 3}), MboxReturn::kSuccess);
  ASSERT_EQ(p.bind("h0", 0, {"mld0", 0}), MboxReturn::kSuccess);
  ASSERT_EQ(p.bind("h1", 2, {"mld0", 3}), MboxReturn::kSuccess);
  const PoolFabric f = pool_fabric(p);
  EXPECT_FALSE(has_errors(validate(f.topology)));
  ASSERT_EQ(f.topology.type3.size(), 2u);  // each bound LD once
  const Type3Spec* ld3 = f.topology.find_type3("mld0_ld3");
  const Type3Spec* ld0 = f.topology.find_type3("mld0_ld0");
  ASSERT_NE(ld3, nullptr);
  ASSERT_NE(ld0, nullptr);
  EXPECT_TRUE(ld3->shared);
  EXPECT_FALSE(ld0->shared);  // bound to h0 alone
  EXPECT_EQ(ld3->volatile_size, Bytes(kGiB));
  EXPECT_EQ(f.topology.windows.at(0).size, Bytes(2 * kGiB));
  // Both LDs below downstream ports of the one switch every host reaches.
  EXPECT_NE(f.topology.find_downstream_port(ld3->parent), nullptr);
  EXPECT_EQ(f.topology.find_downstream_port(ld3->parent)->switch_id,
            f.topology.find_downstream_port(ld0->parent)->switch_id);
  // Each host's LDs in vPPB order.
  EXPECT_EQ(f.host_memdevs.at("h0"), (std::vector<std::string>{"mld0_ld0", "mld0_ld3"}));
  EXPECT_EQ(f.host_memdevs.at("h1"), (std::vector<std::string>{"mld0_ld3"}));
  EXPECT_EQ(f.topology.hosts.size(), 2u);
  EXPECT_TRUE(f.topology.mlds.empty());
  EXPECT_TRUE(f.topology.dcds.empty());
}

TEST(PoolFabric, LdsOfAnUnsharedMldAreNotShared) {
  Pool p = pool_2host(false);
  ASSERT_EQ(p.bind("h0", 0, {"mld0", 0}), MboxReturn::kSuccess);
  ASSERT_EQ(p.bind("h1", 0, {"mld0", 1}), MboxReturn::kSuccess);
  const PoolFabric f = pool_fabric(p);
  ASSERT_EQ(f.topology.type3.size(), 2u);
  for (const Type3Spec& d : f.topology.type3) EXPECT_FALSE(d.shared) << d.id;
}

TEST(PoolFabric, AnLdHasItsAllocatedCapacity) {
  Pool p = pool_2host(true);
  ASSERT_EQ(p.set_ld_allocations("mld0", 0, {512ull << 20, 1536ull << 20}), MboxReturn::kSuccess);
  ASSERT_EQ(p.bind("h1", 0, {"mld0", 1}), MboxReturn::kSuccess);
  const PoolFabric f = pool_fabric(p);
  EXPECT_EQ(f.topology.find_type3("mld0_ld1")->volatile_size, Bytes(1536ull << 20));
  EXPECT_FALSE(f.host_memdevs.contains("h0"));
}

TEST(PoolFabric, APoolWithNothingBoundIsRefused) {
  EXPECT_THROW((void)pool_fabric(pool_2host(true)), ValidationError);
}

}  // namespace
}  // namespace cxlsim::fm
