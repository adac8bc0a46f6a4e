// Page placement and trace replay over a 4 GiB random footprint (issue 9, item 7: placement
// must not dominate replay). BM_PlacementMap: Placement::map alone (flat page table);
// BM_PlacementHashMapBefore: the hash map it replaced; BM_EngineRandom: the timing engine
// alone (one MLC-style core reading random lines of a 4 GiB CXL range: no reader, no
// placement, no front end); BM_ReplayAppRandom: `cxlsim replay`'s default path for one
// prediction (private caches -> records -> AppModel with its placement and LLC -> engine) on
// an in-memory trace of random 8-byte reads; BM_ReplayAppBoth: the whole of `cxlsim replay`
// (both predictions, each in its thread; wall time); BM_ReplayRandom: `--model requests`.
// All report items_per_second (lookups, trace records, engine requests). bench/replay_bench.sh
// prints them side by side.
#include <benchmark/benchmark.h>

#include <unordered_map>
#include <vector>

#include "frontend/app_replay.h"
#include "frontend/mlc.h"
#include "frontend/placement.h"
#include "frontend/replay.h"
#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/system.h"

namespace {
using namespace cxlsim;
using namespace cxlsim::frontend;

constexpr uint64_t kFootprint = uint64_t{4} << 30;

std::vector<uint64_t> random_addresses(size_t n) {
  std::vector<uint64_t> a(n);
  uint64_t s = 42;
  for (auto& x : a) x = 0x7f0000000000 + timing::splitmix64(s) % kFootprint;
  return a;
}

void BM_PlacementMap(benchmark::State& state) {
  const auto addrs = random_addresses(1 << 20);
  Placement p(parse_placement("interleave:1:1"), 0, uint64_t{64} << 30, uint64_t{64} << 30,
              uint64_t{64} << 30);
  for (uint64_t a : addrs) p.map(a);  // every page placed once: the steady state of a long run
  for (auto _ : state) {
    uint64_t sum = 0;
    for (uint64_t a : addrs) sum += p.map(a);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_PlacementMap)->Unit(benchmark::kMillisecond);

// The page hash map placement used before the flat table (std::unordered_map page -> frame),
// on the same addresses, for the ratio.
void BM_PlacementHashMapBefore(benchmark::State& state) {
  const auto addrs = random_addresses(1 << 20);
  std::unordered_map<uint64_t, uint64_t> pages;
  uint64_t next = 0;
  auto map = [&](uint64_t a) {
    auto it = pages.find(a / 4096);
    if (it == pages.end()) it = pages.emplace(a / 4096, (next++) * 4096).first;
    return it->second + a % 4096;
  };
  for (uint64_t a : addrs) map(a);
  for (auto _ : state) {
    uint64_t sum = 0;
    for (uint64_t a : addrs) sum += map(a);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_PlacementHashMapBefore)->Unit(benchmark::kMillisecond);

class VectorReader final : public TraceReader {
 public:
  explicit VectorReader(const std::vector<uint64_t>& a) : a_(a) {}
  bool next(TraceRecord& r) override {
    if (i_ == a_.size()) return false;
    r = TraceRecord{};
    r.address = a_[i_++];
    r.size = 8;
    return true;
  }
  [[nodiscard]] uint64_t position() const override { return i_; }
  [[nodiscard]] uint64_t total() const override { return a_.size(); }

 private:
  const std::vector<uint64_t>& a_;
  size_t i_ = 0;
};

void BM_ReplayRandom(benchmark::State& state) {
  const auto addrs = random_addresses(1 << 19);
  const auto host = timing::load_host_profile("spr-xeon");
  const auto local = timing::load_device_profile("eurosys24-ddr5");
  const auto dev = timing::load_device_profile("eurosys24-asic");
  const MlcSetup s = setup_for_device(host, local, dev);
  ReplayConfig c;
  c.host = host;
  c.local_dram = local;
  c.topology = s.topology;
  c.device_for = s.device_for;
  c.placement = parse_placement("all-cxl");
  for (auto _ : state) {
    VectorReader r(addrs);
    benchmark::DoNotOptimize(replay(r, c).requests);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_ReplayRandom)->Unit(benchmark::kMillisecond);

MlcSetup cxl_setup() {
  const auto host = timing::load_host_profile("spr-xeon");
  const auto local = timing::load_device_profile("eurosys24-ddr5");
  const auto dev = timing::load_device_profile("eurosys24-asic");
  return setup_for_device(host, local, dev);
}

// The engine alone: one core reading random lines of 4 GiB of CXL memory (StreamCore, the
// MLC model's: no trace, no placement), 48 misses in flight.
void BM_EngineRandom(benchmark::State& state) {
  const MlcSetup s = cxl_setup();
  uint64_t requests = 0;
  for (auto _ : state) {
    timing::System sys(s.host, s.local_dram, GiB(64), s.topology, s.device_for);
    timing::StreamCoreConfig c;
    c.read_base = sys.regions().front().base;
    c.read_size = kFootprint;
    c.random = true;
    c.prefetch_distance = 0;
    timing::StreamCore core(c);
    sys.add(&core);
    sys.run_until(Duration::ns(2'000'000));
    requests += sys.completed();
  }
  state.SetItemsProcessed(static_cast<int64_t>(requests));
}
BENCHMARK(BM_EngineRandom)->Unit(benchmark::kMillisecond);

AppModelConfig app_config(const char* placement) {
  const MlcSetup s = cxl_setup();
  AppModelConfig c;
  c.host = s.host;
  c.host.cache.enabled = true;  // as replay's default
  c.local_dram = s.local_dram;
  c.topology = s.topology;
  c.device_for = s.device_for;
  c.placement = parse_placement(placement);
  c.max_threads = 1;
  return c;
}

// One prediction of `cxlsim replay` (default model): trace -> private caches -> AppModel.
void BM_ReplayAppRandom(benchmark::State& state) {
  const auto addrs = random_addresses(1 << 19);
  const AppModelConfig c = app_config("all-cxl");
  for (auto _ : state) {
    AppModel m(c);
    AppFeed feed(1);
    VectorReader r(addrs);
    feed_trace(r, c.host.app, feed);
    benchmark::DoNotOptimize(m.run(feed, 0).predicted_ns);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_ReplayAppRandom)->Unit(benchmark::kMillisecond);

// The whole of `cxlsim replay` (default model): both predictions, each in its own thread.
void BM_ReplayAppBoth(benchmark::State& state) {
  const auto addrs = random_addresses(1 << 19);
  const AppModelConfig c = app_config("all-cxl");
  const AppModelConfig b = app_config("all-dram");
  for (auto _ : state) {
    AppModel p(c), base(b);
    VectorReader r(addrs);
    benchmark::DoNotOptimize(run_trace(r, c.host.app, p, base).predicted.predicted_ns);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_ReplayAppBoth)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
