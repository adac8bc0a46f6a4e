// Cost of the memory-device command interface: mailbox dispatch (direct and through the
// doorbell registers) and the poison/lock/DC check every host access now makes.
#include <benchmark/benchmark.h>

#include <vector>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace {

using namespace cxlsim;
using namespace cxlsim::device;

MemdevCciConfig bench_config() {
  MemdevCciConfig c;
  c.partitionable = GiB(16);
  c.initial_partition_volatile = GiB(8);
  c.lsa_size = KiB(128);
  c.poison_list_max = 4096;
  c.inject_poison_limit = 4096;
  return c;
}

void BM_MailboxGetTimestamp(benchmark::State& state) {
  const auto c = bench_config();
  SparseRamMedia media(c.dpa_span());
  MemdevCci dev(c, media);
  for (auto _ : state) benchmark::DoNotOptimize(dev.execute(opcode::kGetTimestamp));
}
BENCHMARK(BM_MailboxGetTimestamp);

void BM_MailboxDoorbellGetLsa2K(benchmark::State& state) {
  const auto c = bench_config();
  SparseRamMedia media(c.dpa_span());
  MemdevCci dev(c, media);
  auto& regs = dev.registers();
  uint32_t mb = 0;
  for (const auto& h : regs.capabilities()) {
    if (h.id == 2) mb = h.offset;
  }
  regs.write(mb + 0x20, 8, uint64_t{2048} << 32);  // offset 0, length 2048
  for (auto _ : state) {
    regs.write(mb + 0x08, 8, opcode::kGetLsa | (uint64_t{8} << 16));
    regs.write(mb + 0x04, 4, 1);
    benchmark::DoNotOptimize(regs.read(mb + 0x10, 8));
    regs.write(mb + 0x20, 8, uint64_t{2048} << 32);
  }
}
BENCHMARK(BM_MailboxDoorbellGetLsa2K);

// A 64-byte host read through the device with `range(0)` poisoned lines elsewhere.
void BM_MemdevCciRead64(benchmark::State& state) {
  const auto c = bench_config();
  SparseRamMedia media(c.dpa_span());
  MemdevCci dev(c, media);
  for (int64_t i = 0; i < state.range(0); ++i) {
    dev.state().poison.add(static_cast<uint64_t>(i) * 4096 * 1024, 64, PoisonSource::kInjected, 0);
  }
  std::vector<uint8_t> buf(64);
  uint64_t a = 64;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dev.read(Dpa(a), buf));
    a = (a + 4096 + 64) % GiB(15).value();
    a |= 64;
  }
}
BENCHMARK(BM_MemdevCciRead64)->Arg(0)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
