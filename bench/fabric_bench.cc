// Cost of building the live fabric: every CLI call and every property-test case builds one,
// with each component's config space, component register block and HDM decoders. Goal:
// builtin:default well under 1 ms; the 128-device tree a few ms.
#include <benchmark/benchmark.h>

#include "fabric/fabric.h"
#include "fabric/test_topology.h"
#include "fabric/topology_loader.h"

namespace {

void BM_BuildFabric_Default(benchmark::State& state) {
  const cxlsim::Topology t = cxlsim::load_valid_topology("builtin:default");
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::Fabric::build(t));
}
BENCHMARK(BM_BuildFabric_Default)->Unit(benchmark::kMicrosecond);

// The same without label storage areas: each memdev's 1 MiB LSA is a zero-filled buffer in the
// device's command-set state (device/memdev_state.cc), whose page faults dominate the above.
void BM_BuildFabric_DefaultNoLsa(benchmark::State& state) {
  cxlsim::Topology t = cxlsim::load_valid_topology("builtin:default");
  for (auto& m : t.type3) m.lsa_size = cxlsim::Bytes(0);
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::Fabric::build(t));
}
BENCHMARK(BM_BuildFabric_DefaultNoLsa)->Unit(benchmark::kMicrosecond);

// 8 host bridges x 4 root ports x a 4-port switch: 128 memdevs, 200 components with registers.
void BM_BuildFabric_128Devices(benchmark::State& state) {
  cxlsim::testing::TreeShape s;
  s.host_bridges = 8;
  s.root_ports = 4;
  s.switch_levels = 1;
  s.downstream_ports = 4;
  const cxlsim::Topology t = cxlsim::testing::make_tree(s);
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::Fabric::build(t));
}
BENCHMARK(BM_BuildFabric_128Devices)->Unit(benchmark::kMicrosecond);

void BM_FabricCedt_128Devices(benchmark::State& state) {
  cxlsim::testing::TreeShape s;
  s.host_bridges = 8;
  s.root_ports = 4;
  s.switch_levels = 1;
  s.downstream_ports = 4;
  const auto f = cxlsim::Fabric::build(cxlsim::testing::make_tree(s));
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::encode_cedt(f->cedt()));
}
BENCHMARK(BM_FabricCedt_128Devices);

}  // namespace
BENCHMARK_MAIN();
