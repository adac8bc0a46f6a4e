// The exhaustive search over small systems: the protocol passes it, and each planted bug (one
// snoop, invalidation or ordering rule removed) makes it report a violation with its trace.
#include "coherence/explorer.h"

#include <gtest/gtest.h>

#include <string>

namespace cxlsim::coherence {
namespace {

Workload cache_system(uint8_t agents, uint16_t lines, uint8_t ops) {
  Workload w;
  w.protocol.flavour = Flavour::kCache;
  w.protocol.agents = agents;
  w.protocol.lines = lines;
  w.ops_per_agent = ops;
  return w;
}

Workload bi_system(uint8_t hosts, uint16_t lines, uint8_t ops, uint16_t sf_capacity = 0) {
  Workload w = cache_system(hosts, lines, ops);
  w.protocol.flavour = Flavour::kBackInvalidate;
  w.protocol.sf_capacity = sf_capacity;
  return w;
}

Workload type2_system(uint8_t flips) {
  Workload w = cache_system(2, 2, 2);  // agent 0: a host cache, agent 1: the device
  w.protocol.device_agent = 1;
  w.protocol.lines_per_page = 2;
  w.flips = flips;
  return w;
}

std::string trace_of(const ExploreResult& r) {
  std::string t;
  if (!r.violation) return t;
  t = r.violation->what + "\n";
  for (const std::string& s : r.violation->trace) t += "  " + s + "\n";
  return t;
}

void expect_correct(const Workload& w) {
  const ExploreResult r = explore(w);
  EXPECT_FALSE(r.violation) << trace_of(r);
  EXPECT_TRUE(r.complete);
  EXPECT_GT(r.final_states, 0u);
  EXPECT_GT(r.states, 100u);  // the search did branch
  std::printf("  %zu states, %zu transitions, %zu final, at most %zu in flight, %.2f s\n", r.states,
              r.transitions, r.final_states, r.max_in_flight, r.seconds);
}

void expect_caught(Workload w, Fault f, const std::string& kind) {
  {
    const ExploreResult clean = explore(w);
    ASSERT_FALSE(clean.violation) << "without the fault: " << trace_of(clean);
  }
  w.protocol.fault = f;
  const ExploreResult r = explore(w);
  ASSERT_TRUE(r.violation) << "the planted fault went unnoticed";
  EXPECT_NE(r.violation->what.find(kind), std::string::npos) << trace_of(r);
  EXPECT_FALSE(r.violation->trace.empty());
  std::printf("%s", trace_of(r).c_str());
}

// Every system of `cxlsim coherence check` (docs/coherence.md's table).
class CoherenceCheckSystem : public testing::TestWithParam<size_t> {};

TEST_P(CoherenceCheckSystem, Passes) {
  const NamedWorkload c = check_systems().at(GetParam());
  std::printf("  %s\n", c.name.c_str());
  expect_correct(c.workload);
}

INSTANTIATE_TEST_SUITE_P(CoherenceExplore, CoherenceCheckSystem,
                         testing::Range(size_t{0}, check_systems().size()));

TEST(CoherenceExplore, HdmDbUncachedReadsAndOwnershipWithoutData) {
  Workload w = bi_system(2, 1, 3);
  w.accesses = {Access::kLoadShared, Access::kStore, Access::kStoreFull, Access::kReadCurrent,
                Access::kEvict};
  expect_correct(w);
}

TEST(CoherenceExplore, CxlCacheEveryAccessThreeEach) {
  Workload w = cache_system(2, 1, 3);
  w.accesses = {Access::kLoad,      Access::kLoadShared, Access::kStore,
                Access::kStoreFull, Access::kEvict,      Access::kReadCurrent,
                Access::kFlush,     Access::kWrInv,      Access::kWrCur};
  expect_correct(w);
}

TEST(CoherenceExploreFaults, RdOwnWithoutSnpInvBreaksSwmr) {
  expect_caught(cache_system(2, 1, 2), Fault::kSkipSnpInvOnRdOwn, "");
}

TEST(CoherenceExploreFaults, MemRdAWithoutBISnpInvIsCaught) {
  expect_caught(bi_system(2, 1, 2), Fault::kSkipSnpInvOnRdOwn, "");
}

TEST(CoherenceExploreFaults, ReadWithoutSnpDataReturnsStaleData) {
  expect_caught(cache_system(2, 1, 2), Fault::kSkipSnpDataOnRead, "");
}

TEST(CoherenceExploreFaults, SnoopFilterEvictionWithoutBISnpInvIsCaught) {
  expect_caught(bi_system(2, 2, 2, 1), Fault::kNoBackInvalidateOnEviction, "");
}

TEST(CoherenceExploreFaults, SnoopPassingGoBreaksSwmr) {
  expect_caught(cache_system(2, 1, 2), Fault::kSnoopPassesGo, "");
}

TEST(CoherenceExploreFaults, BISnpPassingCmpIsCaught) {
  expect_caught(bi_system(2, 1, 2), Fault::kSnoopPassesGo, "");
}

TEST(CoherenceExploreFaults, FlipWithoutSnpInvOfHostCopiesIsCaught) {
  expect_caught(type2_system(1), Fault::kFlipWithoutSnpInv, "");
}

TEST(CoherenceExploreFaults, HostAccessWithoutDeviceCacheSnoopIsCaught) {
  expect_caught(type2_system(1), Fault::kHostAccessWithoutDeviceSnoop, "");
}

TEST(CoherenceExploreFaults, RequestPassingMemRdFwdIsCaught) {
  expect_caught(type2_system(0), Fault::kForwardUnordered, "");
}

}  // namespace
}  // namespace cxlsim::coherence
