// PTX executor speed: executed PTX thread-instructions (instructions times the lanes that issued
// them) per second on nvcc's PTX of the tiled matrix multiply and the reductions, on 1 and 2 host
// threads. Counters: inst_per_s (total), inst_per_s_per_core, and on 2 threads speedup_vs_1 (time
// of the same launch on 1 thread / time on 2, interleaved), and on 1 thread inst_per_cpu_s (per
// second of process CPU time, which stays meaningful when other work shares the cores). Goal (issue
// 13): >= 100 M/s per core.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ptx/executor.h"

namespace {

using namespace cxlsim::ptx;

std::string read_ptx() {
  std::ifstream in(std::string(CXLSIM_PTX_NVCC_DIR) + "/kernels.nvcc.ptx");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Setup {
  FlatGlobalMemory mem{0x1000'0000, 64 << 20};
  Executor exec{Module::load(read_ptx()), mem};
  template <class T>
  uint64_t upload(const std::vector<T>& v) {
    const uint64_t a = mem.alloc(v.size() * sizeof(T));
    std::memcpy(mem.at(a, v.size() * sizeof(T)), v.data(), v.size() * sizeof(T));
    return a;
  }
};

// Runs `launch(threads)` per iteration and reports the counters.
template <class F>
void measure(benchmark::State& state, F launch) {
  using Clock = std::chrono::steady_clock;
  const auto threads = static_cast<unsigned>(state.range(0));
  uint64_t insts = 0;
  double seconds = 0, one_thread_seconds = 0;
  const std::clock_t cpu0 = std::clock();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    insts += launch(threads).thread_instructions;
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (threads > 1) {
      // The same launch on one thread, interleaved so that both see the same machine load.
      state.PauseTiming();
      const auto t1 = Clock::now();
      launch(1);
      one_thread_seconds += std::chrono::duration<double>(Clock::now() - t1).count();
      state.ResumeTiming();
    }
  }
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  state.counters["inst_per_s"] = static_cast<double>(insts) / seconds;
  state.counters["inst_per_s_per_core"] = static_cast<double>(insts) / seconds / threads;
  if (threads > 1) {
    state.counters["speedup_vs_1"] = one_thread_seconds / seconds;
  } else {
    // Per second of CPU time: the per-core rate even when other work shares the cores.
    state.counters["inst_per_cpu_s"] = static_cast<double>(insts) / cpu;
  }
}

void BM_PtxMatmul(benchmark::State& state) {
  Setup s;
  const int n = 128;
  std::vector<float> a(static_cast<size_t>(n) * n), b(static_cast<size_t>(n) * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& x : a) x = d(rng);
  for (auto& x : b) x = d(rng);
  const uint64_t da = s.upload(a), db = s.upload(b),
                 dc = s.upload(std::vector<float>(static_cast<size_t>(n) * n));
  const Kernel& k = *s.exec.module().kernel("matmul_tiled");
  ParamBuffer p(k);
  p.set(0, da).set(1, db).set(2, dc).set(3, n);
  measure(state, [&](unsigned threads) {
    LaunchConfig cfg{{n / 16, n / 16, 1}, {16, 16, 1}, 0, threads};
    return s.exec.launch("matmul_tiled", cfg, p.bytes());
  });
}
BENCHMARK(BM_PtxMatmul)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PtxReduction(benchmark::State& state, const char* kernel) {
  Setup s;
  const int n = 1 << 20;
  std::vector<int> in(n);
  for (int i = 0; i < n; ++i) in[i] = i % 7;
  const uint64_t din = s.upload(in), dout = s.upload(std::vector<int>(1));
  const Kernel& k = *s.exec.module().kernel(kernel);
  ParamBuffer p(k);
  p.set(0, din).set(1, dout).set(2, n);
  measure(state, [&](unsigned threads) {
    LaunchConfig cfg{{64, 1, 1}, {256, 1, 1}, 0, threads};
    return s.exec.launch(kernel, cfg, p.bytes());
  });
}
BENCHMARK_CAPTURE(BM_PtxReduction, shared, "reduce_shared")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PtxReduction, shfl, "reduce_shfl")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
