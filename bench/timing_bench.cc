// BM_TimingEngine: simulated requests per second of the timing engine on a two-level switch
// topology (root port -> switch -> 2 switches -> 4 Type 3 devices) under saturating load.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/system.h"

namespace {
using namespace cxlsim;
using namespace cxlsim::timing;

void BM_TimingEngine(benchmark::State& state) {
  const HostProfile host = load_host_profile("spr-xeon");
  const DeviceProfile local = load_device_profile("eurosys24-ddr5");
  DeviceProfile dev = load_device_profile("eurosys24-asic");  // returned by copy below
  const Topology topo = switch_tree(2, 2);
  uint64_t requests = 0;
  double simulated_ns = 0;
  for (auto _ : state) {
    System sys(host, local, GiB(64), topo, [&](const std::string&) { return dev; });
    const uint64_t base = sys.regions().front().base;
    std::vector<std::unique_ptr<StreamCore>> cores;
    for (unsigned i = 0; i < 32; ++i) {
      StreamCoreConfig c;
      c.read_base = base + uint64_t{i} * (uint64_t{1} << 30);
      c.read_size = uint64_t{1} << 30;
      c.write_base = c.read_base;
      c.write_size = c.read_size;
      c.reads = 3;
      c.writes = 1;
      c.random = false;
      c.max_outstanding = 48;
      c.prefetch_distance = 48;
      c.seed = i + 1;
      cores.push_back(std::make_unique<StreamCore>(c));
      sys.add(cores.back().get());
    }
    sys.run_until(Duration::ns(1'000'000));
    requests += sys.completed();
    simulated_ns += 1e6;
  }
  state.counters["sim_requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  // Simulated time per wall-clock second.
  state.counters["simulated_ns_per_s"] =
      benchmark::Counter(simulated_ns, benchmark::Counter::kIsRate);
  state.counters["requests_per_iter"] =
      static_cast<double>(requests) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TimingEngine)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
