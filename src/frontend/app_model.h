// The application model of `cxlsim run` (docs/app_mode.md): what a program's threads send
// below their private caches (app_trace.h, from the QEMU plugin) runs through the shared LLC,
// the page placement and the timing System, each thread on a core that works like MLC's
// (stream_core.h): instructions retire at the host profile's rate, a load that misses stalls
// retirement when it reaches the head, the out-of-order window lets the core issue misses
// `ooo_window` of work ahead (at most `lfb` demand misses), a stream prefetcher runs
// `prefetch_distance` lines ahead of sequential misses (never into pages the program has not
// touched), and a load whose address came from a missing load (a pointer chase) waits for it.
//
// AppFeed carries the records from the pipe reader to any number of models (a prediction on
// the chosen placement and one with everything in local DRAM read the same records); each
// model blocks only when the thread it must simulate next has sent nothing yet.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fabric/region.h"
#include "fabric/topology.h"
#include "frontend/app_sampling.h"
#include "frontend/app_trace.h"
#include "frontend/histogram.h"
#include "frontend/placement.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

using AppBatch = std::vector<AppRecord>;

// Thread-safe queues of record batches, one per (model, thread). The reader pushes; each model
// pops its own copy (batches are shared, freed when every model has read them).
class AppFeed {
 public:
  // Back-pressure: push() waits while the slowest model has more than `cap` records queued, unless
  // a model waits for a thread with nothing queued (it may need records behind the cap).
  explicit AppFeed(unsigned models, uint64_t cap = uint64_t{8} << 20)
      : models_(models), cap_(cap) {}
  void push(uint32_t thread, const std::shared_ptr<const AppBatch>& batch);
  // No more batches will come (the pipe closed).
  void close();
  // Model `m`'s next batch of `thread`: blocks until one is there; null once closed and empty.
  std::shared_ptr<const AppBatch> pop(unsigned m, uint32_t thread);
  // Whether pop(m, thread) would return at once, waiting at most `wait` for it.
  bool ready(unsigned m, uint32_t thread, std::chrono::milliseconds wait);
  // Waits until pop(m, t) would return at once for one of `threads`.
  void wait_any(unsigned m, const std::vector<uint32_t>& threads);
  // Batches queued for any model, in records (for progress and back-pressure reports).
  [[nodiscard]] uint64_t records_in() const { return records_in_; }

 private:
  struct Queues {
    std::vector<std::deque<std::shared_ptr<const AppBatch>>> of_thread;
    uint64_t consumed = 0;  // records popped
  };
  [[nodiscard]] uint64_t backlog() const;  // records the slowest model has not popped (mu_ held)
  [[nodiscard]] bool has(unsigned m, uint32_t thread) const;  // mu_ held
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Queues> models_;
  std::condition_variable space_;
  uint64_t cap_;
  unsigned waiting_ = 0;  // models waiting in pop()
  bool closed_ = false;
  uint64_t records_in_ = 0;
};

// Reads the plugin's pipe until end of file, pushing batches into `feed` (closed at the end).
// Throws ParseError on a malformed stream.
void read_app_stream(int fd, AppFeed& feed);

// Sampled simulation with two predictions at once (the chosen placement and all-DRAM): the
// plugin places the windows by the clocks of one of them (the writer), so in the other the
// threads' windows need not fall together, and rates measured in windows that do not overlap
// miss the contention between threads. So the writer records, per thread, each window's pace
// (time per instruction over the same records in both) and when the next started; the reader
// starts its windows at those times scaled by the ratio of the two predictions' paces, which
// keeps its windows together as well.
class AppSkipLedger {
 public:
  void put(uint32_t thread, double pace, double next_ps);
  // The `k`-th entry of `thread` (the window's pace, when the next starts), waiting for it;
  // nullopt once closed without it.
  std::optional<std::pair<double, double>> get(uint32_t thread, size_t k);
  void close();  // the writer ended

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<std::pair<double, double>>> of_thread_;
  bool closed_ = false;
};

struct AppModelConfig {
  timing::HostProfile host;  // host.cache: the shared LLC (enabled false: none)
  timing::DeviceProfile local_dram;
  Topology topology;
  std::function<timing::DeviceProfile(const std::string&)> device_for;
  std::vector<RegionRequest> regions;  // empty: timing::default_regions; CXL pages go to the first
  PlacementPolicy placement;
  Duration epoch = Duration::ns(100000);  // width of a time-series bin (simulated)
  unsigned max_threads = 1024;
  // Sampled simulation (app_sampling.h, docs/app_mode.md#sampled-simulation): the schedule
  // the plugin was given. The records' kPhase marks decide what runs in detail; in a detail
  // window every record goes through the cores and the timing System. Outside, warm records
  // place pages and warm the LLC, touches place pages, and the thread runs its instructions at
  // the profile's rate plus, per L2 miss the plugin counted, the memory stall measured in the
  // measured part of its last window (after the window's first quarter, which lets queues
  // refill; a chained miss at most the window's mean load latency); the skipped misses count
  // towards each memory's traffic at that window's rates.
  AppSampling sampling;
};

struct AppThreadResult {
  uint32_t thread = 0;
  double start_ns = 0, end_ns = 0;
  uint64_t instructions = 0, accesses = 0;
  uint64_t reads = 0, ownership = 0, writebacks = 0;  // records below the L2
  double stall_ns = 0;                                // time retirement waited for memory
};

struct AppTargetResult {
  std::string name;
  bool cxl = false;
  uint64_t reads = 0, writes = 0;
};

struct AppResult {
  double predicted_ns = 0;
  std::vector<AppThreadResult> threads;
  std::vector<AppTargetResult> targets;  // local DRAM first, then each memdev
  LatencyHistogram latency;  // demand reads below the L2 (LLC hits included), issue to data
  uint64_t llc_hits = 0, llc_misses = 0, llc_writebacks = 0;
  uint64_t prefetches = 0, prefetch_hits = 0;
  uint64_t dram_pages = 0, cxl_pages = 0, spilled_pages = 0;
  double epoch_ns = 0;
  std::vector<std::vector<uint64_t>> epoch_bytes;  // [epoch][target]
  bool forked = false, execed = false;  // the program forked or exec'ed: that part ran unobserved
  uint64_t sampled_instructions = 0;    // run between detail windows (sampled simulation)
};

// One prediction. The constructor builds the system (throws ValidationError / RegionError on a
// bad topology, region or placement); run() consumes model `m`'s records of `feed` until every
// thread ended and the feed is closed.
class AppModel {
 public:
  explicit AppModel(const AppModelConfig& cfg);
  ~AppModel();
  AppResult run(AppFeed& feed, unsigned m);
  // Sampled simulation: this model writes each thread's clock there at the end of each of its
  // windows (the plugin places the windows by them). Call before run().
  void publish_clocks(AppSampleClocks* clocks);
  // Sampled simulation with two predictions: this one writes its skips to `ledger`, or (reads
  // true) runs its skips by the ledger's (AppSkipLedger). Call before run().
  void share_skips(std::shared_ptr<AppSkipLedger> ledger, bool reads);
  // Simulated time reached so far (ns); any thread may read it.
  [[nodiscard]] double progress_ns() const;

  struct Impl;  // defined in app_model.cc (the cores there reach it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cxlsim::frontend
