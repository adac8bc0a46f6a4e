// What a function level reset of the accelerator's vfio-cxl face costs (docs/vfio_cxl.md): the
// DPA mapping is zapped (the device memory's contents move to a private file) and, the
// firmware-committed decoder re-snapshotted, faulted back (the contents move back). Only data
// ranges move, so the cost follows the memory the device has touched, not its size.
#include <benchmark/benchmark.h>

#include <cstring>

#include "accel/device_memory.h"
#include "accel/vfio_cxl_device.h"

namespace {

using namespace cxlsim;

void BM_VfioCxlResetWithDirtyMemory(benchmark::State& state) {
  const auto dirty = static_cast<uint64_t>(state.range(0)) << 20;
  accel::DeviceMemory memory(MiB(256));
  accel::VfioCxlOptions o;
  o.precommit = true;
  accel::VfioCxlDevice cxl(memory, nullptr, nullptr, o);
  if (dirty > 0) std::memset(memory.host(accel::DeviceMemory::kBase, dirty), 0x5a, dirty);
  for (auto _ : state) {
    cxl.reset();
    benchmark::DoNotOptimize(memory.host(accel::DeviceMemory::kBase, 1));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * dirty));
}
BENCHMARK(BM_VfioCxlResetWithDirtyMemory)->Arg(0)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
