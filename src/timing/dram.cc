#include "timing/dram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cxlsim::timing {

Duration DramConfig::burst() const {
  return Duration::ps(std::llround(64.0 / (bus_bytes * mt_per_s * 1e6) * 1e12));
}

Bandwidth DramConfig::peak() const {
  return Bandwidth::bytes_per_second(channels * bus_bytes * mt_per_s * 1e6);
}

Dram::Dram(const DramConfig& cfg)
    : cfg_(cfg),
      rfcsb_(cfg.tRFCsb.picoseconds()),
      pd_idle_(cfg.powerdown_idle.picoseconds()),
      xp_(cfg.tXP.picoseconds()),
      burst_(cfg.burst().picoseconds()),
      rcd_(cfg.tRCD.picoseconds()),
      cl_(cfg.tCL.picoseconds()),
      rp_(cfg.tRP.picoseconds()),
      ras_(cfg.tRAS.picoseconds()),
      rtp_(cfg.tRTP.picoseconds()),
      wr_(cfg.tWR.picoseconds()),
      wtr_(cfg.tWTR.picoseconds()),
      rtw_(cfg.tRTW.picoseconds()),
      ccd_(cfg.tCCD.picoseconds()),
      rfc_(cfg.tRFC.picoseconds()),
      refi_(cfg.tREFI.picoseconds()),
      banks_per_channel_(cfg.ranks * cfg.banks),
      il_(cfg.interleave.value()),
      ch_(cfg.channels),
      row_(cfg.row_bytes.value()),
      bil_(cfg.bank_interleave.value() ? cfg.bank_interleave.value() : cfg.row_bytes.value()),
      cpr_(cfg.row_bytes.value() /
           (cfg.bank_interleave.value() ? cfg.bank_interleave.value() : cfg.row_bytes.value())),
      bank_(static_cast<uint64_t>(cfg.ranks) * cfg.banks),
      chans_(cfg.channels),
      banks_(static_cast<size_t>(cfg.channels) * cfg.ranks * cfg.banks) {
  // Channels refresh at staggered times, as controllers do to spread the cost.
  // Write data to read data: the read command waits tWTR after the write burst, and its data
  // comes tCL later (JESD79-5 write-to-read turnaround).
  wtr_slots_ = (wtr_ + cl_ + burst_ - 1) / burst_;
  rtw_slots_ = (rtw_ + burst_ - 1) / burst_;
  for (unsigned c = 0; c < cfg_.channels; ++c) {
    chans_[c].busy.assign(kInitialSlots / 64, 0);
    chans_[c].write.assign(kInitialSlots / 64, 0);
    chans_[c].refresh_offset = refi_ > 0 ? refi_ * c / cfg_.channels : 0;
  }
}

int64_t Dram::after_refresh(const Channel& ch, Bank& b, unsigned bi, int64_t t) {
  if (refi_ <= 0) return t;
  // Fast path: still inside the current refresh interval, past its refresh window.
  if (t >= b.window_end && t < b.next_window) return t;
  int64_t offset = ch.refresh_offset;
  int64_t len = rfc_;
  if (cfg_.same_bank_refresh) {
    offset += (refi_ / 4) * static_cast<int64_t>(bi % 4);  // bank index within its bank group
    len = rfcsb_;
  }
  if (len <= 0) return t;
  const int64_t rel = t - offset;
  if (rel < 0) return t;
  const int64_t epoch = rel / refi_ + 1;
  const int64_t start = offset + (epoch - 1) * refi_;
  if (epoch != b.refresh_epoch) {
    b.refresh_epoch = epoch;
    b.open_row = -1;  // refresh precharges the bank
  }
  b.window_end = start + len;
  b.next_window = start + refi_;
  if (t < start + len) {
    ++stats_.refresh_waits;
    return start + len;
  }
  return t;
}

void Dram::clear_range(Channel& ch, uint64_t slot) {
  const uint64_t n = ch.slots;
  if (slot - ch.cleared >= n) {
    std::fill(ch.busy.begin(), ch.busy.end(), 0);
    std::fill(ch.write.begin(), ch.write.end(), 0);
    ch.writes_ahead = 0;
  } else {
    uint64_t s = ch.cleared;
    while (s < slot) {
      const uint64_t i = s & (n - 1);  // n is a power of two
      const uint64_t take = std::min<uint64_t>(64 - i % 64, slot - s);
      const uint64_t m = take == 64 ? ~uint64_t{0} : ((uint64_t{1} << take) - 1) << (i % 64);
      ch.busy[i / 64] &= ~m;
      ch.writes_ahead -= static_cast<uint64_t>(std::popcount(ch.write[i / 64] & m));
      ch.write[i / 64] &= ~m;
      s += take;
    }
  }
  ch.cleared = slot;
}

namespace {
// `len` (<= 32) bits of a ring bitmap of `n` slots starting at absolute slot `from`.
// `n` is a power of two.
uint64_t ring_bits(const std::vector<uint64_t>& v, uint64_t n, uint64_t from, uint64_t len) {
  const uint64_t i = from & (n - 1);
  uint64_t bits = v[i / 64] >> (i % 64);
  const uint64_t have = 64 - i % 64;
  if (have < len) bits |= v[((i / 64) + 1) & (n / 64 - 1)] << have;
  return len >= 64 ? bits : bits & ((uint64_t{1} << len) - 1);
}
}  // namespace

bool Dram::slot_free(const Channel& ch, uint64_t slot) const {
  if (slot < ch.cleared) return true;
  const uint64_t i = slot & (ch.slots - 1);
  return ((ch.busy[i / 64] >> (i % 64)) & 1) == 0;
}

void Dram::grow(Channel& ch) {
  const uint64_t old = ch.slots, now = old * 2;
  std::vector<uint64_t> busy(now / 64, 0), write(now / 64, 0);
  for (uint64_t s = ch.cleared; s < ch.cleared + old; ++s) {
    const uint64_t i = s % old, j = s % now;
    busy[j / 64] |= ((ch.busy[i / 64] >> (i % 64)) & 1) << (j % 64);
    write[j / 64] |= ((ch.write[i / 64] >> (i % 64)) & 1) << (j % 64);
  }
  ch.busy.swap(busy);
  ch.write.swap(write);
  ch.slots = now;
}

uint64_t Dram::reserve_slot(Channel& ch, uint64_t slot, Op op) {
  const bool w = op == Op::kWrite;
  const auto before = static_cast<uint64_t>(w ? rtw_slots_ : wtr_slots_);
  const auto after = static_cast<uint64_t>(w ? wtr_slots_ : rtw_slots_);
  for (uint64_t s = std::max(slot, ch.cleared);; ++s) {
    while (s + 64 >= ch.cleared + ch.slots) grow(ch);  // backlog deeper than the calendar
    // Skip whole busy words quickly.
    const uint64_t word = ch.busy[(s & (ch.slots - 1)) / 64] >> (s % 64);
    if (word & 1) {
      s += static_cast<uint64_t>(std::countr_one(word)) - 1;
      continue;
    }
    // Turnaround: no burst of the other direction within `before` slots ahead of s or
    // `after` slots behind it.
    if (w || ch.writes_ahead > 0) {  // a read with no write in the calendar cannot clash
      const uint64_t lo = std::max(ch.cleared, s > before ? s - before : 0);
      const uint64_t len = s + after + 1 - lo;
      const uint64_t busy = ring_bits(ch.busy, ch.slots, lo, len);
      const uint64_t wr = ring_bits(ch.write, ch.slots, lo, len);
      if ((busy & (w ? ~wr : wr)) != 0) continue;
    }
    const uint64_t i = s & (ch.slots - 1);
    ch.busy[i / 64] |= uint64_t{1} << (i % 64);
    if (w) {
      ch.write[i / 64] |= uint64_t{1} << (i % 64);
      ++ch.writes_ahead;
    }
    return s;
  }
}

void Dram::release_write_slot(Channel& ch, uint64_t slot) {
  const uint64_t i = slot & (ch.slots - 1);
  ch.busy[i / 64] &= ~(uint64_t{1} << (i % 64));
  ch.write[i / 64] &= ~(uint64_t{1} << (i % 64));
  --ch.writes_ahead;
}

int64_t Dram::past_all_bank_refresh(const Channel& ch, int64_t t) const {
  // Posted writes have no bank yet; only an all-bank refresh (of the first rank) holds them.
  if (refi_ <= 0 || cfg_.same_bank_refresh || rfc_ <= 0) return t;
  const int64_t rel = t - ch.refresh_offset;
  if (rel < 0) return t;
  const int64_t start = ch.refresh_offset + rel / refi_ * refi_;
  return t < start + rfc_ ? start + rfc_ : t;
}

Duration Dram::post_write(Channel& ch, Duration arrive) {
  ++stats_.writes;
  stats_.busy += Duration::ps(burst_);
  if (++ch.pending_writes >= cfg_.write_batch) {
    // Drain the batch back to back: one turnaround each way for the whole batch.
    const auto t = static_cast<uint64_t>(arrive.picoseconds() / burst_);
    clear_before(ch, t);
    uint64_t slot = t + 1;
    for (unsigned i = 0; i < ch.pending_writes; ++i) {
      uint64_t s = reserve_slot(ch, slot, Op::kWrite);
      for (;;) {  // a slot inside an all-bank refresh is given back for one after it
        const auto after = static_cast<uint64_t>(
            (past_all_bank_refresh(ch, static_cast<int64_t>(s) * burst_) + burst_ - 1) / burst_);
        if (after <= s) break;
        release_write_slot(ch, s);
        s = reserve_slot(ch, after, Op::kWrite);
      }
      slot = s + 1;
    }
    ch.pending_writes = 0;
    ch.drain_end = static_cast<int64_t>(slot) * burst_;
    ch.last_end = std::max(ch.last_end, ch.drain_end);  // the bus was busy: no power-down before
  }
  // Accepted into the write queue; a full queue (a batch still draining ahead of this one)
  // holds the write back, so writes never outrun the bus.
  const int64_t room = ch.drain_end - static_cast<int64_t>(cfg_.write_batch) * burst_;
  return Duration::ps(std::max(arrive.picoseconds() + burst_, room));
}

Duration Dram::access(Op op, uint64_t addr, Duration arrive) {
  const uint64_t chunk = il_.div(addr);
  const auto ci = static_cast<unsigned>(ch_.mod(chunk));
  Channel& ch = chans_[ci];
  if (op == Op::kWrite && cfg_.write_batch > 1) return post_write(ch, arrive);  // no bank state
  const uint64_t in_ch = il_.mul(ch_.div(chunk)) + il_.mod(addr);  // byte offset within channel
  // Within a channel, `bank_interleave` bytes go to one bank before the next; a bank's row
  // holds row_bytes / bank_interleave such blocks.
  const uint64_t row_global = bil_.div(in_ch);
  // Bank index XOR-hashed with row bits, as controllers do so that streams whose strides are
  // multiples of the bank count do not pile onto one bank (permutation-based interleaving).
  const uint64_t row_hi = cpr_.div(bank_.div(row_global));
  const uint64_t h = row_hi ^ (row_hi >> 7) ^ (row_hi >> 13) ^ (row_hi * 0x9E37u >> 5);
  const auto bi = static_cast<unsigned>(bank_.mod(row_global ^ h));
  const auto row = static_cast<int64_t>(row_hi);
  Bank& b = banks_[static_cast<size_t>(ci) * banks_per_channel_ + bi];

  int64_t t = arrive.picoseconds();
  if (pd_idle_ > 0 && t - ch.last_end >= pd_idle_) t += xp_;  // wake the sub-channel first
  t = after_refresh(ch, b, bi, t);
  int64_t cas;
  if (b.open_row == row) {
    ++stats_.row_hits;
    cas = std::max(t, b.cas_ready);
  } else {
    ++stats_.row_misses;
    int64_t act = std::max(t, b.act_ready);
    if (b.open_row >= 0) act = std::max(act, std::max(t, b.pre_ready) + rp_);
    b.open_row = row;
    b.pre_ready = act + ras_;
    b.act_ready = act + ras_ + rp_;
    cas = act + rcd_;
  }
  clear_before(ch, static_cast<uint64_t>(arrive.picoseconds() / burst_));
  const int64_t want_ps = cas + cl_;
  const auto want = static_cast<uint64_t>((want_ps + burst_ - 1) / burst_);
  const uint64_t slot = reserve_slot(ch, want, op);
  // The calendar keeps bursts on a grid of burst slots, but a burst on an idle bus starts on
  // the DRAM clock edge it is ready at, not at the next slot boundary: without this, a
  // dependent chain of loads locks onto one phase of the grid.
  // (A request arriving later may still take the slot before; the overlap is under a burst.)
  const int64_t data = slot == want && slot > 0 && slot_free(ch, slot - 1)
                           ? want_ps
                           : static_cast<int64_t>(slot) * burst_;
  cas = data - cl_;
  const int64_t end = data + burst_;
  ch.last_end = std::max(ch.last_end, end);
  b.cas_ready = cas + ccd_;
  b.pre_ready = std::max(b.pre_ready, op == Op::kRead ? cas + rtp_ : end + wr_);
  b.act_ready = std::max(b.act_ready, b.pre_ready + rp_);

  if (op == Op::kRead) {
    ++stats_.reads;
  } else {
    ++stats_.writes;
  }
  stats_.busy += Duration::ps(burst_);
  stats_.queueing += Duration::ps(std::max<int64_t>(0, cas - arrive.picoseconds() - rcd_));
  return Duration::ps(end);
}

}  // namespace cxlsim::timing
