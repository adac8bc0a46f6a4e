#include "timing/dram.h"

#include <gtest/gtest.h>

namespace cxlsim::timing {
namespace {

DramConfig no_refresh() {
  DramConfig c;
  c.tREFI = Duration();
  return c;
}

TEST(Dram, ClosedRowReadCostsActivateCasAndBurst) {
  DramConfig c = no_refresh();
  Dram d(c);
  const Duration t0 = Duration::ns(100);
  const Duration end = d.access(Op::kRead, 0, t0);
  // On an idle bus the burst starts as soon as the column access allows: no slot rounding.
  EXPECT_EQ(end - t0, c.tRCD + c.tCL + c.burst());
}

TEST(Dram, IdleLatencyDoesNotDependOnThePhaseOfTheBurstGrid) {
  DramConfig c = no_refresh();
  for (int64_t phase_ps : {0, 700, 1900, 3100}) {
    Dram d(c);
    const Duration t0 = Duration::ns(100) + Duration::ps(phase_ps);
    EXPECT_EQ(d.access(Op::kRead, 0, t0) - t0, c.tRCD + c.tCL + c.burst()) << phase_ps;
  }
}

TEST(Dram, PowerDownAddsExitLatencyOnlyAfterAnIdlePeriod) {
  DramConfig c = no_refresh();
  c.channels = 1;
  c.powerdown_idle = Duration::ns(150);
  c.tXP = Duration::ns(7.5);
  Dram d(c);
  const Duration base = c.tRCD + c.tCL + c.burst();
  const Duration t0 = Duration::ns(1000);
  // Idle since time 0: powered down, the first read pays tXP.
  EXPECT_EQ(d.access(Op::kRead, 0, t0) - t0, base + c.tXP);
  // Shortly after the previous burst (another bank): still awake.
  const Duration t1 = t0 + base + Duration::ns(50);
  EXPECT_EQ(d.access(Op::kRead, c.row_bytes.value() * 7, t1) - t1, base);
  // Long after: asleep again.
  const Duration t2 = t1 + Duration::ns(1000);
  EXPECT_EQ(d.access(Op::kRead, c.row_bytes.value() * 13, t2) - t2, base + c.tXP);
}

TEST(Dram, AllBankRefreshHoldsPostedWritesToo) {
  DramConfig c;  // refresh on
  c.same_bank_refresh = false;
  c.channels = 1;
  Dram d(c);
  const int n = 200000;
  Duration last;
  for (int i = 0; i < n; ++i) {
    last = d.access(Op::kWrite, static_cast<uint64_t>(i) * 64, Duration());
  }
  const double share = 64.0 * n / (last.nanoseconds() * 1e-9) / c.peak().bytes_per_second();
  const double refresh_free = 1.0 - c.tRFC.nanoseconds() / c.tREFI.nanoseconds();
  EXPECT_LE(share, refresh_free + 0.005);
  EXPECT_GT(share, refresh_free - 0.03);
}

TEST(Dram, DrainedWritesKeepTheSubChannelAwake) {
  DramConfig c = no_refresh();
  c.channels = 1;
  c.powerdown_idle = Duration::ns(150);
  Dram d(c);
  const Duration t0 = Duration::ns(10000);
  for (unsigned i = 0; i < c.write_batch; ++i) {
    d.access(Op::kWrite, static_cast<uint64_t>(i) * 64, t0);  // one batch drains
  }
  // The batch occupies the bus for write_batch bursts after t0; a read 50 ns after that finds
  // the sub-channel awake (and past the write-to-read turnaround).
  const Duration t1 = t0 + c.burst() * (static_cast<int64_t>(c.write_batch) + 1) + Duration::ns(50);
  EXPECT_EQ(d.access(Op::kRead, uint64_t{1} << 30, t1) - t1, c.tRCD + c.tCL + c.burst());
}

TEST(Dram, BankInterleaveSpreadsConsecutiveLinesOverBanks) {
  DramConfig whole_row = no_refresh(), per_line = no_refresh();
  whole_row.channels = per_line.channels = 1;
  per_line.bank_interleave = Bytes(64);
  Dram a(whole_row), b(per_line);
  // A stream's first lines: one row of one bank, or one line in each of several banks.
  for (uint64_t i = 0; i < 8; ++i) {
    a.access(Op::kRead, i * 64, Duration::ns(100.0 * static_cast<double>(i)));
    b.access(Op::kRead, i * 64, Duration::ns(100.0 * static_cast<double>(i)));
  }
  EXPECT_EQ(a.stats().row_hits, 7u);
  EXPECT_EQ(b.stats().row_hits, 0u);
  // Coming back to the first bank after a full turn over the banks hits its open row.
  b.access(Op::kRead, uint64_t{per_line.banks} * 64, Duration::ns(1000));
  EXPECT_EQ(b.stats().row_hits, 1u);
}

TEST(Dram, RowHitIsFasterThanRowConflict) {
  DramConfig c = no_refresh();
  c.channels = 1;
  c.banks = 1;  // every row in one bank: a different row is a conflict
  Dram hit(c), conflict(c);
  hit.access(Op::kRead, 0, Duration());
  conflict.access(Op::kRead, 0, Duration());
  const Duration t = Duration::ns(1000);
  const Duration h = hit.access(Op::kRead, 64, t) - t;
  const Duration k = conflict.access(Op::kRead, c.row_bytes.value() * 5, t) - t;
  EXPECT_EQ(hit.stats().row_hits, 1u);
  EXPECT_EQ(conflict.stats().row_misses, 2u);
  // A conflict pays precharge and activate on top of the column access.
  EXPECT_GE(k - h, c.tRP + c.tRCD - c.burst());
}

TEST(Dram, SaturatedChannelsDeliverPeakBandwidthForStreams) {
  DramConfig c = no_refresh();
  Dram d(c);
  const int n = 200000;
  Duration last;
  for (int i = 0; i < n; ++i) last = d.access(Op::kRead, static_cast<uint64_t>(i) * 64, Duration());
  const double bw = 64.0 * n / (last.nanoseconds() * 1e-9);
  EXPECT_GT(bw / c.peak().bytes_per_second(), 0.95);
  EXPECT_LE(bw / c.peak().bytes_per_second(), 1.0 + 1e-9);
}

// Bandwidth of n accesses alternating read/write (all arriving at once).
double mixed_bandwidth(DramConfig c, int n) {
  Dram d(c);
  Duration last;
  for (int i = 0; i < n; ++i) {
    last = std::max(
        last, d.access(i % 2 ? Op::kWrite : Op::kRead, static_cast<uint64_t>(i) * 64, Duration()));
  }
  return 64.0 * n / (last.nanoseconds() * 1e-9);
}

TEST(Dram, WritesInterleavedWithReadsPayTurnaround) {
  DramConfig c = no_refresh();
  c.write_batch = 1;  // no write queue: every switch of direction pays its turnaround
  const double unbatched = mixed_bandwidth(c, 20000);
  EXPECT_LT(unbatched, 0.5 * c.peak().bytes_per_second());
  c.write_batch = 32;  // drained in batches: the turnaround is paid once per batch
  const double batched = mixed_bandwidth(c, 20000);
  EXPECT_GT(batched, 1.5 * unbatched);
  EXPECT_LT(batched, c.peak().bytes_per_second());
}

TEST(Dram, PostedWritesNeverOutrunTheBus) {
  DramConfig c = no_refresh();
  Dram d(c);
  const int n = 100000;
  Duration last;
  for (int i = 0; i < n; ++i) {
    last = std::max(last, d.access(Op::kWrite, static_cast<uint64_t>(i) * 64, Duration()));
  }
  EXPECT_LE(64.0 * n / (last.nanoseconds() * 1e-9), c.peak().bytes_per_second() * 1.01);
}

TEST(Dram, RefreshDelaysAccessesThatHitIt) {
  DramConfig c;
  c.same_bank_refresh = false;
  Dram d(c);
  // Channel 0 refreshes in [0, tRFC): an access at time 0 waits for the refresh to end.
  const Duration end = d.access(Op::kRead, 0, Duration());
  EXPECT_GE(end, c.tRFC + c.tRCD + c.tCL + c.burst());
  EXPECT_EQ(d.stats().refresh_waits, 1u);
}

}  // namespace
}  // namespace cxlsim::timing
