// HPA -> (memdev, DPA) decode through tables compiled from committed HDM decoders.
#include <benchmark/benchmark.h>

#include <random>

#include "fabric/region.h"
#include "fabric/test_topology.h"

namespace cxlsim {
namespace {

// A region of `ways` ways: 16 = a x2 window over two host bridges with 8 root ports each;
// 8 = one host bridge with 8 root ports; 3 = a x3 window over three host bridges.
struct Rig {
  std::unique_ptr<Fabric> fabric;
  std::unique_ptr<RegionManager> regions;
  const Region* region = nullptr;
};

Rig make_rig(unsigned ways) {
  testing::TreeShape s;
  s.persistent = GiB(1);
  if (ways == 16) {
    s.host_bridges = 2;
    s.root_ports = 8;
  } else if (ways == 3) {
    s.host_bridges = 3;
  } else {
    s.root_ports = ways;
  }
  Rig r;
  r.fabric = Fabric::build(testing::make_tree(s));
  r.regions = std::make_unique<RegionManager>(*r.fabric);
  RegionRequest req;
  req.ways = ways;
  r.region = &r.regions->create(req);
  return r;
}

void BM_DecodeHpa(benchmark::State& state) {
  const Rig rig = make_rig(static_cast<unsigned>(state.range(0)));
  std::mt19937_64 rng(42);
  std::vector<Hpa> hpas(1 << 16);
  for (Hpa& h : hpas) h = rig.region->base + Bytes(rng() % rig.region->size.value());
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const auto r = rig.fabric->decode(hpas[i++ & (hpas.size() - 1)]);
    sum += r->dpa.value() + r->memdev;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(rig.region->ways) + "-way, " +
                 std::to_string(rig.region->size.value() >> 30) + " GiB");
}
BENCHMARK(BM_DecodeHpa)->Arg(16)->Arg(8)->Arg(3);

}  // namespace
}  // namespace cxlsim

BENCHMARK_MAIN();
