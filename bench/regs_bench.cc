// Register-level model costs: bus accesses to config space and the component register block,
// list walks, building a component's config space, CEDT encoding.
#include <benchmark/benchmark.h>

#include "spec/cedt.h"
#include "spec/component_registers.h"
#include "spec/config_space.h"
#include "spec/dvsec.h"
#include "spec/hdm_decoder.h"

namespace cxlsim {
namespace {

void BM_ConfigSpaceRead32(benchmark::State& state) {
  const ConfigSpace cs = make_type3_config_space(GiB(4));
  uint16_t off = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cs.read32(off));
    off = static_cast<uint16_t>((off + 4) & 0xFFC);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConfigSpaceRead32);

void BM_ConfigSpaceWrite32(benchmark::State& state) {
  ConfigSpace cs = make_type3_config_space(GiB(4));
  uint32_t v = 0;
  for (auto _ : state) cs.write32(0x10, v++);  // BAR0 low dword: masked RW
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConfigSpaceWrite32);

void BM_FindDvsec(benchmark::State& state) {
  const ConfigSpace cs = make_type3_config_space(GiB(4));
  for (auto _ : state) benchmark::DoNotOptimize(cs.find_dvsec(kCxlDvsecVendorId, 7));
}
BENCHMARK(BM_FindDvsec);

void BM_BuildType3ConfigSpace(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(make_type3_config_space(GiB(4)));
}
BENCHMARK(BM_BuildType3ConfigSpace);

void BM_ComponentHdmRead32(benchmark::State& state) {
  HdmDecoderCapability hdm(HdmKind::kEndpoint, 4, 0, nullptr);
  const ComponentRegisters b = make_endpoint_component_registers(hdm);
  const uint32_t at = *b.find_capability(CacheMemCapabilityId::kHdmDecoder);
  uint32_t off = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.read32(at + off));
    off = (off + 4) % hdm.size_bytes();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ComponentHdmRead32);

void BM_EncodeCedt(benchmark::State& state) {
  Cedt t;
  for (uint32_t uid = 0; uid < 4; ++uid) {
    t.structures.emplace_back(
        Chbs{uid, Chbs::kVersionCxl2, Hpa(0xD0000000ull + uid * 0x10000ull), KiB(64)});
  }
  t.structures.emplace_back(make_cfmws(Hpa(GiB(64).value()), GiB(16), {0, 1, 2, 3}, KiB(4)));
  for (auto _ : state) benchmark::DoNotOptimize(encode_cedt(t));
}
BENCHMARK(BM_EncodeCedt);

}  // namespace
}  // namespace cxlsim
BENCHMARK_MAIN();
