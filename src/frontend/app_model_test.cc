#include "frontend/app_model.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

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

// Random misses after a stream confirm no stream: the prefetcher must not run ahead of them
// (it once topped up a new, unconfirmed stream that took the confirmed one's slot, prefetching
// after every random miss).
TEST(AppModel, RandomMissesAfterAStreamAreNotPrefetched) {
  auto s = single_device("all-cxl");
  AppBatch stream;
  for (uint64_t l = 0; l < size_t{64} * 64; ++l) stream.push_back(rec(AppKind::kRead, l, 8));
  AppBatch both = stream;
  const AppBatch random = random_reads(4000, false);
  both.insert(both.end(), random.begin(), random.end());
  stream.push_back(rec(AppKind::kExit, 0, 0));
  const auto only_stream = predict(s.cfg, {{0, stream}});
  const auto then_random = predict(s.cfg, {{0, both}});
  ASSERT_GT(only_stream.prefetches, 64u * 60);
  EXPECT_LT(then_random.prefetches, only_stream.prefetches + 100);
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

// ---- sampled simulation (AppModelConfig::sampling, app_sampling.h) -------------------------

AppModelConfig sampled(AppModelConfig c) {
  c.sampling = AppSampling::of(0.1, 20'000'000);
  return c;
}

// What the plugin sends for `records` when it observes them in detail `detail` access records
// at a time and then skips the next `skip` (a schedule by records, not by a clock: the model
// follows the marks whatever placed them). Each access record stands for one miss of the line
// filter; a dependent read for a chained one.
AppBatch phased(const AppBatch& records, size_t detail, size_t skip) {
  AppBatch out;
  uint64_t lines = 0, chained = 0, gap = 0;
  size_t n = 0;
  auto phase = AppPhase::kDetail;
  std::set<uint64_t> pages;
  auto emit = [&](AppRecord r) {
    r.insns += static_cast<uint32_t>(gap);
    gap = 0;
    out.push_back(r);
  };
  auto mark = [&] {
    emit(rec(AppKind::kChained, chained, 0));
    emit(rec(AppKind::kPhase, lines, 0, static_cast<uint16_t>(phase)));
  };
  for (const AppRecord& r : records) {
    const bool access =
        r.kind == AppKind::kRead || r.kind == AppKind::kOwnership || r.kind == AppKind::kWriteback;
    if (!access) {
      if (phase != AppPhase::kDetail) mark();
      emit(r);
      continue;
    }
    const AppPhase want = n % (detail + skip) < detail ? AppPhase::kDetail : AppPhase::kSkip;
    if (want != phase) {
      phase = want;
      mark();
    }
    ++n;
    ++lines;
    if (r.kind == AppKind::kRead && r.dep != 0) ++chained;
    if (phase == AppPhase::kDetail) {
      emit(r);
    } else if (pages.insert(r.addr >> 6).second) {
      emit(rec(AppKind::kTouch, r.addr, r.insns));
    } else {
      gap += r.insns;
    }
    if (phase == AppPhase::kDetail) pages.insert(r.addr >> 6);
  }
  return out;
}

// A stream that writes, with the LLC: each line is read for ownership (the prefetcher runs
// ahead of it) and written back from the L2 500 lines later (the LLC still holds it). Other
// lines than the tracked ones hit as often as the tracked lines' lookups of their own kind:
// prefetches miss though write-backs hit, so the sampled run reads every line from memory as
// the exact run does (one hit rate for all lookups drew prefetches as hits: a sixth fewer).
TEST(AppModelSampling, AWritingStreamReadsEveryLineWithTheLlc) {
  auto s = single_device("all-cxl");
  s.cfg.host.cache.enabled = true;
  AppBatch trace;
  constexpr uint64_t kLines = 200'000;
  for (uint64_t l = 0; l < kLines; ++l) {
    trace.push_back(rec(AppKind::kOwnership, l, 8));
    if (l >= 500) trace.push_back(rec(AppKind::kWriteback, l - 500, 0));
  }
  trace.push_back(rec(AppKind::kExit, 0, 0));
  const auto exact = predict(s.cfg, {{0, trace}});
  const auto fast = predict(sampled(s.cfg), {{0, phased(trace, 2000, 18000)}});
  ASSERT_GT(fast.sampled_instructions, 0u);
  const auto reads = static_cast<double>(exact.targets[1].reads);
  EXPECT_GT(reads, 0.95 * kLines);
  EXPECT_NEAR(static_cast<double>(fast.targets[1].reads), reads, 0.05 * reads);
}

TEST(AppModelSampling, ASampledChaseCostsWhatTheExactModelPredicts) {
  auto s = single_device("all-cxl");
  const auto trace = random_reads(100000, true);
  const auto exact = predict(s.cfg, {{0, trace}});
  const auto fast = predict(sampled(s.cfg), {{0, phased(trace, 1000, 9000)}});
  EXPECT_EQ(exact.sampled_instructions, 0u);
  EXPECT_GT(fast.sampled_instructions, fast.threads[0].instructions * 8 / 10);
  // Nine tenths skipped: each chained miss costs the windows' mean load latency.
  EXPECT_NEAR(fast.predicted_ns, exact.predicted_ns, 0.03 * exact.predicted_ns);
  // The skipped reads count at the windows' rate; every page is placed. (Prefetches differ:
  // the exact run's start late in the run, once its random lines have touched every page.)
  EXPECT_NEAR(static_cast<double>(fast.threads[0].reads), 100000.0, 1.0);
  const auto demand = static_cast<double>(exact.targets[1].reads - exact.prefetches);
  EXPECT_NEAR(static_cast<double>(fast.targets[1].reads - fast.prefetches), demand, 0.03 * demand);
  EXPECT_EQ(fast.cxl_pages, exact.cxl_pages);
}

TEST(AppModelSampling, ChainedMissesInASkipCostALatencyEvenAfterAnIndependentWindow) {
  // A window of independent misses, then a skip of dependent ones (a chase after a loop that
  // fills an array): the skip must not charge the window's overlapped stall per miss.
  auto s = single_device("all-cxl");
  AppBatch trace = random_reads(5000, false, 5);
  trace.pop_back();  // its exit
  const AppBatch chase = random_reads(20000, true, 7);
  trace.insert(trace.end(), chase.begin(), chase.end());
  const auto exact = predict(s.cfg, {{0, trace}});
  const auto fast = predict(sampled(s.cfg), {{0, phased(trace, 5000, 100000)}});
  EXPECT_GT(fast.sampled_instructions, 0u);
  // Charged at the per-miss stall of the independent window, the chase would cost a tenth of
  // its time; at the window's mean load latency it costs 9 % more than exact (that latency
  // includes the queueing the window's own overlapped misses caused).
  EXPECT_NEAR(fast.predicted_ns, exact.predicted_ns, 0.1 * exact.predicted_ns);
}

TEST(AppModelSampling, ComputeBetweenSkippedMissesRunsAtTheProfileRate) {
  // Bursts of dependent misses separated by long arithmetic: a skip charges the measured stall
  // per miss, not a time per instruction measured in a burst.
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
  const auto fast = predict(sampled(s.cfg), {{0, phased(b, 500, 4500)}});
  EXPECT_GT(fast.sampled_instructions, exact.threads[0].instructions / 2);
  EXPECT_NEAR(fast.predicted_ns, exact.predicted_ns, 0.02 * exact.predicted_ns);
}

TEST(AppModelSampling, SkippedTrafficIsSpreadOverTheEpochs) {
  auto s = single_device("all-cxl");
  s.cfg.epoch = Duration::ns(50000);
  const auto r = predict(sampled(s.cfg), {{0, phased(random_reads(50000, true), 1000, 9000)}});
  uint64_t sum = 0;
  size_t busy = 0;
  for (const auto& e : r.epoch_bytes) {
    sum += e[1];
    busy += e[1] > 0 ? 1 : 0;
  }
  EXPECT_EQ(sum, (r.targets[1].reads + r.targets[1].writes) * 64);
  EXPECT_GT(busy, r.epoch_bytes.size() * 9 / 10);  // skipped time carries traffic too
}

TEST(AppModelSampling, EachWindowWritesTheThreadsClockForThePlugin) {
  auto s = single_device("all-cxl");
  const AppBatch trace = phased(random_reads(20000, true), 1000, 9000);
  AppModel m(sampled(s.cfg));
  auto clocks = std::make_unique<AppSampleClocks>();
  m.publish_clocks(clocks.get());
  AppFeed feed(1);
  feed.push(0, std::make_shared<AppBatch>(trace));
  feed.close();
  const AppResult r = m.run(feed, 0);
  const AppSampleClock& c = clocks->thread[0];
  // One write per window (two versions each), the last one at the last window's end: at the
  // skip's start, with the stall per chained miss near the load latency the windows saw.
  EXPECT_EQ(c.version.load(), 2u * 2);
  EXPECT_EQ(c.lines.load(), 11000u);
  EXPECT_EQ(c.chained.load(), 10999u);
  EXPECT_GT(c.at_ps.load(), 0);
  EXPECT_LT(static_cast<double>(c.at_ps.load()) / 1000.0, r.predicted_ns);
  EXPECT_NEAR(c.ps_per_insn.load(), 1000.0 / s.cfg.host.app.insns_per_ns, 1e-9);
  EXPECT_NEAR(c.ps_per_chained.load() / 1000.0, r.predicted_ns / 20000.0,
              0.1 * r.predicted_ns / 20000.0);
}

}  // namespace
}  // namespace cxlsim::frontend
