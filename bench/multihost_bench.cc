// BM_MultiHost/N: simulated requests per second of the multi-host model (timing/multi_host.h)
// with N hosts, each running 16 saturating 3:1 streams over the default region of a two-level
// switch tree (4 Type 3 devices shared by all hosts), 200 us of simulated time.
// BM_MultiHost/0 runs the same load of one host on a plain System: the ratio of /1 to /0 is
// what the partitions and their windows cost. BM_MultiHostShared/N: the same with every device
// shared HDM-DB memory (Type3Spec::shared, the default 16384-line snoop filter): every request
// runs through the coherence engine (timing/dcoh.h); the hosts' streams use the same lines, so
// their writes take lines from each other, and the streams' footprint overflows the snoop
// filter, so most requests also evict an entry.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "timing/multi_host.h"
#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/switch_tree.h"
#include "timing/system.h"

namespace {
using namespace cxlsim;
using namespace cxlsim::timing;

void add_streams(System& sys, std::vector<std::unique_ptr<StreamCore>>& cores) {
  const CommittedRegion& reg = sys.regions().front();
  for (unsigned i = 0; i < 16; ++i) {
    StreamCoreConfig c;
    c.read_size = reg.size / 16;
    c.read_base = reg.base + i * c.read_size;
    c.write_base = c.read_base;
    c.write_size = c.read_size;
    c.reads = 3;
    c.writes = 1;
    c.seed = i + 1;
    cores.push_back(std::make_unique<StreamCore>(c));
    sys.add(cores.back().get());
  }
}

void run(benchmark::State& state, bool shared) {
  const HostProfile host = load_host_profile("spr-xeon");
  const DeviceProfile local = load_device_profile("eurosys24-ddr5");
  DeviceProfile dev = load_device_profile("eurosys24-asic");  // returned by copy below
  Topology topo = switch_tree(2, 2, GiB(2));  // small: each host's fabric maps its devices
  for (Type3Spec& d : topo.type3) d.shared = shared;
  auto dev_for = [&](const std::string&) { return dev; };
  const auto hosts = static_cast<size_t>(state.range(0));
  const Duration end = Duration::ns(200'000);
  uint64_t requests = 0, windows = 0, bisnp = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<StreamCore>> cores;
    if (hosts == 0) {
      System sys(host, local, GiB(64), topo, dev_for);
      add_streams(sys, cores);
      sys.run_until(end);
      requests += sys.completed();
      continue;
    }
    std::vector<HostSpec> specs;
    for (size_t h = 0; h < hosts; ++h) specs.push_back(HostSpec{"h" + std::to_string(h), {}});
    MultiHost mh(host, local, GiB(64), topo, dev_for, specs);
    for (size_t h = 0; h < hosts; ++h) add_streams(mh.host(h), cores);
    mh.run_until(end);
    for (size_t h = 0; h < hosts; ++h) {
      requests += mh.host(h).completed();
      bisnp += mh.pool().back_invalidation(h).bisnp_received;
    }
    windows += mh.windows();
  }
  state.counters["sim_requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["windows_per_iter"] =
      static_cast<double>(windows) / static_cast<double>(state.iterations());
  if (shared) {
    state.counters["bisnp_per_request"] =
        requests > 0 ? static_cast<double>(bisnp) / static_cast<double>(requests) : 0.0;
  }
}

void BM_MultiHost(benchmark::State& state) { run(state, false); }
BENCHMARK(BM_MultiHost)->Arg(0)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);

void BM_MultiHostShared(benchmark::State& state) { run(state, true); }
BENCHMARK(BM_MultiHostShared)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
