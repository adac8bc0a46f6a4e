// Sampled simulation of `cxlsim run` (docs/app_mode.md#sampled-simulation): what the plugin and
// the model share. The plugin observes each thread in one of three phases and marks every change
// in its record stream (AppKind::kPhase):
//   detail  every load and store through the thread's L1D and L2, every miss sent as a record;
//   skip    a line filter of kLineFilter lines stands for the L1, what misses it updates the
//           thread's L2, and only the L2's misses are counted and each page's first touch
//           sent;
//   warm    as detail, but the model runs the records without time, to warm the LLC before a
//           detail window.
// In every phase the plugin counts, per thread, the misses of its L2 (`lines`) and, of those,
// the loads whose address lies within a line after the value the previous such load read
// (`chained`: a pointer chase). Outside
// detail a thread's time is its instructions at the profile's rate plus, per miss, the stall
// measured in its last window: a chained miss costs the window's mean load latency (it cannot
// overlap the one before), another the rest of the window's stall per such miss. So a phase
// of dependent loads after one of independent ones is costed right before a window sees it.
//
// Windows are placed in simulated time, so that every thread is in detail at the same time and
// threads contend as they would: each thread's phase follows its clock, the simulated time the
// model last reported for it (AppSampleClock, in memory both share) run on at the rates the
// model measured in its last window. Defined once here; header-only (the plugin links no layer).
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>

namespace cxlsim::frontend {

enum class AppPhase : uint16_t { kDetail = 0, kSkip = 1, kWarm = 2 };

// When the phases fall, in simulated picoseconds: a detail window of `window_ps` starts every
// `period_ps`, and the `warm_ps` before it are warm. period_ps 0: no sampling.
struct AppSampling {
  int64_t window_ps = 0, period_ps = 0, warm_ps = 0;

  // The schedule for detail fraction `fraction` (in (0, 1); 1 or more: no sampling) of windows
  // of `window_ps`; warm-up as long as a window, where the skip leaves room.
  static AppSampling of(double fraction, int64_t window_ps) {
    AppSampling s;
    if (!(fraction < 1) || window_ps <= 0) return s;
    s.window_ps = window_ps;
    s.period_ps = std::llround(static_cast<double>(window_ps) / fraction);
    if (s.period_ps <= window_ps) s.period_ps = window_ps + 1;
    s.warm_ps = s.period_ps - window_ps < window_ps ? s.period_ps - window_ps : window_ps;
    return s;
  }
  [[nodiscard]] bool enabled() const { return period_ps > 0; }
  [[nodiscard]] AppPhase phase_at(int64_t t_ps) const {
    const int64_t o = t_ps < 0 ? 0 : t_ps % period_ps;
    if (o < window_ps) return AppPhase::kDetail;
    return o >= period_ps - warm_ps ? AppPhase::kWarm : AppPhase::kSkip;
  }
};

inline constexpr unsigned kLineFilter = 4096;

// The LLC between windows: the plugin sends the L2 misses and dirty L2 victims of its skips for
// the tracked lines only (AppKind::kWarm): one line in 16, by the line's offset in its page, so
// the same in virtual and physical addresses and, for an LLC of a power-of-two number of sets,
// one set in 16 (set sampling). The model's LLC keeps those lines' state as it would be; in a
// window, another line hits as often as tracked lines have of late.
inline bool tracked_line(uint64_t line) { return (line & 63) < 4; }

// One thread's clock, written by the model at the end of each of its detail windows and read
// by the plugin: at `insns` instructions, `lines` and `chained` misses the thread was at
// simulated time `at_ps`; from there it runs `ps_per_insn` per instruction, `ps_per_chained`
// per chained miss and `ps_per_line` per other miss. A seqlock: `version` is odd while the
// model writes, 0 until it first did.
struct AppSampleClock {
  std::atomic<uint64_t> version{0};
  std::atomic<uint64_t> insns{0}, lines{0}, chained{0};
  std::atomic<int64_t> at_ps{0};
  std::atomic<double> ps_per_insn{0}, ps_per_line{0}, ps_per_chained{0};
};
static_assert(std::atomic<double>::is_always_lock_free &&
                  std::atomic<uint64_t>::is_always_lock_free,
              "the clocks are shared between processes");

// The clocks of every thread (by the plugin's thread number), in one shared mapping.
inline constexpr unsigned kAppClockThreads = 1024;
struct AppSampleClocks {
  AppSampleClock thread[kAppClockThreads];
};

}  // namespace cxlsim::frontend
