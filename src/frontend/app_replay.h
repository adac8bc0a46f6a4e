// Trace replay on `cxlsim run`'s front end (docs/trace_format.md, docs/app_mode.md): a trace's
// accesses become the records run's QEMU plugin sends (app_trace.h, thread 0): each access is
// filtered through the thread's private L1D and L2 (timing/core_caches.h, as the plugin does),
// what leaves the L2 (line reads, a store's read for ownership, dirty victims) carries the
// instructions executed since the previous record (lackey's `I` lines; none in the other
// formats), and the same two AppModels as run (the chosen placement and all-DRAM) predict it.
//
// Pointer chases: a trace has no loaded values, so the plugin's value rule cannot apply. A load
// made by the same instruction as the previous load of the thread (no other load in between,
// not a read-modify-write) whose previous instance missed the L2 is marked dependent on it:
// `p = *p` loops. Needs instruction addresses (lackey); other formats mark nothing.
#pragma once

#include <cstdint>
#include <functional>

#include "frontend/app_model.h"
#include "frontend/replay_reader.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

struct TraceFeedStats {
  uint64_t records = 0;   // trace records (a lackey `M` counts as a load and a store)
  uint64_t accesses = 0;  // line accesses the private caches saw
  uint64_t l2_hits = 0;   // line accesses the L1D or L2 served
  uint64_t reads = 0, ownership = 0, writebacks = 0;  // records sent below the L2
  uint64_t dependent = 0;                             // reads marked dependent
  uint64_t instructions = 0;
  bool has_instructions = false;  // the format carries instruction counts
};

// Converts `trace` into thread 0's records and pushes them into `feed` in batches, then closes
// it (also when reading throws, before rethrowing). `progress` (may be empty) gets bytes read and
// the total about every 64 Ki records.
TraceFeedStats feed_trace(TraceReader& trace, const timing::AppCoreConfig& core, AppFeed& feed,
                          const std::function<void(uint64_t, uint64_t)>& progress = {});

struct TraceRunOutcome {
  TraceFeedStats stats;
  AppResult predicted, baseline;
};

// Runs both models over the trace (each in its own thread; the trace is read in the caller's).
// Errors of the reader and the models are rethrown once all stopped.
TraceRunOutcome run_trace(TraceReader& trace, const timing::AppCoreConfig& core,
                          AppModel& predicted, AppModel& baseline,
                          const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace cxlsim::frontend
