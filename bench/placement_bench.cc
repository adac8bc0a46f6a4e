// Page placement and trace replay over a 4 GiB random footprint (issue 9, item 7: placement
// must not dominate replay). BM_PlacementMap: Placement::map alone (flat page table);
// BM_ReplayRandom: `cxlsim replay`'s whole path (reader, placement, engine) on an in-memory
// trace of random 64-byte reads; BM_PlacementHashMapBefore: the hash map it replaced. All report
// items_per_second (lookups, line requests); compare with BM_TimingEngine's sim_requests_per_s
// (timing_bench).
#include <benchmark/benchmark.h>

#include <unordered_map>
#include <vector>

#include "frontend/mlc.h"
#include "frontend/placement.h"
#include "frontend/replay.h"
#include "timing/profile.h"
#include "timing/stream_core.h"

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

}  // namespace

BENCHMARK_MAIN();
