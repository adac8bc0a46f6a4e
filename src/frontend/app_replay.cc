#include "frontend/app_replay.h"

#include <exception>
#include <memory>
#include <thread>

#include "timing/core_caches.h"

namespace cxlsim::frontend {
namespace {

constexpr size_t kBatch = 4096;  // records per batch, as the plugin's

// Thread 0's side of the plugin for a trace: private caches, records, batches.
class TraceThread {
 public:
  TraceThread(const timing::AppCoreConfig& c, AppFeed& feed, TraceFeedStats& st)
      : caches_(c.l1d_size.value(), c.l1d_ways, c.l2_size.value(), c.l2_ways),
        feed_(feed),
        st_(st) {}

  void record(const TraceRecord& r) {
    pos_ += r.insns;
    const uint64_t first = r.address >> 6, last = (r.address + r.size - 1) >> 6;
    uint16_t dep = 0;
    if (!r.write) {
      // The chase rule (app_replay.h): same instruction as the previous load, which missed.
      if (r.pc != 0 && !r.modify && r.pc == prev_load_pc_ && prev_load_miss_ != 0 &&
          seq_ + 1 - prev_load_miss_ < 65536) {
        dep = static_cast<uint16_t>(seq_ + 1 - prev_load_miss_);
      }
      prev_load_pc_ = r.modify ? 0 : r.pc;
      prev_load_miss_ = 0;
    }
    for (uint64_t line = first; line <= last; ++line) {
      ++st_.accesses;
      const timing::CoreCacheOutcome o = caches_.access(line, r.write);
      for (unsigned i = 0; i < o.writebacks; ++i) emit(AppKind::kWriteback, o.writeback[i]);
      if (!o.miss) {
        ++st_.l2_hits;
        continue;
      }
      if (r.write) {
        emit(AppKind::kOwnership, line);
        continue;
      }
      ++seq_;
      if (line == first) prev_load_miss_ = seq_;
      if (line == first && dep != 0) ++st_.dependent;
      emit(AppKind::kRead, line, line == first ? dep : 0);
    }
  }

  void end(uint64_t trailing_insns) {
    pos_ += trailing_insns;
    emit(AppKind::kExit, st_.records);
    flush();
  }

 private:
  void emit(AppKind kind, uint64_t addr, uint16_t dep = 0) {
    uint64_t gap = pos_ - last_;
    while (gap > UINT32_MAX) {
      AppRecord c;
      c.kind = AppKind::kCompute;
      c.insns = UINT32_MAX;
      push(c);
      gap -= UINT32_MAX;
    }
    last_ = pos_;
    AppRecord r;
    r.addr = addr;
    r.insns = static_cast<uint32_t>(gap);
    r.kind = kind;
    r.dep = dep;
    switch (kind) {
      case AppKind::kRead:
        ++st_.reads;
        break;
      case AppKind::kOwnership:
        ++st_.ownership;
        break;
      case AppKind::kWriteback:
        ++st_.writebacks;
        break;
      default:
        break;
    }
    push(r);
  }
  void push(const AppRecord& r) {
    if (!batch_) {
      batch_ = std::make_shared<AppBatch>();
      batch_->reserve(kBatch);
    }
    batch_->push_back(r);
    if (batch_->size() == kBatch) flush();
  }
  void flush() {
    if (batch_ && !batch_->empty()) feed_.push(0, batch_);
    batch_.reset();
  }

  timing::CoreCaches caches_;
  AppFeed& feed_;
  TraceFeedStats& st_;
  std::shared_ptr<AppBatch> batch_;
  uint64_t pos_ = 0, last_ = 0;  // instructions so far, and at the previous record
  uint64_t seq_ = 0;             // kRead records emitted
  uint64_t prev_load_pc_ = 0;    // the previous load's instruction (0: none or unknown)
  uint64_t prev_load_miss_ = 0;  // its kRead number when it missed the L2, else 0
};

}  // namespace

TraceFeedStats feed_trace(TraceReader& trace, const timing::AppCoreConfig& core, AppFeed& feed,
                          const std::function<void(uint64_t, uint64_t)>& progress) {
  TraceFeedStats st;
  try {
    TraceThread t(core, feed, st);
    TraceRecord r;
    while (trace.next(r)) {
      ++st.records;
      st.instructions += r.insns;
      t.record(r);
      if (progress && (st.records & 0xFFFF) == 0) progress(trace.position(), trace.total());
    }
    st.instructions += trace.trailing_instructions();
    st.has_instructions = trace.has_instructions();
    t.end(trace.trailing_instructions());
    if (progress) progress(trace.position(), trace.total());
  } catch (...) {
    feed.close();
    throw;
  }
  feed.close();
  return st;
}

TraceRunOutcome run_trace(TraceReader& trace, const timing::AppCoreConfig& core,
                          AppModel& predicted, AppModel& baseline,
                          const std::function<void(uint64_t, uint64_t)>& progress) {
  AppFeed feed(2);
  TraceRunOutcome out;
  std::exception_ptr errs[3];
  auto model = [&](AppModel& m, unsigned i, AppResult& r) {
    return std::thread([&, i] {
      try {
        r = m.run(feed, i);
      } catch (...) {
        errs[1 + i] = std::current_exception();
      }
    });
  };
  std::thread m0 = model(predicted, 0, out.predicted);
  std::thread m1 = model(baseline, 1, out.baseline);
  try {
    out.stats = feed_trace(trace, core, feed, progress);
  } catch (...) {
    errs[0] = std::current_exception();
  }
  m0.join();
  m1.join();
  for (auto& e : errs) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

}  // namespace cxlsim::frontend
