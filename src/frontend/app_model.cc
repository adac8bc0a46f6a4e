#include "frontend/app_model.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "spec/error.h"
#include "timing/host_cache.h"
#include "timing/requester.h"
#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::frontend {
using namespace cxlsim::timing;

// ---- AppFeed ----------------------------------------------------------------------------

uint64_t AppFeed::backlog() const {
  uint64_t least = records_in_;
  for (const auto& m : models_) least = std::min(least, m.consumed);
  return records_in_ - least;
}

void AppFeed::push(uint32_t thread, const std::shared_ptr<const AppBatch>& batch) {
  {
    std::unique_lock<std::mutex> l(mu_);
    space_.wait(l, [&] { return backlog() < cap_ || waiting_ > 0; });
    records_in_ += batch->size();
    for (auto& m : models_) {
      if (m.of_thread.size() <= thread) m.of_thread.resize(thread + 1);
      m.of_thread[thread].push_back(batch);
    }
  }
  cv_.notify_all();
}

void AppFeed::close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool AppFeed::has(unsigned m, uint32_t thread) const {
  const auto& q = models_[m].of_thread;
  return closed_ || (q.size() > thread && !q[thread].empty());
}

bool AppFeed::ready(unsigned m, uint32_t thread, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> l(mu_);
  ++waiting_;  // back-pressure must not hold back what this waits for
  space_.notify_one();
  const bool r = cv_.wait_for(l, wait, [&] { return has(m, thread); });
  --waiting_;
  return r;
}

void AppFeed::wait_any(unsigned m, const std::vector<uint32_t>& threads) {
  std::unique_lock<std::mutex> l(mu_);
  ++waiting_;
  space_.notify_one();
  cv_.wait(l, [&] {
    return std::any_of(threads.begin(), threads.end(), [&](uint32_t t) { return has(m, t); });
  });
  --waiting_;
}

std::shared_ptr<const AppBatch> AppFeed::pop(unsigned m, uint32_t thread) {
  std::unique_lock<std::mutex> l(mu_);
  auto& q = models_[m].of_thread;
  for (;;) {
    if (q.size() > thread && !q[thread].empty()) {
      auto b = std::move(q[thread].front());
      q[thread].pop_front();
      models_[m].consumed += b->size();
      space_.notify_one();
      return b;
    }
    if (closed_) return nullptr;
    ++waiting_;
    space_.notify_one();
    cv_.wait(l);
    --waiting_;
  }
}

namespace {

// Reads exactly `len` bytes; false at end of file before the first byte. Throws on a short read.
bool read_full(int fd, void* p, size_t len) {
  auto* c = static_cast<char*>(p);
  size_t got = 0;
  while (got < len) {
    const ssize_t r = ::read(fd, c + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw ParseError(fmt::format("reading the plugin's stream: errno {}", errno));
    if (r == 0) {
      if (got == 0) return false;
      throw ParseError("the plugin's stream ended inside a batch");
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

// Buffers of batches every model has read, reused for the next batches: once the pipeline is
// full no batch allocates or zeroes memory. Shared with the batches' deleters (a model may drop
// the last batch after the reader returned).
class BatchPool : public std::enable_shared_from_this<BatchPool> {
 public:
  // A batch of `count` records (their contents undefined until read into).
  std::shared_ptr<AppBatch> get(size_t count) {
    std::unique_ptr<AppBatch> b;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!b) b = std::make_unique<AppBatch>();
    b->resize(count);
    return {b.release(), [pool = shared_from_this()](AppBatch* p) { pool->put(p); }};
  }

 private:
  static constexpr size_t kKept = 256;  // buffers kept for reuse at most
  void put(AppBatch* p) {
    std::unique_ptr<AppBatch> b(p);
    std::lock_guard<std::mutex> l(mu_);
    if (free_.size() < kKept) free_.push_back(std::move(b));
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<AppBatch>> free_;
};

}  // namespace

void read_app_stream(int fd, AppFeed& feed) {
  const auto pool = std::make_shared<BatchPool>();
  try {
    AppBatchHeader h;
    while (read_full(fd, &h, sizeof h)) {
      if (h.magic != kAppTraceMagic) {
        throw ParseError("the plugin's stream is malformed (bad batch magic)");
      }
      if (h.count == 0 || h.count > (1u << 20)) {
        throw ParseError(
            fmt::format("the plugin's stream is malformed ({} records in a batch)", h.count));
      }
      auto b = pool->get(h.count);
      if (!read_full(fd, b->data(), h.count * sizeof(AppRecord))) {
        throw ParseError("the plugin's stream ended inside a batch");
      }
      feed.push(h.thread, std::move(b));
    }
  } catch (...) {
    feed.close();
    throw;
  }
  feed.close();
}

// ---- AppSkipLedger ------------------------------------------------------------------------

void AppSkipLedger::put(uint32_t thread, double pace, double next_ps) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (of_thread_.size() <= thread) of_thread_.resize(thread + 1);
    of_thread_[thread].emplace_back(pace, next_ps);
  }
  cv_.notify_all();
}

std::optional<std::pair<double, double>> AppSkipLedger::get(uint32_t thread, size_t k) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(
      l, [&] { return closed_ || (of_thread_.size() > thread && of_thread_[thread].size() > k); });
  if (of_thread_.size() > thread && of_thread_[thread].size() > k) return of_thread_[thread][k];
  return std::nullopt;
}

void AppSkipLedger::close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

// ---- the model ---------------------------------------------------------------------------

namespace {

constexpr uint64_t kLocalSize = uint64_t{64} << 30;
constexpr uint64_t kPrefetchTag = uint64_t{1} << 63;   // tag: a prefetch of line (tag & kTagMask)
constexpr uint64_t kWritebackTag = uint64_t{1} << 62;  // an LLC victim written back
constexpr uint64_t kOwnTag = uint64_t{1} << 61;        // a store's read for ownership
constexpr uint64_t kTagMask = kOwnTag - 1;
constexpr size_t kMaxEpochs = 4096;  // epochs double in width beyond this

// std::llround(x), without a library call for 0 <= x < 2^53 (run per record): there x minus its
// integer part is exact.
int64_t round_nonnegative(double x) {
  if (!(x >= 0 && x < 0x1p53)) return std::llround(x);
  const auto i = static_cast<int64_t>(x);
  return x - static_cast<double>(i) >= 0.5 ? i + 1 : i;
}

}  // namespace

class AppCore;

struct AppModel::Impl {
  AppModelConfig cfg;
  std::unique_ptr<System> sys;
  std::unique_ptr<Placement> place;
  std::unique_ptr<HostCache> llc;
  std::vector<std::unique_ptr<AppCore>> cores;
  RequestPool hits;  // carriers of LLC-hit completions (they never reach the System)
  AppFeed* feed = nullptr;
  unsigned model = 0;
  double ps_per_insn = 0;
  uint64_t window_insns = 0;
  AppResult out;
  int64_t epoch_ps = 0;
  std::atomic<int64_t> progress_ps{0};

  explicit Impl(AppModelConfig c);
  AppResult run(AppFeed& f, unsigned m);
  AppCore& core(uint64_t thread);
  // Cores that run (activated, not ended, not parked in a blocking system call), and the parked.
  unsigned running = 0;
  std::vector<AppCore*> parked;
  void park(AppCore* c, int64_t now);
  void unpark_all(int64_t now);
  void stopped(int64_t now) {  // a running core parked or ended
    if (--running == 0) unpark_all(now);
  }
  // Sampled simulation: whether the plugin samples, and where this model writes the threads'
  // clocks (null: it does not; only one of the models does).
  bool sampling = false;
  AppSampleClocks* clocks = nullptr;
  std::shared_ptr<AppSkipLedger> ledger;  // null: none (one prediction)
  bool ledger_reads = false;
  double windows_here = 0, windows_there = 0;  // a reader's: all windows' paces, both sides
  std::map<int64_t, double> period_ratio;      // ... and their ratio, once per period
  // The share of events that were so, of late: both counts halve every `span` events.
  struct RecentShare {
    double yes = 0, all = 0;
    double span = 4096;
    void add(bool so) {
      yes += so ? 1 : 0;
      if (++all >= span) {
        yes /= 2;
        all /= 2;
      }
    }
    [[nodiscard]] double value() const { return all > 0 ? yes / all : 0; }
  };
  // Sampled: the tracked lines' LLC lookups that hit, per kind of lookup (they hit at very
  // different rates: a stream's prefetches miss, its demand reads then hit, an L2 victim's
  // write finds its line), and fills that evicted a dirty line; the draws made for other lines.
  enum class Lookup : uint8_t { kDemand, kPrefetch, kWriteback };
  struct Tracked {
    std::array<RecentShare, 3> hits;
    // A shorter memory: the rate jumps when the LLC has filled with dirty lines, and learned
    // over 4096 fills it lagged a write-heavy phase by a dozen windows.
    RecentShare dirty_victims{0, 0, 256};
    uint64_t draws = 0;
  } tracked;
  // Reads and writes each target served between windows (added to its System stats at the end).
  std::vector<uint64_t> sampled_reads, sampled_writes;

  void count_epoch(int64_t now, uint16_t target) { add_bytes(now, target, 64); }
  // `bytes` to `target` spread evenly over [t0, t1) (all at t0 when t1 <= t0).
  void spread_bytes(int64_t t0, int64_t t1, uint16_t target, uint64_t bytes) {
    uint64_t left = bytes;
    for (int64_t t = t0; left > 0;) {
      const int64_t end = (t / epoch_ps + 1) * epoch_ps;
      uint64_t part = left;
      if (end < t1) {
        part = static_cast<uint64_t>(static_cast<double>(bytes) * static_cast<double>(end - t) /
                                     static_cast<double>(t1 - t0));
        part = std::min(part, left);
      }
      add_bytes(t, target, part);
      left -= part;
      t = end;
    }
  }
  void add_bytes(int64_t now, uint16_t target, uint64_t bytes) {
    auto e = static_cast<size_t>(now / epoch_ps);
    while (e >= kMaxEpochs) {
      auto& b = out.epoch_bytes;
      for (size_t i = 0; i < b.size(); ++i) {
        if (i % 2 == 0) {
          b[i / 2] = b[i];
        } else {
          for (size_t t = 0; t < b[i].size(); ++t) b[i / 2][t] += b[i][t];
        }
      }
      b.resize((b.size() + 1) / 2);
      epoch_ps *= 2;
      e = static_cast<size_t>(now / epoch_ps);
    }
    if (out.epoch_bytes.size() <= e) {
      out.epoch_bytes.resize(e + 1, std::vector<uint64_t>(sys->targets().size(), 0));
    }
    out.epoch_bytes[e][target] += bytes;
  }
};

// One guest thread's core (see app_model.h for the model).
class AppCore final : public Requester {
  using Lookup = AppModel::Impl::Lookup;
  using RecentShare = AppModel::Impl::RecentShare;

 public:
  AppCore(AppModel::Impl& m, uint32_t thread) : m_(m), skip_bytes_(m.sys->targets().size(), 0) {
    res_.thread = thread;
  }
  void start(System&, Duration) override {}
  [[nodiscard]] bool active() const { return active_; }
  // The system call that parked it may have returned: its thread goes on from `now` (or from
  // where it was, if later).
  void unpark(int64_t now) {
    parked_ = false;
    win_t_ = std::max(win_t_, now);  // a window's measure starts a quarter after the sleep
    mark_t_ = -1;                    // the sleep is no part of the thread's stall per access
    ret_t_ = std::max(ret_t_, now);
    want_wake(ret_t_);
  }

  // Whether the thread, parked in a system call it may sleep in, has gone on in the program (its
  // next record is there), waiting at most `wait` for it. A thread still asleep in the program
  // stays parked: the model must not wait for records that may wait for the model (the plugin
  // holds a thread at the end of each detail window until its clock is written).
  bool may_resume(std::chrono::milliseconds wait) {
    if (source_done_ || (batch_ && bi_ < batch_->size())) return true;
    return m_.feed->ready(m_.model, res_.thread, wait);
  }
  bool asleep = false;  // stayed parked once: further checks do not wait
  [[nodiscard]] uint32_t thread() const { return res_.thread; }

  // A system call the thread may sleep in until another thread acts: futex waits, wait4, waitid.
  static bool blocks(uint64_t syscall) {
    const uint64_t num = syscall & 0xffffffff, cmd = (syscall >> 32) & 0x7f;
    if (num == 202) {
      return cmd == 0 || cmd == 6 || cmd == 9 ||
             cmd == 11;  // FUTEX_WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI
    }
    return num == 61 || num == 247;
  }
  [[nodiscard]] const AppThreadResult& result() const { return res_; }

  // A new thread's skips start at its creator's rates (its own window may come late).
  void inherit(const AppCore& parent) {
    ps_per_line_ = parent.ps_per_line_;
    ps_per_chained_ = parent.ps_per_chained_;
    rate_ = parent.rate_;
  }
  void activate(int64_t now) {
    if (active_) return;
    active_ = true;
    ++m_.running;
    res_.start_ns = static_cast<double>(now) / 1000.0;
    ret_t_ = now;
    win_t_ = now;
    want_wake(now);
  }
  void complete(System&, Request& r, Duration now) override {
    m_.count_epoch(now.picoseconds(), r.target);
    if (r.tag & kWritebackTag) return;
    if (m_.llc) {
      llc_fill(r.hpa, (r.tag & kOwnTag) != 0);
    }
    done(r.tag, now.picoseconds());
  }
  void on_event(Request* req, Duration now) override {
    if (req != nullptr) {  // an LLC hit's data is back
      const uint64_t tag = req->tag;
      m_.hits.put(req);
      done(tag, now.picoseconds());
      return;
    }
    if (now.picoseconds() >= wake_at_) wake_at_ = -1;
    advance(now.picoseconds());
  }

 private:
  // Two counts: lines read and written, or the L2's misses and chained misses.
  struct Lines {
    uint64_t read = 0, write = 0;
  };
  struct Entry {
    AppRecord r;
    uint64_t pos = 0;  // instructions before it, since the thread started
    uint64_t seq = 0;  // reads: 1, 2, ... in program order
    int64_t issued_at = 0, done = 0;
    int64_t not_before = 0;  // dependent reads: the earliest issue (source data + load-to-use)
    bool ready = false;
    bool skip = false;         // kCompute standing for what ran between detail windows
    bool window_next = false;  // a skip after which a detail window starts
    Lines misses;              // a skip: the L2's misses and chained misses at its end
  };
  struct Stream {
    uint64_t last = ~uint64_t{0}, next = 0, used = 0;
    unsigned confirmed = 0;
  };
  struct Prefetch {
    uint64_t line = 0;  // line + 1; 0: empty
    bool ready = false;
    int64_t waiter = -1;  // absolute index of the demand read merged into it
  };

  [[nodiscard]] int64_t span(uint64_t insns) const {
    return round_nonnegative(static_cast<double>(insns) * m_.ps_per_insn);
  }
  void want_wake(int64_t t) {
    if (wake_at_ >= 0 && wake_at_ <= t) return;
    wake_at_ = t;
    m_.sys->schedule(Duration::ps(t), this, nullptr);
  }

  void advance(int64_t now) {
    if (!active_ || finished_ || parked_) return;
    if (now < ret_t_) {  // a skip took the thread beyond now
      want_wake(ret_t_);
      return;
    }
    retire(now);
    if (finished_ || parked_) return;  // parked: its next records may not exist yet
    issue(now);
    retire(now);
    if (front_ == 0 && !q_.empty() && q_.front().skip) jump(now);  // all before it retired
    if ((++calls_ & 0xFFF) == 0) m_.progress_ps.store(now, std::memory_order_relaxed);
  }

  // Retires issued entries in order up to `now`; a read retires once its data is back.
  void retire(int64_t now) {
    while (front_ > 0 && !finished_ && !parked_) {
      Entry& e = q_.front();
      int64_t t = ret_t_ + span(e.pos - ret_I_);
      if (e.r.kind == AppKind::kRead) {
        if (!e.ready) return;  // its completion advances the core
        if (e.done > t) {
          res_.stall_ns += static_cast<double>(e.done - t) / 1000.0;
          t = e.done;
        }
      }
      if (t > now) {
        want_wake(t);
        return;
      }
      ret_t_ = t;
      ret_I_ = e.pos;
      on_retire(e, t);
      if (e.r.kind == AppKind::kRead) retired_done_[e.seq % kRetiredDone] = e.done;
      q_.pop_front();
      ++base_;
      --front_;
    }
  }

  void on_retire(const Entry& e, int64_t t) {
    switch (e.r.kind) {
      case AppKind::kSpawn:
        m_.core(e.r.addr).inherit(*this);
        m_.core(e.r.addr).activate(t);
        break;
      case AppKind::kExit:
        add_extrapolated();
        finished_ = true;
        res_.end_ns = static_cast<double>(t) / 1000.0;
        res_.accesses = e.r.addr;
        res_.instructions = e.pos;
        m_.unpark_all(t);  // the kernel wakes a joiner when a thread ends
        m_.stopped(t);
        break;
      case AppKind::kSyscall:
        if (blocks(e.r.addr)) {
          parked_ = true;
          m_.park(this, t);
        } else {
          m_.unpark_all(t);  // a wake, perhaps: parked threads go on
        }
        break;
      case AppKind::kFork:
        (e.r.addr == 0 ? m_.out.forked : m_.out.execed) = true;
        break;
      default:
        break;
    }
  }

  // How far (in instructions) the core has got by `now`: retirement runs on at the profile's
  // rate until it reaches a read whose data is not back. The search starts where the last one
  // stopped (`unready_`, absolute): the entries before it were ready or not reads, and an
  // entry never becomes unready again.
  uint64_t reach(int64_t now, bool& capped) {
    capped = false;
    const auto ran = static_cast<uint64_t>(static_cast<double>(now - ret_t_) / m_.ps_per_insn);
    uint64_t r = ret_I_ + ran;
    size_t i = unready_ > base_ ? static_cast<size_t>(unready_ - base_) : 0;
    for (; i < front_; ++i) {
      const Entry& e = q_[i];
      if (e.r.kind == AppKind::kRead && !e.ready) {
        if (e.pos < r) {
          r = e.pos;
          capped = true;
        }
        break;
      }
    }
    unready_ = base_ + i;
    return r;
  }

  // The thread's next record (waiting for its batch), or null once its stream closed.
  const AppRecord* peek() {
    while (!batch_ || bi_ == batch_->size()) {
      batch_ = m_.feed->pop(m_.model, res_.thread);
      bi_ = 0;
      if (!batch_) return nullptr;
    }
    return &(*batch_)[bi_];
  }

  static bool is_access(AppKind k) {
    return k == AppKind::kRead || k == AppKind::kOwnership || k == AppKind::kWriteback;
  }

  bool fetch(int64_t now) {
    if (source_done_) return false;
    const AppRecord* next = peek();
    if (next == nullptr) {  // the stream closed without the thread's exit: it ends here
      source_done_ = true;
      Entry e;
      e.r.kind = AppKind::kExit;
      e.pos = pos_;
      q_.push_back(e);
      return true;
    }
    if (skippable(next->kind) && (phase_ != AppPhase::kDetail || leaves_detail(*next))) {
      fetch_skip(now);
      return true;
    }
    Entry e;
    e.r = *next;
    ++bi_;
    pos_ += e.r.insns;
    e.pos = pos_;
    switch (e.r.kind) {
      case AppKind::kRead:
        e.seq = ++seq_;
        ++res_.reads;
        break;
      case AppKind::kOwnership:
        ++res_.ownership;
        break;
      case AppKind::kWriteback:
        ++res_.writebacks;
        break;
      case AppKind::kExit:
        source_done_ = true;
        batch_.reset();
        break;
      default:  // marks in detail (kPhase, kChained) and the rest: nothing to count
        break;
    }
    q_.push_back(e);
    return true;
  }

  // Issues entries in program order while the window, the fill buffers and dependencies allow.
  void issue(int64_t now) {
    const HostProfile& h = m_.cfg.host;
    for (;;) {
      // Nothing is fetched past a system call the thread may sleep in before it retired: the
      // thread's next records may wait for other threads' progress in the model.
      if (front_ == q_.size() && (waits_in_syscall() || !fetch(now))) return;
      Entry& e = q_[front_];
      if (e.skip) return;  // advance() runs it once every entry before it retired
      const AppKind k = e.r.kind;
      if (k == AppKind::kRead || k == AppKind::kOwnership) {
        bool capped = false;
        const uint64_t r = reach(now, capped);
        if (e.pos > r + m_.window_insns) {
          if (!capped) want_wake(ret_t_ + span(e.pos - m_.window_insns - ret_I_) + 1);
          return;
        }
        if (k == AppKind::kRead && e.r.dep != 0 && !source_ready(e, now)) return;
        if (demand_ >= h.lfb || total_ >= h.max_outstanding) return;
        const uint64_t abs = base_ + front_;
        e.issued_at = now;
        if (k == AppKind::kOwnership) e.ready = true;  // a store never holds up retirement
        Prefetch* pf = find_prefetch(e.r.addr);
        if (pf != nullptr) {
          ++m_.out.prefetch_hits;
          if (pf->ready) {
            e.ready = true;
            e.done = now;
            pf->line = 0;
          } else if (k == AppKind::kRead) {
            pf->waiter = static_cast<int64_t>(abs);
          }
        } else {
          ++demand_;
          ++total_;
          send(e.r.addr, k == AppKind::kOwnership ? (kOwnTag | abs) : abs, now);
        }
        train(e.r.addr, now);
      } else if (k == AppKind::kWriteback) {
        write_to_llc(e.r.addr);
        e.ready = true;
      } else {
        e.ready = true;
      }
      count_issue(e, now);
      ++front_;
    }
  }

  [[nodiscard]] bool waits_in_syscall() const {
    return !q_.empty() && q_.back().r.kind == AppKind::kSyscall && blocks(q_.back().r.addr);
  }

  // Whether read number `seq` (issued, earlier in program order) still waits for its data.
  // Whether dependent read `e` may issue at `now`: its source's data is back and the core has
  // had the load-to-use time since (the host's chase_overhead, jittered by loop_jitter as MLC's
  // chaser is, so that a chain does not lock onto one phase of the memory's clocks). A source
  // already retired was back long ago.
  bool source_ready(Entry& e, int64_t now) {
    const uint64_t seq = e.seq - e.r.dep;
    for (size_t i = front_; i-- > 0;) {
      const Entry& src = q_[i];
      if (src.r.kind != AppKind::kRead) continue;
      if (src.seq < seq) break;
      if (src.seq != seq) continue;
      if (!src.ready) return false;  // its completion advances the core
      return thought(e, src.done, now);
    }
    return thought(e, retired_done_[seq % kRetiredDone], now);
  }
  bool thought(Entry& e, int64_t source_done, int64_t now) {
    if (e.not_before == 0) e.not_before = source_done + think();
    if (now >= e.not_before) return true;
    want_wake(e.not_before);
    return false;
  }
  int64_t think() {
    const HostProfile& h = m_.cfg.host;
    const int64_t c = h.chase_overhead.picoseconds();
    const auto span = static_cast<int64_t>(static_cast<double>(c) * h.loop_jitter);
    if (span <= 0) return c;
    return c + static_cast<int64_t>(splitmix64(rng_) % static_cast<uint64_t>(2 * span + 1)) - span;
  }

  // A line read (demand, ownership or prefetch) through the LLC to memory.
  void send(uint64_t line, uint64_t tag, int64_t now) {
    const uint64_t hpa = m_.place->map(line * 64) & ~uint64_t{63};
    const Lookup kind = (tag & kPrefetchTag) != 0 ? Lookup::kPrefetch : Lookup::kDemand;
    if (m_.llc && llc_lookup(hpa, (tag & kOwnTag) ? Op::kWrite : Op::kRead, kind)) {
      Request* r = m_.hits.get();
      r->tag = tag;
      r->hpa = hpa;
      m_.sys->schedule(Duration::ps(now) + m_.llc->config().hit_latency, this, r);
      return;
    }
    count_line(hpa, false);
    Request* r = m_.sys->alloc(id());
    r->op = Op::kRead;
    r->hpa = hpa;
    r->tag = tag;
    m_.sys->issue(r);
  }

  // A dirty L2 victim: written into the LLC (a miss installs it without reading memory).
  void write_to_llc(uint64_t line) {
    const uint64_t hpa = m_.place->map(line * 64) & ~uint64_t{63};
    if (!m_.llc) {
      write_back(hpa);
      return;
    }
    if (llc_lookup(hpa, Op::kWrite, Lookup::kWriteback)) return;
    llc_fill(hpa, true);
  }

  void write_back(uint64_t hpa) {
    count_line(hpa, true);
    Request* w = m_.sys->alloc(id());
    w->op = Op::kWrite;
    w->hpa = hpa;
    w->tag = kWritebackTag;
    m_.sys->issue(w);
  }

  void done(uint64_t tag, int64_t now) {
    if (tag & kPrefetchTag) {
      --total_;
      Prefetch* pf = find_prefetch(tag & kTagMask);
      if (pf != nullptr) {
        pf->ready = true;
        if (pf->waiter >= 0) {
          Entry& e = q_[static_cast<size_t>(pf->waiter) - base_];
          e.ready = true;
          e.done = now;
          add_latency(now - e.issued_at);
          pf->line = 0;
        }
      }
    } else if (tag & kOwnTag) {
      --demand_;
      --total_;
    } else {
      --demand_;
      --total_;
      Entry& e = q_[static_cast<size_t>(tag) - base_];
      e.ready = true;
      e.done = now;
      add_latency(now - e.issued_at);
    }
    top_up(now);
    advance(now);
  }

  void add_latency(int64_t ps) {
    m_.out.latency.add(static_cast<double>(ps) / 1000.0);
    lat_sum_ += ps;
    ++lat_n_;
  }

  // ---- sampled simulation (AppModelConfig::sampling) ----

  static bool skippable(AppKind k) {
    return is_access(k) || k == AppKind::kPhase || k == AppKind::kChained || k == AppKind::kTouch ||
           k == AppKind::kWarm || k == AppKind::kCompute;
  }
  // A detail window ends at a mark of another phase (its kChained record comes first).
  [[nodiscard]] bool leaves_detail(const AppRecord& r) const {
    const AppRecord* n = &r;
    if (r.kind == AppKind::kChained) {
      if (bi_ + 1 >= batch_->size()) return true;  // the plugin writes both in one batch
      n = &(*batch_)[bi_ + 1];
    }
    return n->kind == AppKind::kPhase && n->dep != static_cast<uint16_t>(AppPhase::kDetail);
  }

  // The measured part of a detail window starts at the first issue a quarter of a window after
  // it began (the queues refill in that quarter) and runs to the issue at which it ends.
  void count_issue(const Entry& e, int64_t now) {
    if (!m_.sampling) return;
    issued_I_ = e.pos;
    if (phase_ == AppPhase::kDetail && m_.ledger) win_issues_.emplace_back(e.pos, now);
    if (mark_t_ < 0 && phase_ == AppPhase::kDetail &&
        now >= win_t_ + m_.cfg.sampling.window_ps / 4) {
      mark_t_ = now;
      mark_I_ = issued_I_;
    }
  }

  // The window ends (its last record fetched at `now`; the L2's miss counts so far): the
  // memory stall over its measured part, split into what a chained miss costs (the window's mean
  // load latency, or less if the stall is smaller) and what any other miss costs; and the memory
  // traffic per miss over all of it. The skips until the next window run at these.
  void end_window(uint64_t lines, uint64_t chained, int64_t now, uint64_t start) {
    const uint64_t l = lines - std::min(lines, win_misses_.read);
    const uint64_t c = std::min(l, chained - std::min(chained, win_misses_.write));
    if (lat_n_ > 0) ps_per_chained_ = static_cast<double>(lat_sum_) / static_cast<double>(lat_n_);
    // A window shorter than a quarter of its length (the plugin's clock ran fast: the rates it
    // had were too high) is measured whole, or the rates could never come down again.
    if (mark_t_ < 0) {
      mark_t_ = win_t_;
      mark_I_ = win_I_;
    }
    win_pace_ = pace(now);
    if (issued_I_ > mark_I_ && issued_I_ > win_I_) {
      // Misses are counted per window: the measured part's share by instructions.
      const double share =
          static_cast<double>(issued_I_ - mark_I_) / static_cast<double>(issued_I_ - win_I_);
      const auto stall =
          static_cast<double>(std::max<int64_t>(0, now - mark_t_ - span(issued_I_ - mark_I_)));
      const double cm = static_cast<double>(c) * share, om = static_cast<double>(l - c) * share;
      // A rate is taken from enough misses only (a few over a long stretch say little).
      if (cm >= kMinMisses) ps_per_chained_ = std::min(ps_per_chained_, stall / cm);
      if (om >= kMinMisses) ps_per_line_ = std::max(0.0, stall - cm * ps_per_chained_) / om;
    }
    mark_t_ = -1;
    if (static_cast<double>(l) >= kMinMisses) {
      const auto a = static_cast<double>(l);
      for (size_t t = 0; t < win_lines_.size(); ++t) {
        rate_[t] = {static_cast<double>(win_lines_[t].read) / a,
                    static_cast<double>(win_lines_[t].write) / a};
      }
      record_rate_ = {static_cast<double>(res_.reads - win_res_.reads) / a,
                      static_cast<double>(res_.ownership - win_res_.ownership) / a,
                      static_cast<double>(res_.writebacks - win_res_.writebacks) / a};
    }
    win_end_t_ = std::max(now, ret_t_);
    publish_clock(start, lines, chained, win_end_t_);
  }

  static constexpr double kMinMisses = 64;

  // The window's time per instruction over its last three quarters by instructions (its
  // first quarter refills the queues), for AppSkipLedger: both predictions run the same
  // records in a window, so both measure the same stretch of the program (by time, the faster
  // one's stretch would start earlier, and a window where the program changes phase would
  // compare different work). 0: the window issued nothing measurable.
  [[nodiscard]] double pace(int64_t now) {
    double p = 0;
    if (!win_issues_.empty() && issued_I_ > win_I_) {
      const uint64_t from = win_I_ + (issued_I_ - win_I_) / 4;
      const auto it = std::lower_bound(win_issues_.begin(), win_issues_.end(),
                                       std::make_pair(from, std::numeric_limits<int64_t>::min()));
      if (it != win_issues_.end() && issued_I_ > it->first) {
        p = static_cast<double>(now - it->second) / static_cast<double>(issued_I_ - it->first);
      }
    }
    win_issues_.clear();
    return p;
  }

  // Time of a stretch outside detail: `insns` instructions, `lines` misses, `chained` of them.
  [[nodiscard]] int64_t skip_time(uint64_t insns, uint64_t lines, uint64_t chained) const {
    const uint64_t c = std::min(chained, lines);
    return span(insns) + round_nonnegative(static_cast<double>(lines - c) * ps_per_line_ +
                                           static_cast<double>(c) * ps_per_chained_);
  }

  // The thread's clock for the plugin: at `insns` instructions and the L2's miss counts it
  // is at `t` (where the skip that follows starts), and runs on at the profile's rate plus the
  // measured stalls per miss: the skip's own time, so the plugin's clock and the model agree.
  void publish_clock(uint64_t insns, uint64_t lines, uint64_t chained, int64_t t) {
    if (m_.clocks == nullptr || res_.thread >= kAppClockThreads) return;
    AppSampleClock& c = m_.clocks->thread[res_.thread];
    const uint64_t v = c.version.load(std::memory_order_relaxed);
    c.version.store(v + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    c.insns.store(insns, std::memory_order_relaxed);
    c.lines.store(lines, std::memory_order_relaxed);
    c.chained.store(chained, std::memory_order_relaxed);
    c.at_ps.store(t, std::memory_order_relaxed);
    c.ps_per_insn.store(m_.ps_per_insn, std::memory_order_relaxed);
    c.ps_per_line.store(ps_per_line_, std::memory_order_relaxed);
    c.ps_per_chained.store(ps_per_chained_, std::memory_order_relaxed);
    c.version.store(v + 2, std::memory_order_release);
  }

  // A window begins at `t` with the L2's miss counts `misses` so far (its first entry is
  // next).
  void start_window(int64_t t, Lines misses) {
    win_t_ = t;
    win_I_ = ret_I_;
    win_misses_ = misses;
    win_res_ = res_;
    for (auto& l : win_lines_) l = {};
    lat_sum_ = 0;
    lat_n_ = 0;
  }

  // Consumes what ran outside detail windows into one skip entry: up to the mark that starts a
  // window, or the next record that is not an access, a touch or a mark. Its time: the
  // instructions at the profile's rate plus its loads and stores at the measured stall.
  void fetch_skip(int64_t now) {
    const int64_t t0 = std::max(now, ret_t_);
    const uint64_t start = pos_;
    Lines skipped, warm;  // the L2's misses (read) and chained ones (write) per phase
    bool window_next = false;
    for (const AppRecord* r = peek(); r != nullptr && skippable(r->kind); r = peek()) {
      pos_ += r->insns;
      ++bi_;
      if (r->kind == AppKind::kChained) {
        chained_next_ = r->addr;
      } else if (r->kind == AppKind::kPhase) {
        const Lines d{r->addr - std::min(r->addr, mark_.read),
                      chained_next_ - std::min(chained_next_, mark_.write)};
        if (phase_ == AppPhase::kDetail) {
          end_window(r->addr, chained_next_, now, start);
        } else {
          Lines& into = phase_ == AppPhase::kSkip ? skipped : warm;
          into.read += d.read;
          into.write += d.write;
        }
        mark_ = {std::max(mark_.read, r->addr), std::max(mark_.write, chained_next_)};
        phase_ = static_cast<AppPhase>(r->dep);
        if (phase_ == AppPhase::kDetail) {
          window_next = true;
          break;
        }
        // The plugin sends a long skip in parts: what came so far is run now, the rest later
        // (the same time in all, as it is linear in what a part counts).
        if (bi_ == batch_->size() &&
            !m_.feed->ready(m_.model, res_.thread, std::chrono::milliseconds(0))) {
          break;
        }
      } else if (r->kind == AppKind::kTouch) {
        m_.place->map(r->addr * 64);
      } else if (r->kind == AppKind::kWarm) {  // a tracked line's LLC state (no traffic)
        const uint64_t hpa = m_.place->map(r->addr * 64) & ~uint64_t{63};
        if (m_.llc) m_.llc->touch(hpa, r->dep != 0);
      } else if (is_access(r->kind)) {
        prefetch_ahead();
        skip_access(*r);
      }
    }
    extrapolate(skipped.read);
    Entry e;
    e.r.kind = AppKind::kCompute;
    e.skip = true;
    e.window_next = window_next;
    e.misses = mark_;
    e.pos = pos_;
    e.issued_at = t0;
    e.done = t0 + skip_time(pos_ - start, skipped.read + warm.read, skipped.write + warm.write);
    issued_I_ = pos_;
    q_.push_back(e);
  }

  // The memory traffic of `lines` skipped L2 misses, at the last window's
  // rates (whole lines; the fractions carry over).
  void extrapolate(uint64_t lines) {
    if (lines == 0) return;
    const auto a = static_cast<double>(lines);
    for (size_t t = 0; t < rate_.size(); ++t) {
      carry_[t].read += a * rate_[t].read;
      carry_[t].write += a * rate_[t].write;
      const auto r = static_cast<uint64_t>(carry_[t].read);
      const auto w = static_cast<uint64_t>(carry_[t].write);
      carry_[t].read -= static_cast<double>(r);
      carry_[t].write -= static_cast<double>(w);
      count_skipped(static_cast<uint16_t>(t), r, w);
    }
    for (size_t i = 0; i < 3; ++i) extra_records_[i] += a * record_rate_[i];
  }
  void add_extrapolated() {
    res_.reads += static_cast<uint64_t>(std::llround(extra_records_[0]));
    res_.ownership += static_cast<uint64_t>(std::llround(extra_records_[1]));
    res_.writebacks += static_cast<uint64_t>(std::llround(extra_records_[2]));
  }

  // The LLC set of the access record a few ahead in the batch, towards the host's caches: the
  // LLC's tags are megabytes, and a skip's random lines would otherwise wait for each set.
  // Only a page already placed: pages are placed in the order of their first touch, so the
  // result depends neither on how far ahead this looks nor on where the plugin ended a batch.
  void prefetch_ahead() {
    constexpr size_t kAhead = 8;
    if (!m_.llc || bi_ + kAhead >= batch_->size()) return;
    const AppRecord& a = (*batch_)[bi_ + kAhead];
    if (is_access(a.kind) && m_.place->placed(a.addr * 64)) {
      m_.llc->prefetch(m_.place->map(a.addr * 64));
    }
  }

  // What send() or write_to_llc() would do to the LLC and memory, without time.
  void skip_access(const AppRecord& r) {
    const uint64_t hpa = m_.place->map(r.addr * 64) & ~uint64_t{63};
    if (r.kind == AppKind::kRead) {
      ++seq_;  // dependency distances count every read
      ++res_.reads;
    } else {
      ++(r.kind == AppKind::kOwnership ? res_.ownership : res_.writebacks);
    }
    const bool write = r.kind != AppKind::kRead;
    if (!m_.llc) {
      skip_memory(hpa, r.kind == AppKind::kWriteback);
      return;
    }
    const HostCache::Touch t = m_.llc->touch(hpa, write);
    // A read or ownership miss reads memory; a write-back's miss installs without a read.
    if (!t.hit && r.kind != AppKind::kWriteback) skip_memory(hpa, false);
    if (t.victim) skip_memory(*t.victim, true);
  }
  // An LLC lookup of `kind`. Sampled, only the tracked lines (app_sampling.h) have the LLC
  // state they would have (the plugin sends theirs between windows too); another line hits as
  // often as the tracked lines' lookups of its kind have of late (a deterministic draw): one
  // share for all kinds drew a stream's prefetches as hits at its demand reads' rate, and lost
  // a sixth of the reads of a stream that writes.
  bool llc_lookup(uint64_t hpa, Op op, Lookup kind) {
    if (!m_.sampling) return m_.llc->lookup(hpa, op);
    RecentShare& share = m_.tracked.hits[static_cast<size_t>(kind)];
    if (tracked_line(hpa >> 6)) {
      const bool hit = m_.llc->lookup(hpa, op);
      share.add(hit);
      return hit;
    }
    m_.llc->lookup(hpa, op);  // its own state, for what it is worth (it counts in the stats)
    return draw(hpa) < share.value();
  }
  // An LLC fill; sampled, another line than a tracked one evicts a dirty line as often as
  // tracked lines' fills have of late (written back as if it were this line: the same page's
  // memory).
  void llc_fill(uint64_t hpa, bool dirty) {
    const auto victim = m_.llc->fill(hpa, dirty);
    if (!m_.sampling) {
      if (victim) write_back(*victim);
    } else if (tracked_line(hpa >> 6)) {
      m_.tracked.dirty_victims.add(victim.has_value());
      if (victim) write_back(*victim);
    } else if (draw(hpa) < m_.tracked.dirty_victims.value()) {
      write_back(hpa & ~uint64_t{63});
    }
  }
  // A deterministic uniform draw in [0, 1) for line `hpa`.
  double draw(uint64_t hpa) {
    uint64_t d = (hpa >> 6) ^ (++m_.tracked.draws << 20);
    return static_cast<double>(splitmix64(d) >> 11) * 0x1p-53;
  }
  // A line the thread's detail window sent to memory (its traffic per load and store).
  void count_line(uint64_t hpa, bool write) {
    if (!m_.sampling || phase_ != AppPhase::kDetail) return;
    auto& l = win_lines_[m_.sys->target_of(hpa)];
    ++(write ? l.write : l.read);
  }
  void skip_memory(uint64_t hpa, bool write) {
    count_skipped(m_.sys->target_of(hpa), write ? 0 : 1, write ? 1 : 0);
  }
  // Lines target `t` read and wrote outside windows: its totals and the skip's bytes.
  void count_skipped(uint16_t t, uint64_t reads, uint64_t writes) {
    m_.sampled_reads[t] += reads;
    m_.sampled_writes[t] += writes;
    skip_bytes_[t] += (reads + writes) * 64;
  }

  // The skip entry at the head: every entry before it has retired. The thread runs its
  // instructions at the profile's rate plus the measured stall per access; its memory traffic
  // is spread over that time.
  void jump(int64_t now) {
    const Entry& e = q_.front();
    const uint64_t insns = e.pos - ret_I_;
    const int64_t t0 = ret_t_;
    int64_t t1 = std::max({now, ret_t_, e.done});
    if (e.window_next && m_.ledger) t1 = share_skip(t1, std::max(now, ret_t_));
    res_.stall_ns += static_cast<double>(std::max<int64_t>(0, t1 - t0 - span(insns))) / 1000.0;
    m_.out.sampled_instructions += insns;
    for (size_t t = 0; t < skip_bytes_.size(); ++t) {
      if (skip_bytes_[t] == 0) continue;
      m_.spread_bytes(t0, t1, static_cast<uint16_t>(t), skip_bytes_[t]);
      skip_bytes_[t] = 0;
    }
    ret_t_ = t1;
    ret_I_ = e.pos;
    mark_t_ = -1;  // entries before the skip may have set it after the window ended
    if (e.window_next) start_window(t1, e.misses);
    q_.pop_front();
    ++base_;
    want_wake(t1);
  }

  // A skip ends at `t1` (its own rates) and a window follows (AppSkipLedger): the writer
  // records the window before it (its pace()) and when the next starts; the reader starts it at
  // that time scaled by the ratio of all windows' paces so far, the reader's to the writer's, taken
  // once per period of the schedule (one ratio for every thread's window of a period, so that
  // windows that fall together in the writer do here too; not before `earliest`).
  int64_t share_skip(int64_t t1, int64_t earliest) {
    const double window = win_pace_;
    const size_t k = skips_++;
    if (!m_.ledger_reads) {
      m_.ledger->put(res_.thread, window, static_cast<double>(t1));
      return t1;
    }
    const auto w = m_.ledger->get(res_.thread, k);
    if (!w) return t1;
    if (window > 0 && w->first > 0) {
      m_.windows_here += window;
      m_.windows_there += w->first;
    }
    if (m_.windows_here <= 0 || m_.windows_there <= 0) return t1;
    const auto period =
        static_cast<int64_t>(w->second) / std::max<int64_t>(1, m_.cfg.sampling.period_ps);
    const double ratio =
        m_.period_ratio.try_emplace(period, m_.windows_here / m_.windows_there).first->second;
    return std::max(earliest, round_nonnegative(ratio * w->second));
  }

  // The stream prefetcher: a miss one or two lines after a tracked stream's last confirms it;
  // a confirmed stream is kept `prefetch_distance` lines ahead of its last demand miss.
  void train(uint64_t line, int64_t now) {
    Stream* s = nullptr;
    Stream* lru = &streams_[0];
    for (Stream& st : streams_) {
      if (st.last != ~uint64_t{0} && line > st.last && line - st.last <= 2) s = &st;
      if (st.used < lru->used) lru = &st;
    }
    if (s == nullptr) {
      // A new, unconfirmed stream takes the least recently used slot; if that slot was the
      // stream being topped up, nothing is topped up until a stream is confirmed again.
      if (current_ == lru) current_ = nullptr;
      *lru = Stream{line, line + 1, ++tick_, 0};
      return;
    }
    s->last = line;
    s->used = ++tick_;
    ++s->confirmed;
    s->next = std::max(s->next, line + 1);
    current_ = s;
    top_up(now);
  }

  void top_up(int64_t now) {
    Stream* s = current_;
    const HostProfile& h = m_.cfg.host;
    if (s == nullptr || h.prefetch_distance == 0) return;
    while (s->next <= s->last + h.prefetch_distance && total_ < h.max_outstanding) {
      const uint64_t l = s->next;
      if (!m_.place->placed(l * 64)) break;  // never into a page the program has not touched
      ++s->next;
      Prefetch& slot = prefetches_[l % kPrefetchSlots];
      if (slot.line == l + 1 || (slot.line != 0 && !slot.ready)) {
        continue;  // present, or the slot is busy
      }
      slot = Prefetch{l + 1, false, -1};
      ++total_;
      ++m_.out.prefetches;
      send(l, kPrefetchTag | l, now);
    }
  }

  AppModel::Impl& m_;
  AppThreadResult res_;
  bool active_ = false, finished_ = false, source_done_ = false;
  bool parked_ = false;   // in a blocking system call: simulated time does not wait for it
  std::deque<Entry> q_;   // issued and fetched entries, oldest (next to retire) first
  uint64_t base_ = 0;     // absolute index of q_.front()
  uint64_t unready_ = 0;  // absolute index where reach() stopped (see there)
  size_t front_ = 0;      // q_[front_] is the next to issue
  std::shared_ptr<const AppBatch> batch_;
  size_t bi_ = 0;
  uint64_t pos_ = 0, seq_ = 0;
  int64_t ret_t_ = 0;   // time of the last retirement
  uint64_t ret_I_ = 0;  // its instruction position
  unsigned demand_ = 0, total_ = 0;
  int64_t wake_at_ = -1;
  uint64_t calls_ = 0;
  uint64_t rng_ = 0x5eed;  // think-time jitter (deterministic)
  // Sampled simulation: the phase the records are in, the L2's miss counts at the last mark,
  // where the current window began (time, instructions, miss counts, the thread's counts),
  // where its measured part began (-1: not yet), the position of the last entry issued, the
  // memory stall per L2 miss (chained, other) measured in the last window, and the pending
  // skip's bytes.
  AppPhase phase_ = AppPhase::kDetail;
  Lines mark_;                         // the L2's miss counts at the last mark
  uint64_t chained_next_ = 0;          // the chained count of the mark that follows
  int64_t win_t_ = 0, win_end_t_ = 0;  // the window's start and end
  double win_pace_ = 0;                // pace() of the last window
  std::vector<std::pair<uint64_t, int64_t>> win_issues_;  // (position, time) of its issues
  size_t skips_ = 0;  // skips before a window so far (AppSkipLedger)
  uint64_t win_I_ = 0;
  Lines win_misses_;
  AppThreadResult win_res_;
  int64_t lat_sum_ = 0;  // the window's demand reads' latencies, and how many
  uint64_t lat_n_ = 0;
  int64_t mark_t_ = -1;
  uint64_t mark_I_ = 0;
  uint64_t issued_I_ = 0;
  double ps_per_line_ = 0, ps_per_chained_ = 0;
  std::vector<uint64_t> skip_bytes_;  // per target
  // Per target: lines the window read and wrote, and per L2 miss (rates) and the
  // fractions of lines the skips have not counted yet (carry).
  struct Rates {
    double read = 0, write = 0;
  };
  std::vector<Lines> win_lines_ = std::vector<Lines>(m_.sys->targets().size());
  std::vector<Rates> rate_ = std::vector<Rates>(m_.sys->targets().size());
  std::vector<Rates> carry_ = std::vector<Rates>(m_.sys->targets().size());
  // The thread's records below the L2 per load and store (reads, ownership, write-backs) in the
  // last window, and the skips' share of them.
  std::array<double, 3> record_rate_ = {};
  std::array<double, 3> extra_records_ = {};
  // When recently retired reads' data came back, by read number (dependencies reach back at
  // most this far among reads still relevant; older ones were back long ago).
  static constexpr size_t kRetiredDone = 256;
  int64_t retired_done_[kRetiredDone] = {};
  Stream streams_[16];
  Stream* current_ = nullptr;
  uint64_t tick_ = 0;
  // Prefetched lines not yet claimed by a demand access, direct-mapped by line: a ready line
  // no demand came for is overwritten by the next prefetch that maps to its slot.
  static constexpr size_t kPrefetchSlots = 512;
  std::vector<Prefetch> prefetches_ = std::vector<Prefetch>(kPrefetchSlots);
  Prefetch* find_prefetch(uint64_t line) {
    Prefetch& p = prefetches_[line % kPrefetchSlots];
    return p.line == line + 1 ? &p : nullptr;
  }
};

AppModel::Impl::Impl(AppModelConfig c) : cfg(std::move(c)) {
  auto dev_for = cfg.device_for ? cfg.device_for : [](const std::string&) -> DeviceProfile {
    throw ValidationError("topology has memory devices but no device profile");
  };
  HostProfile sys_host = cfg.host;
  sys_host.cache.enabled =
      false;  // the LLC is the model's own (write-backs install without a read)
  sys = std::make_unique<System>(sys_host, cfg.local_dram, Bytes(kLocalSize), cfg.topology, dev_for,
                                 cfg.regions);
  uint64_t cxl_base = 0, cxl_size = 0;
  if (!sys->regions().empty()) {
    cxl_base = sys->regions().front().base;
    cxl_size = sys->regions().front().size;
  }
  place = std::make_unique<Placement>(cfg.placement, 0, kLocalSize, cxl_base, cxl_size);
  if (cfg.host.cache.enabled) llc = std::make_unique<HostCache>(cfg.host.cache);
  if (cfg.host.app.insns_per_ns <= 0) {
    throw ValidationError("host profile: [app] insns_per_ns must be positive");
  }
  ps_per_insn = 1000.0 / cfg.host.app.insns_per_ns;
  window_insns =
      static_cast<uint64_t>(cfg.host.ooo_window.nanoseconds() * cfg.host.app.insns_per_ns);
  epoch_ps = std::max<int64_t>(1, cfg.epoch.picoseconds());
  sampling = cfg.sampling.enabled();
  sampled_reads.assign(sys->targets().size(), 0);
  sampled_writes.assign(sys->targets().size(), 0);
  for (unsigned i = 0; i < cfg.max_threads; ++i) {
    cores.push_back(std::make_unique<AppCore>(*this, i));
    sys->add(cores.back().get());
  }
}

// A thread that sleeps in a system call is parked: the model runs the other threads without
// waiting for its records. It goes on when another thread makes a system call or ends (one of
// them may have woken it), or when no thread runs any more. Both depend on simulated time only,
// so a prediction does not depend on how the host scheduled the program.
void AppModel::Impl::park(AppCore* c, int64_t now) {
  parked.push_back(c);
  stopped(now);
}

// A parked thread goes on when it has gone on in the program: its next record came (within a
// few milliseconds the first time, for a thread the kernel woke just now), or, when no thread
// runs any more, once one of them has.
void AppModel::Impl::unpark_all(int64_t now) {
  constexpr std::chrono::milliseconds kWake{5};
  while (!parked.empty()) {
    std::vector<AppCore*> wake;
    wake.swap(parked);
    std::vector<AppCore*> go;
    for (AppCore* c : wake) {
      const bool on = c->may_resume(c->asleep ? std::chrono::milliseconds(0) : kWake);
      c->asleep = !on;
      (on ? go : parked).push_back(c);
    }
    running += static_cast<unsigned>(go.size());
    for (AppCore* c : go) c->unpark(now);
    if (running > 0 || parked.empty()) return;
    std::vector<uint32_t> threads;
    for (AppCore* c : parked) threads.push_back(c->thread());
    feed->wait_any(model, threads);
  }
}

AppCore& AppModel::Impl::core(uint64_t thread) {
  if (thread >= cores.size()) {
    throw ValidationError(
        fmt::format("the program created more than {} threads, the model's limit", cores.size()));
  }
  return *cores[thread];
}

AppResult AppModel::Impl::run(AppFeed& f, unsigned m) {
  feed = &f;
  model = m;
  // A writer that ends (or fails) lets its reader go on without it.
  struct CloseLedger {
    AppSkipLedger* l;
    ~CloseLedger() {
      if (l != nullptr) l->close();
    }
  } close_ledger{ledger && !ledger_reads ? ledger.get() : nullptr};
  cores[0]->activate(0);
  sys->run_until(Duration::ps(std::numeric_limits<int64_t>::max() / 2));
  out.epoch_ns = static_cast<double>(epoch_ps) / 1000.0;
  for (const auto& c : cores) {
    if (!c->active()) continue;
    out.threads.push_back(c->result());
    out.predicted_ns = std::max(out.predicted_ns, c->result().end_ns);
  }
  for (size_t i = 0; i < sys->targets().size(); ++i) {
    const Target& t = sys->targets()[i];
    out.targets.push_back(
        {t.name, i > 0, t.stats.reads + sampled_reads[i], t.stats.writes + sampled_writes[i]});
  }
  if (llc) {
    out.llc_hits = llc->stats().hits();
    out.llc_misses = llc->stats().misses();
    out.llc_writebacks = llc->stats().writebacks;
  }
  out.dram_pages = place->dram_pages();
  out.cxl_pages = place->cxl_pages();
  out.spilled_pages = place->spilled_pages();
  return std::move(out);
}

AppModel::AppModel(const AppModelConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
AppModel::~AppModel() = default;
AppResult AppModel::run(AppFeed& feed, unsigned m) { return impl_->run(feed, m); }
void AppModel::publish_clocks(AppSampleClocks* clocks) { impl_->clocks = clocks; }
void AppModel::share_skips(std::shared_ptr<AppSkipLedger> ledger, bool reads) {
  impl_->ledger = std::move(ledger);
  impl_->ledger_reads = reads;
}
double AppModel::progress_ns() const {
  return static_cast<double>(impl_->progress_ps.load(std::memory_order_relaxed)) / 1000.0;
}

}  // namespace cxlsim::frontend
