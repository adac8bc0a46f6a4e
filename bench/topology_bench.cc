// Speed of reading and checking topologies: every command starts by loading one. Goal: under
// 0.1 ms for the built-ins and a few ms for 128 devices.
#include <benchmark/benchmark.h>

#include "fabric/qemu_cmdline.h"
#include "fabric/topology_loader.h"
#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"

namespace {

// 8 host bridges x 4 root ports x a 4-port switch with a device on each port: 128 devices.
cxlsim::Topology large() {
  cxlsim::Topology t;
  for (unsigned h = 0; h < 8; ++h) {
    std::string hb = "hb" + std::to_string(h);
    t.host_bridges.push_back({hb, h * 32 + 1, h * 32 + 1});
    for (unsigned r = 0; r < 4; ++r) {
      std::string rp = hb + "rp" + std::to_string(r), sw = rp + "sw";
      t.root_ports.push_back({rp, hb, r, h, r});
      t.switches.push_back({sw, rp});
      for (unsigned p = 0; p < 4; ++p) {
        std::string dp = sw + "p" + std::to_string(p);
        t.downstream_ports.push_back({dp, sw, p, h, 8 + r * 4 + p});
        cxlsim::Type3Spec d;
        d.id = dp + "mem";
        d.parent = dp;
        d.persistent_size = cxlsim::GiB(1);
        d.lsa_size = cxlsim::MiB(1);
        d.serial = t.type3.size() + 1;
        t.type3.push_back(d);
      }
    }
  }
  t.windows.push_back({"cfmw0", std::nullopt, cxlsim::GiB(512), {"hb0", "hb1", "hb2", "hb3", "hb4", "hb5", "hb6", "hb7"},
                       cxlsim::Bytes(4096), {}});
  return t;
}

void BM_ParseTopologyToml_Default(benchmark::State& state) {
  std::string text = cxlsim::to_toml(cxlsim::load_topology("builtin:default"));
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::parse_topology_toml(text, "bench"));
}
BENCHMARK(BM_ParseTopologyToml_Default);

void BM_ParseTopologyToml_128Devices(benchmark::State& state) {
  std::string text = cxlsim::to_toml(large());
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::parse_topology_toml(text, "bench"));
}
BENCHMARK(BM_ParseTopologyToml_128Devices);

void BM_ParseQemuCmdline_128Devices(benchmark::State& state) {
  std::string text = cxlsim::format_qemu_command(cxlsim::to_qemu_args(large(), {}), false);
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::parse_qemu_cmdline(text, "bench"));
}
BENCHMARK(BM_ParseQemuCmdline_128Devices);

void BM_ValidateTopology_128Devices(benchmark::State& state) {
  cxlsim::Topology t = large();
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::validate(t));
}
BENCHMARK(BM_ValidateTopology_128Devices);

}  // namespace

BENCHMARK_MAIN();
