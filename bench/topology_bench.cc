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
  t.windows.push_back({"cfmw0",
                       std::nullopt,
                       cxlsim::GiB(512),
                       {"hb0", "hb1", "hb2", "hb3", "hb4", "hb5", "hb6", "hb7"},
                       cxlsim::Bytes(4096),
                       {}});
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

// A chain of n switches below one root port (each switch on the previous one's downstream
// port), a device at the end. Refused (far more than 255 buses) but must be checked at once.
cxlsim::Topology switch_chain(size_t n) {
  cxlsim::Topology t;
  t.host_bridges.push_back({"hb0", 0, 1});
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  std::string parent = "rp0";
  for (size_t i = 0; i < n; ++i) {
    const std::string sw = "sw" + std::to_string(i);
    t.switches.push_back({sw, parent});
    t.downstream_ports.push_back({sw + "p0", sw, 0, 0, 0});
    parent = sw + "p0";
  }
  cxlsim::Type3Spec d;
  d.id = "mem0";
  d.parent = parent;
  d.persistent_size = cxlsim::GiB(1);
  t.type3.push_back(d);
  t.windows.push_back({"cfmw0", std::nullopt, cxlsim::GiB(1), {"hb0"}, cxlsim::Bytes(256), {}});
  return t;
}

// n host bridges, each with a root port and a device, and one window per host bridge.
cxlsim::Topology flat(size_t n) {
  cxlsim::Topology t;
  for (size_t i = 0; i < n; ++i) {
    const std::string hb = "hb" + std::to_string(i), rp = hb + "rp";
    t.host_bridges.push_back({hb, static_cast<unsigned>(i), static_cast<unsigned>(1 + i % 255)});
    t.root_ports.push_back({rp, hb, 0, 0, 0});
    cxlsim::Type3Spec d;
    d.id = hb + "mem";
    d.parent = rp;
    d.persistent_size = cxlsim::GiB(1);
    d.serial = i + 1;
    d.persistent_backing.path = "/nonexistent/" + d.id + ".raw";
    t.type3.push_back(d);
    t.windows.push_back({hb + "w", std::nullopt, cxlsim::GiB(1), {hb}, cxlsim::Bytes(256), {}});
  }
  return t;
}

// Issue #18: validation is near-linear in topology size (the reported complexity, BigO, must
// stay about N or N lgN; it was cubic in the length of a switch chain).
void BM_ValidateTopology_SwitchChain(benchmark::State& state) {
  const cxlsim::Topology t = switch_chain(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::validate(t));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ValidateTopology_SwitchChain)->RangeMultiplier(10)->Range(100, 10000)->Complexity();

void BM_ValidateTopology_Flat(benchmark::State& state) {
  const cxlsim::Topology t = flat(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(cxlsim::validate(t));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ValidateTopology_Flat)->RangeMultiplier(10)->Range(100, 10000)->Complexity();

}  // namespace

BENCHMARK_MAIN();
