#include "frontend/app_model.h"

#include <gtest/gtest.h>

#include "frontend/mlc.h"
#include "timing/stream_core.h"

namespace cxlsim::frontend {
namespace {

struct Setup {
  MlcSetup mlc;
  AppModelConfig cfg;
};

Setup single_device(const std::string& placement) {
  Setup s;
  const auto host = timing::load_host_profile("spr-xeon");
  s.mlc = setup_for_device(host, timing::load_device_profile("eurosys24-ddr5"),
                           timing::load_device_profile("eurosys24-asic"));
  s.cfg.host = s.mlc.host;
  s.cfg.host.cache.enabled = false;
  s.cfg.local_dram = s.mlc.local_dram;
  s.cfg.topology = s.mlc.topology;
  s.cfg.device_for = s.mlc.device_for;
  s.cfg.placement = parse_placement(placement);
  s.cfg.max_threads = 4;
  return s;
}

AppRecord rec(AppKind k, uint64_t addr, uint32_t insns, uint16_t dep = 0) {
  AppRecord r;
  r.kind = k;
  r.addr = addr;
  r.insns = insns;
  r.dep = dep;
  return r;
}

AppResult predict(const AppModelConfig& cfg,
                  const std::vector<std::pair<uint32_t, AppBatch>>& batches) {
  AppModel m(cfg);
  AppFeed feed(1);
  for (const auto& [t, b] : batches) feed.push(t, std::make_shared<AppBatch>(b));
  feed.close();
  return m.run(feed, 0);
}

// `n` reads of random lines over 64 MiB, each dependent on the previous one or independent.
AppBatch random_reads(unsigned n, bool dependent, uint64_t seed = 3) {
  AppBatch b;
  constexpr uint64_t kLines = (64u << 20) / 64;
  for (unsigned i = 0; i < n; ++i) {
    b.push_back(
        rec(AppKind::kRead, timing::splitmix64(seed) % kLines, 3, dependent && i > 0 ? 1 : 0));
  }
  b.push_back(rec(AppKind::kExit, 0, 0));
  return b;
}

TEST(AppModel, ComputeOnlyTakesInstructionsAtTheProfileRate) {
  auto s = single_device("all-cxl");
  const auto r = predict(s.cfg, {{0, {rec(AppKind::kExit, 0, 76'000'000)}}});
  EXPECT_NEAR(r.predicted_ns, 76e6 / s.cfg.host.app.insns_per_ns, 1.0);
  ASSERT_EQ(r.threads.size(), 1u);
  EXPECT_EQ(r.threads[0].instructions, 76'000'000u);
}

TEST(AppModel, ADependentReadChainCostsTheIdleLatencyPerLoad) {
  auto s = single_device("all-cxl");
  const auto chase = predict(s.cfg, {{0, random_reads(4000, true)}});
  const double per_load = chase.predicted_ns / 4000.0;
  EXPECT_NEAR(per_load, idle_latency_ns(s.mlc), 0.05 * idle_latency_ns(s.mlc));
  // The same reads, independent: the out-of-order window and fill buffers overlap them.
  const auto overlapped = predict(s.cfg, {{0, random_reads(4000, false)}});
  EXPECT_LT(overlapped.predicted_ns, 0.25 * chase.predicted_ns);
}

TEST(AppModel, AllDramIsDeterministicAndPlacesNothingOnCxl) {
  auto s = single_device("all-dram");
  const auto a = predict(s.cfg, {{0, random_reads(500, false)}});
  const auto b = predict(s.cfg, {{0, random_reads(500, false)}});
  EXPECT_EQ(a.predicted_ns, b.predicted_ns);
  EXPECT_EQ(a.cxl_pages, 0u);
  EXPECT_GT(a.dram_pages, 0u);
  EXPECT_EQ(a.targets.at(1).reads, 0u);
}

TEST(AppModel, SequentialMissesArePrefetched) {
  auto s = single_device("all-cxl");
  AppBatch b;
  for (uint64_t l = 0; l < size_t{64} * 64; l += 64) {
    b.push_back(rec(AppKind::kWriteback, l, 0));  // touch 64 pages
  }
  for (uint64_t l = 0; l < size_t{64} * 64; ++l) b.push_back(rec(AppKind::kRead, l, 8));
  b.push_back(rec(AppKind::kExit, 0, 0));
  const auto r = predict(s.cfg, {{0, b}});
  EXPECT_GT(r.prefetch_hits, 64u * 60);
  EXPECT_GT(r.prefetches, 64u * 60);
}

TEST(AppModel, ASpawnedThreadStartsWhereItsParentCreatedIt) {
  auto s = single_device("all-cxl");
  const auto r = predict(s.cfg, {{0, {rec(AppKind::kSpawn, 1, 7600), rec(AppKind::kExit, 0, 7600)}},
                                 {1, {rec(AppKind::kExit, 0, 76000)}}});
  ASSERT_EQ(r.threads.size(), 2u);
  const double ns_per_insn = 1.0 / s.cfg.host.app.insns_per_ns;
  EXPECT_NEAR(r.threads[1].start_ns, 7600 * ns_per_insn, 1.0);
  EXPECT_NEAR(r.threads[1].end_ns, (7600 + 76000) * ns_per_insn, 1.0);
  EXPECT_NEAR(r.predicted_ns, r.threads[1].end_ns, 1e-9);
}

}  // namespace
}  // namespace cxlsim::frontend

namespace cxlsim::frontend {
namespace {

TEST(AppModel, AThreadWaitingInAFutexGoesOnWhenTheThreadItJoinsEnds) {
  auto s = single_device("all-cxl");
  const uint64_t futex_wait = 202;  // op FUTEX_WAIT (0) in the high half
  const auto r =
      predict(s.cfg, {{0,
                       {rec(AppKind::kSpawn, 1, 100), rec(AppKind::kSyscall, futex_wait, 10),
                        rec(AppKind::kSyscallRet, 202, 0), rec(AppKind::kExit, 0, 50)}},
                      {1, {rec(AppKind::kExit, 0, 760000)}}});
  ASSERT_EQ(r.threads.size(), 2u);
  const double ns_per_insn = 1.0 / s.cfg.host.app.insns_per_ns;
  EXPECT_NEAR(r.threads[1].end_ns, (100 + 760000) * ns_per_insn, 1.0);
  EXPECT_NEAR(r.threads[0].end_ns, r.threads[1].end_ns + 50 * ns_per_insn, 1.0);
}

// ---- sampled simulation (AppModelConfig::sample_fraction) ----------------------------------

AppModelConfig sampled(AppModelConfig c, double fraction) {
  c.sample_fraction = fraction;
  c.sample_window = Duration::ns(20000);
  return c;
}

TEST(AppModelSampling, ASampledChaseCostsWhatTheExactModelPredicts) {
  auto s = single_device("all-cxl");
  const auto trace = random_reads(100000, true);
  const auto exact = predict(s.cfg, {{0, trace}});
  const auto fast = predict(sampled(s.cfg, 0.1), {{0, trace}});
  EXPECT_EQ(exact.sampled_instructions, 0u);
  // Nine tenths of the run are skipped, yet the time is the exact model's (within 3 %: the
  // sampled run is 2.3 % short, as the prefetches the chase's random lines set off run only in
  // the windows).
  EXPECT_GT(fast.sampled_instructions, fast.threads[0].instructions * 8 / 10);
  EXPECT_NEAR(fast.predicted_ns, exact.predicted_ns, 0.03 * exact.predicted_ns);
  // Every record still reaches memory (prefetches run in the windows only).
  EXPECT_EQ(fast.threads[0].reads, exact.threads[0].reads);
  EXPECT_GE(fast.targets[1].reads, fast.threads[0].reads);
}

TEST(AppModelSampling, ComputeBetweenSkippedAccessesRunsAtTheProfileRate) {
  // Bursts of dependent misses separated by long arithmetic: a skip must charge the measured
  // memory stall per access, not a time per instruction measured in a burst.
  auto s = single_device("all-cxl");
  AppBatch b;
  uint64_t seed = 9;
  for (int burst = 0; burst < 400; ++burst) {
    for (int i = 0; i < 50; ++i) {
      const uint32_t gap = i == 0 ? 200000 : 3;
      b.push_back(rec(AppKind::kRead, timing::splitmix64(seed) % (1u << 20), gap, i > 0 ? 1 : 0));
    }
  }
  b.push_back(rec(AppKind::kExit, 0, 0));
  const auto exact = predict(s.cfg, {{0, b}});
  const auto fast = predict(sampled(s.cfg, 0.1), {{0, b}});
  EXPECT_GT(fast.sampled_instructions, 0u);
  EXPECT_NEAR(fast.predicted_ns, exact.predicted_ns, 0.02 * exact.predicted_ns);
}

TEST(AppModelSampling, SkippedTrafficIsSpreadOverTheEpochs) {
  auto s = single_device("all-cxl");
  s.cfg.epoch = Duration::ns(50000);
  const auto r = predict(sampled(s.cfg, 0.1), {{0, random_reads(50000, true)}});
  uint64_t sum = 0;
  size_t busy = 0;
  for (const auto& e : r.epoch_bytes) {
    sum += e[1];
    busy += e[1] > 0 ? 1 : 0;
  }
  EXPECT_EQ(sum, (r.targets[1].reads + r.targets[1].writes) * 64);
  // Windows are 20 us of every 200 us: traffic in skipped time shows too.
  EXPECT_GT(busy, r.epoch_bytes.size() * 9 / 10);
}

TEST(AppModelSampling, RejectsAFractionOutsideZeroToOne) {
  auto s = single_device("all-cxl");
  EXPECT_THROW(AppModel(sampled(s.cfg, 0)), ValidationError);
  EXPECT_THROW(AppModel(sampled(s.cfg, 1.5)), ValidationError);
}

}  // namespace
}  // namespace cxlsim::frontend
