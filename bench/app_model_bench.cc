// The speed of `cxlsim run`'s model (AppModel, every record in detail) on the records the
// plugin sends for the programs of bench/run_bench.sh, without QEMU: BM_AppModelStream, 8
// threads each reading its own 4 MiB sequentially (one L2-miss record per line, 16
// instructions apart; the stream prefetcher runs ahead); BM_AppModelChase, one thread
// following dependent loads over 64 MiB of random lines. LLC on and all memory on CXL, as
// `cxlsim run`'s defaults. items_per_second: records.
#include <benchmark/benchmark.h>

#include <memory>
#include <utility>
#include <vector>

#include "frontend/app_model.h"
#include "frontend/mlc.h"
#include "timing/profile.h"
#include "timing/stream_core.h"

namespace {
using namespace cxlsim;
using namespace cxlsim::frontend;

AppModelConfig config(unsigned threads) {
  const auto host = timing::load_host_profile("spr-xeon");
  const MlcSetup s = setup_for_device(host, timing::load_device_profile("eurosys24-ddr5"),
                                      timing::load_device_profile("eurosys24-asic"));
  AppModelConfig c;
  c.host = s.host;
  c.local_dram = s.local_dram;
  c.topology = s.topology;
  c.device_for = s.device_for;
  c.placement = parse_placement("all-cxl");
  c.max_threads = threads + 1;
  return c;
}

// Runs the batches (thread, records) through one model; returns the records run.
size_t run(const AppModelConfig& c, const std::vector<std::pair<uint32_t, AppBatch>>& batches) {
  AppModel m(c);
  AppFeed feed(1);
  size_t n = 0;
  for (const auto& [t, b] : batches) {
    feed.push(t, std::make_shared<AppBatch>(b));
    n += b.size();
  }
  feed.close();
  benchmark::DoNotOptimize(m.run(feed, 0).predicted_ns);
  return n;
}

void BM_AppModelStream(benchmark::State& state) {
  constexpr unsigned kThreads = 8;
  constexpr uint64_t kLines = (uint64_t{4} << 20) / 64;
  std::vector<std::pair<uint32_t, AppBatch>> batches;
  AppBatch main;
  for (uint32_t t = 1; t <= kThreads; ++t) {
    main.push_back({.addr = t, .insns = 100, .kind = AppKind::kSpawn});
  }
  main.push_back({.insns = 100, .kind = AppKind::kExit});
  batches.emplace_back(0, main);
  for (uint32_t t = 1; t <= kThreads; ++t) {
    AppBatch b;
    const uint64_t base = uint64_t{t} << 24;  // 1 GiB apart, in lines
    for (uint64_t l = 0; l < kLines; ++l) b.push_back({.addr = base + l, .insns = 16});
    b.push_back({.kind = AppKind::kExit});
    batches.emplace_back(t, std::move(b));
  }
  const AppModelConfig c = config(kThreads);
  size_t records = 0;
  for (auto _ : state) records += run(c, batches);
  state.SetItemsProcessed(static_cast<int64_t>(records));
}
BENCHMARK(BM_AppModelStream)->Unit(benchmark::kMillisecond);

void BM_AppModelChase(benchmark::State& state) {
  constexpr uint64_t kLines = (uint64_t{64} << 20) / 64;
  AppBatch b;
  uint64_t s = 7;
  for (unsigned i = 0; i < 100'000; ++i) {
    b.push_back({.addr = timing::splitmix64(s) % kLines,
                 .insns = 10,
                 .dep = static_cast<uint16_t>(i > 0 ? 1 : 0)});
  }
  b.push_back({.kind = AppKind::kExit});
  const AppModelConfig c = config(1);
  size_t records = 0;
  for (auto _ : state) records += run(c, {{0, b}});
  state.SetItemsProcessed(static_cast<int64_t>(records));
}
BENCHMARK(BM_AppModelChase)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
