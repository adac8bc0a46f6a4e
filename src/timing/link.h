// A CXL/PCIe link between two ports, full duplex: one transmitter per direction. Requests and
// write data travel down (toward the device), read data and completions travel up. A message
// occupies its direction for its serialisation time (slots x wire bytes per slot / raw rate)
// from the first free moment at or after it reaches the port, then arrives after the port +
// propagation latency and one whole-flit accumulation (CRC is checked per flit).
// Reservations may be made in any order: the transmitter keeps the idle gaps that a message
// reserved early for a late arrival leaves behind it, and a message arriving earlier fills them,
// so paths merging at a switch need no event per hop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/units.h"
#include "timing/flit.h"

namespace cxlsim::timing {

enum class Dir { kDown, kUp };

struct LinkConfig {
  unsigned lanes = 16;
  double gt_per_s = 32.0;           // per lane transfer rate (PCIe Gen5: 32 GT/s)
  double encoding = 128.0 / 130.0;  // 128b/130b for Gen3-5; 1.0 in flit mode (Gen6)
  FlitFormat flit;
  SlotCosts slots;
  Duration port_latency = Duration::ns(25);  // PHY + link layer, both ports, one way
  Duration propagation = Duration::ns(1);

  // Raw rate of one direction after line encoding.
  [[nodiscard]] Bandwidth raw_rate() const;
  // Best-case payload rate of one direction for a stream of one message class.
  [[nodiscard]] Bandwidth payload_rate(Msg m) const;
};

// Per-direction counters.
struct LinkStats {
  uint64_t messages = 0;
  uint64_t payload_bytes = 0;
  Duration busy;
  Duration queueing;  // summed wait before serialisation
};

// Swappable link model (e.g. a replayed curve or a credit-level model).
class LinkModel {
 public:
  virtual ~LinkModel() = default;
  // Sends `m` reaching this port at `at`; returns when it is fully received at the far port.
  // `now` is the simulation time of the call (no later call will send before it).
  virtual Duration send(Dir d, Msg m, Duration at, Duration now) = 0;
  Duration send(Dir d, Msg m, Duration at) { return send(d, m, at, Duration()); }
  [[nodiscard]] virtual LinkStats stats(Dir d) const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
  // Latency of one message of class m on an idle link.
  [[nodiscard]] virtual Duration idle_latency(Msg m) const = 0;
};

class FlitLink final : public LinkModel {
 public:
  FlitLink(std::string name, const LinkConfig& cfg);
  using LinkModel::send;
  Duration send(Dir d, Msg m, Duration at, Duration now) override {
    return Duration::ps(send_ps(d, m, at.picoseconds(), now.picoseconds()));
  }
  // send() in picoseconds; inline for the engine's per-hop loop (System holds FlitLink*).
  int64_t send_ps(Dir d, Msg m, int64_t at, int64_t now) {
    const int i = d == Dir::kDown ? 0 : 1;
    const int64_t ser = ser_ps_[static_cast<int>(m)];
    const int64_t start = tx_[i].reserve(at, ser, now);
    ++sent_[i][static_cast<int>(m)];
    queued_ps_[i] += start - at;
    return start + ser + fixed_ps_;
  }
  [[nodiscard]] LinkStats stats(Dir d) const override;
  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] Duration idle_latency(Msg m) const override;
  // idle_latency's two parts: a message's serialisation (its direction is busy that long) and
  // the fixed latency after it (port, propagation, one flit), ps.
  [[nodiscard]] int64_t serialisation_ps(Msg m) const { return ser_ps_[static_cast<int>(m)]; }
  [[nodiscard]] int64_t fixed_ps() const { return fixed_ps_; }
  [[nodiscard]] const LinkConfig& config() const { return cfg_; }

 private:
  std::string name_;
  LinkConfig cfg_;
  // One direction: busy up to `free`, except for idle `gaps` left before it.
  struct Transmitter {
    static constexpr int kGaps = 4;  // a power of two
    int64_t free = 0;
    int64_t gap_start[kGaps] = {}, gap_end[kGaps] = {};
    int next_gap = 0;
    int64_t gap_max_end = 0;  // no gap ends later (a bound: consumed gaps are not subtracted)
    int64_t min_gap = 1;      // gaps shorter than the shortest message are not kept
    // Start time of a `ser`-long transmission arriving at `t`; `now` expires old gaps.
    int64_t reserve(int64_t t, int64_t ser, int64_t now) {
      if (t >= free) {  // the common case: after everything reserved so far
        if (t > free) add_gap(free, t, now);
        free = t + ser;
        return t;
      }
      if (t + ser > gap_max_end) {  // no gap can hold it: queue behind the last reservation
        const int64_t start = free;
        free = start + ser;
        return start;
      }
      return reserve_early(t, ser, now);
    }
    // reserve() for an arrival before `free` that may fit into a kept gap.
    int64_t reserve_early(int64_t t, int64_t ser, int64_t now);
    // Keeps [s, e) as an idle gap unless too short for any message or already past.
    void add_gap(int64_t s, int64_t e, int64_t now) {
      if (e - s < min_gap || e <= now) return;
      // A small ring: the newest gaps replace the oldest.
      gap_start[next_gap] = s;
      gap_end[next_gap] = e;
      if (e > gap_max_end) gap_max_end = e;
      next_gap = (next_gap + 1) & (kGaps - 1);
    }
  };
  int64_t ser_ps_[4]{};  // serialisation time per message class
  int64_t fixed_ps_;     // port + propagation + one flit
  Transmitter tx_[2];
  // Per direction: messages sent per class and summed queueing; stats() derives the rest.
  uint64_t sent_[2][4] = {};
  int64_t queued_ps_[2] = {};
};

}  // namespace cxlsim::timing
