// BM_Coherence*: coherence transactions simulated per second on one core (the goal: at least
// 5 M/s in every variant), reported as the "tx/s" counter. A transaction is one access run to
// completion through the protocol engine (coherence/transaction.h): every snoop, response,
// grant and data message of it delivered.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "coherence/transaction.h"
#include "timing/coherence_timer.h"

namespace {
using namespace cxlsim::coherence;

Config make(Flavour f, uint8_t agents, uint16_t lines, uint16_t sf_capacity = 0) {
  Config c;
  c.flavour = f;
  c.agents = agents;
  c.lines = lines;
  c.sf_capacity = sf_capacity;
  return c;
}

void report(benchmark::State& state, const Runner& r) {
  state.counters["tx/s"] =
      benchmark::Counter(static_cast<double>(r.transactions()), benchmark::Counter::kIsRate);
  state.counters["msgs/tx"] =
      static_cast<double>(r.messages()) / static_cast<double>(r.transactions());
}

// A device and a host cache write one line in turn: RdOwn, SnpInv, RspIFwdM + data, GO-E + data.
void BM_CoherencePingPong(benchmark::State& state) {
  Runner r(make(Flavour::kCache, 2, 1));
  Transaction t;
  uint8_t v = 0;
  for (auto _ : state) {
    ++v;
    r.run(static_cast<uint8_t>(v & 1), 0, Access::kStore, v, t);
    benchmark::DoNotOptimize(t.count);
  }
  report(state, r);
}
BENCHMARK(BM_CoherencePingPong);

// A device reads host memory it does not cache (RdAny, GO-E + data) and evicts it again.
void BM_CoherenceD2HReadEvict(benchmark::State& state) {
  Runner r(make(Flavour::kCache, 2, 1024));
  Transaction t;
  uint16_t line = 0;
  for (auto _ : state) {
    r.run(0, line, Access::kLoad, 0, t);
    r.run(0, line, Access::kEvict, 0, t);
    line = static_cast<uint16_t>((line + 1) & 1023);
  }
  report(state, r);
}
BENCHMARK(BM_CoherenceD2HReadEvict);

// N hosts write one HDM-DB line in turn: MemRd,A, BISnpInv, MemWr + Cmp, BIRspI, Cmp-E + data.
void BM_CoherenceSharedWrite(benchmark::State& state) {
  const auto hosts = static_cast<uint8_t>(state.range(0));
  Runner r(make(Flavour::kBackInvalidate, hosts, 1));
  Transaction t;
  uint8_t h = 0, v = 0;
  for (auto _ : state) {
    r.run(h, 0, Access::kStore, ++v, t);
    h = static_cast<uint8_t>((h + 1) % hosts);
  }
  report(state, r);
}
BENCHMARK(BM_CoherenceSharedWrite)->Arg(2)->Arg(8)->Arg(16);

// Hosts read more HDM-DB lines than the device snoop filter tracks: every miss
// back-invalidates a victim entry first.
void BM_CoherenceSnoopFilterEviction(benchmark::State& state) {
  Runner r(make(Flavour::kBackInvalidate, 4, 4096, 256));
  Transaction t;
  uint32_t i = 0;
  for (auto _ : state) {
    r.run(static_cast<uint8_t>(i & 3), static_cast<uint16_t>((i * 7) & 4095), Access::kLoad, 0, t);
    ++i;
  }
  report(state, r);
}
BENCHMARK(BM_CoherenceSnoopFilterEviction);

// A Type 2 device works on its own memory in device bias (served by its DCOH, no messages)
// and in host bias (every miss asks the host and is completed by MemRdFwd; evictions stay in the
// device), alternating pages.
void BM_CoherenceType2Bias(benchmark::State& state) {
  Config c = make(Flavour::kCache, 2, 1024);
  c.device_agent = 1;
  c.lines_per_page = 64;
  Runner r(c);
  Transaction t;
  for (uint16_t page = 0; page < 8; ++page) r.flip_to_device(page, t);
  uint32_t i = 0;
  uint8_t v = 0;
  for (auto _ : state) {
    const auto line = static_cast<uint16_t>((i * 17) & 1023);
    r.run(1, line, (i & 1) != 0 ? Access::kStore : Access::kLoad, ++v, t);
    if ((i & 3) == 3) r.run(1, line, Access::kEvict, 0, t);
    ++i;
  }
  report(state, r);
}
BENCHMARK(BM_CoherenceType2Bias);

// The same ping-pong costed by the timing model: every message crosses a FlitLink and pays its
// sender's latency (timing/coherence_timer.h).
void BM_CoherenceTimedPingPong(benchmark::State& state) {
  using namespace cxlsim::timing;
  using cxlsim::Duration;
  FlitLink link("rp->accel", LinkConfig{});
  CoherentAgent core{"core",         {}, Duration::ns(30), Duration::ns(15), Duration::ns(25),
                     Duration::ns(2)};
  CoherentAgent dev{"accel",          {Hop{Duration::ns(20), &link, false}},
                    Duration::ns(10), Duration::ns(10),
                    Duration(),       Duration::ns(10)};
  CoherenceTimer timer(make(Flavour::kCache, 2, 1), {core, dev},
                       {true, Duration::ns(10), Duration::ns(80), -1, {}});
  Duration t;
  uint8_t v = 0;
  for (auto _ : state) {
    ++v;
    t = timer.access(static_cast<uint8_t>(v & 1), 0, Access::kStore, v, t).completed;
  }
  report(state, timer.runner());
}
BENCHMARK(BM_CoherenceTimedPingPong);

}  // namespace

BENCHMARK_MAIN();
