// DRAM media behind a memory controller (local DDR or a CXL device's DDR): channels
// (DDR5 sub-channels, 32-bit, BL16 = one 64B line per burst), ranks, banks with an open row,
// ACT/RD/WR/PRE timing, data-bus read/write turnaround and all-bank refresh. Requests are
// taken in arrival order (calls must come in time order). Each bank serves its requests in
// order; the channel's data bus is a calendar of burst slots, and a request takes the first
// free slot after its bank is ready (the effect of an FR-FCFS scheduler: a row hit on an idle
// bank overtakes a row conflict on a busy one), keeping read/write turnaround gaps.
// Timing names follow JEDEC JESD79-5 (DDR5).
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "spec/units.h"
#include "timing/request.h"

namespace cxlsim::timing {

struct DramConfig {
  unsigned channels = 2;          // independent data buses (DDR5 sub-channels)
  unsigned ranks = 1;             // per channel
  unsigned banks = 32;            // per rank (DDR5: 8 bank groups x 4)
  Bytes row_bytes = KiB(1);       // page size per sub-channel
  Bytes interleave = Bytes(256);  // consecutive bytes on one channel before the next
  // Consecutive bytes of a channel on one bank before the next bank (0: a whole row). Small
  // values spread a stream over many banks, each keeping its row open across visits.
  Bytes bank_interleave = Bytes(0);
  double mt_per_s = 4800;  // data rate
  unsigned bus_bytes = 4;  // data bus width per channel (DDR5 sub-channel: 32 bits)
  Duration tRCD = Duration::ns(16.67);
  Duration tCL = Duration::ns(16.67);
  Duration tRP = Duration::ns(16.67);
  Duration tRAS = Duration::ns(32);
  Duration tRTP = Duration::ns(7.5);
  Duration tWR = Duration::ns(30);
  Duration tWTR = Duration::ns(10);     // end of write data to next read command
  Duration tRTW = Duration::ns(5);      // read to write bus turnaround
  Duration tCCD = Duration::ns(3.33);   // same-bank-group column to column
  Duration tRFC = Duration::ns(295);    // all-bank refresh (16 Gb die)
  Duration tRFCsb = Duration::ns(130);  // same-bank refresh (16 Gb die)
  Duration tREFI = Duration::ns(3900);
  // Same-bank refresh (DDR5 REFsb): the same bank index in every bank group is refreshed for
  // tRFCsb, four such commands per tREFI, while other banks keep serving. All-bank (REFab)
  // blocks the whole channel for tRFC once per tREFI.
  bool same_bank_refresh = true;
  // Writes are posted into a per-channel write queue (completed on acceptance) and written
  // in bursts of `write_batch`, so that a read/write bus turnaround is paid once per batch,
  // as controllers drain their write queues at a high watermark.
  unsigned write_batch = 32;
  // Power-down (JESD79-5 §4.x, CKE-less DDR5 power-down entry/exit): a controller that puts a
  // sub-channel into power-down after it has been idle for `powerdown_idle` makes the next
  // request wait tXP for the exit. Zero: never powers down.
  Duration powerdown_idle;
  Duration tXP = Duration::ns(7.5);
  [[nodiscard]] Duration burst() const;  // 64B / (bus_bytes x MT/s)
  [[nodiscard]] Bandwidth peak() const;  // channels x bus_bytes x MT/s
};

struct MediaStats {
  uint64_t reads = 0, writes = 0, row_hits = 0, row_misses = 0, refresh_waits = 0;
  Duration busy;      // data-bus busy time summed over channels
  Duration queueing;  // summed time between arrival and the first command for the request
};

// Swappable media model (DRAM here; a persistent-memory or flash model would fit the same).
class MediaModel {
 public:
  virtual ~MediaModel() = default;
  // Serves one 64B access arriving at `arrive`; returns when its data burst ends.
  virtual Duration access(Op op, uint64_t addr, Duration arrive) = 0;
  [[nodiscard]] virtual const MediaStats& stats() const = 0;
  [[nodiscard]] virtual unsigned channels() const = 0;
};

class Dram final : public MediaModel {
 public:
  explicit Dram(const DramConfig& cfg);
  Duration access(Op op, uint64_t addr, Duration arrive) override;
  [[nodiscard]] const MediaStats& stats() const override { return stats_; }
  [[nodiscard]] unsigned channels() const override { return cfg_.channels; }

 private:
  struct Bank {
    int64_t open_row = -1;
    int64_t act_ready = 0;  // earliest ACT
    int64_t pre_ready = 0;  // earliest PRE (tRAS, tRTP, tWR)
    int64_t cas_ready = 0;  // earliest RD/WR (tRCD, tCCD)
    int64_t refresh_epoch = 0;
    int64_t window_end = 0, next_window = 0;  // cached refresh interval of refresh_epoch
  };
  // Division by a configuration constant: a shift when it is a power of two.
  struct Divisor {
    explicit Divisor(uint64_t v) : d(v), shift(std::has_single_bit(v) ? std::countr_zero(v) : -1) {}
    [[nodiscard]] uint64_t div(uint64_t v) const { return shift >= 0 ? v >> shift : v / d; }
    [[nodiscard]] uint64_t mod(uint64_t v) const { return shift >= 0 ? v & (d - 1) : v % d; }
    [[nodiscard]] uint64_t mul(uint64_t v) const { return shift >= 0 ? v << shift : v * d; }
    uint64_t d;
    int shift;
  };
  static constexpr uint64_t kInitialSlots = 8192;  // calendar horizon in bursts; grows on demand
  struct Channel {
    std::vector<uint64_t> busy, write;  // bit per burst slot, absolute slot mod kSlots
    uint64_t cleared = 0;               // slots before this are in the past and cleared
    uint64_t slots = kInitialSlots;     // calendar size (power of two)
    unsigned pending_writes = 0;        // posted, not yet on the bus
    uint64_t writes_ahead = 0;          // write bursts reserved in the calendar
    int64_t drain_end = 0;              // end of the last drained write batch (ps)
    int64_t refresh_offset = 0;
    int64_t last_end = 0;  // end of the latest data burst reserved (ps)
  };
  // Delays t past a refresh in progress on the channel and closes rows after each refresh.
  int64_t after_refresh(const Channel& ch, Bank& b, unsigned bi, int64_t t);
  // Reserves the first bus slot at or after `slot` that keeps turnaround gaps; returns it.
  uint64_t reserve_slot(Channel& ch, uint64_t slot, Op op);
  void clear_before(Channel& ch, uint64_t slot) {
    if (slot > ch.cleared) clear_range(ch, slot);
  }
  void clear_range(Channel& ch, uint64_t slot);  // clears slots [cleared, slot)
  void grow(Channel& ch);
  [[nodiscard]] bool slot_free(const Channel& ch, uint64_t slot) const;
  [[nodiscard]] int64_t past_all_bank_refresh(const Channel& ch,
                                              int64_t t) const;  // t, or the end of a REFab at t
  void release_write_slot(Channel& ch, uint64_t slot);
  Duration post_write(
      Channel& ch,
      Duration arrive);  // doubles the calendar of one channel, keeping its reservations
  int64_t wtr_slots_, rtw_slots_;

  DramConfig cfg_;
  int64_t rfcsb_, pd_idle_, xp_;
  int64_t burst_, rcd_, cl_, rp_, ras_, rtp_, wr_, wtr_, rtw_, ccd_, rfc_, refi_;
  unsigned banks_per_channel_;
  Divisor il_, ch_, row_, bil_, cpr_, bank_;
  std::vector<Channel> chans_;
  std::vector<Bank> banks_;
  MediaStats stats_;
};

}  // namespace cxlsim::timing
