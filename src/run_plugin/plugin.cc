// cxlsim's QEMU TCG plugin for `cxlsim run` (docs/app_mode.md). Loaded by qemu-x86_64 7.2
// (`-plugin cxlsim-run-plugin.so,fd=N,l1=SIZE:WAYS,l2=SIZE:WAYS`), it counts each guest
// thread's instructions (one callback per translation block) and filters every load and store
// through that thread's private L1D and L2 (timing/core_caches.h) in the thread itself, with no
// lock. What leaves the L2 (line misses, dirty victims), with the instructions executed in
// between, is buffered per thread and written to pipe `fd` in batches (frontend/app_trace.h),
// one lock per batch. cxlsim's model reads the pipe.
//
// Sampled simulation (frontend/app_sampling.h; `sample=WINDOW_PS:PERIOD_PS:WARM_PS:PS_PER_INSN`
// and `clocks=FD`, the model's shared clocks): each thread is observed in full only in its detail
// and warm phases; in between, a load or store is only counted and a page's first touch sent.
// The phase follows the thread's clock, checked every 16 blocks.
//
// A load that misses the L2 is marked dependent when its address lies within 64 bytes after
// the 8-byte value an earlier L2-missing load of the same thread returned (a pointer chase:
// the core cannot issue it before that data is back). User-mode QEMU maps guest memory at the
// same host addresses on an x86-64 host (guest_base 0), so the value is read where the guest
// read it; the plugin checks that once and otherwise marks nothing dependent.
//
// QEMU calls the plugin through C callbacks without a context pointer, so the plugin's state is
// one object reached through a file-scope pointer (the only one).
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "frontend/app_sampling.h"
#include "frontend/app_trace.h"
#include "run_plugin/qemu_plugin_api.h"
#include "timing/core_caches.h"

extern "C" {
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv);
}

namespace {

using cxlsim::frontend::AppBatchHeader;
using cxlsim::frontend::AppKind;
using cxlsim::frontend::AppPhase;
using cxlsim::frontend::AppRecord;
using cxlsim::frontend::AppSampleClock;
using cxlsim::frontend::AppSampleClocks;
using cxlsim::frontend::AppSampling;
using cxlsim::timing::CoreCaches;

// Records per batch: 16384 (256 KiB) makes one write() per 256 KiB of records.
constexpr size_t kBatch = 16384;
constexpr unsigned kMaxVcpus = 4096;
constexpr unsigned kDepSlots = 256;  // recent L2-missing loads' values, direct-mapped by line
constexpr unsigned kPageBits = 35;   // pages of a 47-bit user address space (the touched bitmap)

// x86-64 Linux system call numbers the plugin reacts to.
// clone3 keeps its flags in memory: it is taken for a thread (glibc creates threads with it).
constexpr int64_t kSysFutex = 202, kSysClone = 56, kSysFork = 57, kSysVfork = 58, kSysExecve = 59,
                  kSysExit = 60, kSysExitGroup = 231, kSysExecveat = 322;
constexpr uint64_t kCloneVm = 0x100;

static_assert(sizeof(AppBatchHeader) == sizeof(AppRecord));

struct Thread {
  Thread(uint32_t num, CoreCaches c)
      : number(num), caches(std::move(c)), msg(new AppRecord[kBatch + 1]), buf(msg.get() + 1) {}
  uint32_t number;
  CoreCaches caches;
  // The message a batch is written as: the header's slot, then the records (one write()).
  std::unique_ptr<AppRecord[]> msg;
  AppRecord* buf;
  size_t n = 0;
  uint64_t icount = 0;   // instructions executed, up to the end of the current block
  uint64_t tb_base = 0;  // instructions before the current block
  uint64_t last = 0;     // instructions at the previous record
  uint64_t accesses = 0;
  uint64_t seq = 0;  // records of kind kRead emitted (dependency distances count these)
  bool exited = false;
  bool forking = false;  // in fork/vfork/clone without CLONE_VM
  // Sampled simulation: the phase, the last page touched in a skip, and the clock (a copy of
  // the model's for this thread, `version` ~0 until the model wrote one).
  AppPhase phase = AppPhase::kDetail;
  uint64_t last_page = ~uint64_t{0};
  unsigned tick = 0;
  uint64_t clock_version = ~uint64_t{0};
  uint64_t clock_insns = 0, clock_lines = 0, clock_chained = 0;
  double clock_at = 0, ps_per_insn = 0, ps_per_line = 0, ps_per_chained = 0;
  // The line filter (app_sampling.h): line + 1 per slot; the L2's misses, the chained ones, and
  // the value the last missing 8-byte load read (0: none).
  uint64_t filter[cxlsim::frontend::kLineFilter] = {};
  uint64_t lines = 0, chained = 0, last_value = 0;
  // After a window: the clock's version when it ended, until the model wrote a newer one.
  uint64_t window_version = 0;
  double window_end = 0;  // its simulated time by the old clock
  double last_mark = 0;   // the clock at the last mark
  bool awaiting = false;
  struct Dep {
    uint64_t value = 0;
    uint64_t seq = 0;
  } dep[kDepSlots];
};

struct Plugin {
  int fd = -1;
  uint64_t l1_size = uint64_t{48} * 1024, l2_size = uint64_t{2} * 1024 * 1024;
  unsigned l1_ways = 12, l2_ways = 16;
  int values_readable = -1;           // guest_base 0 checked on the first miss: 1 yes, 0 no
  AppSampling sampling;               // not enabled: every thread in detail throughout
  double ps_per_insn = 0;             // the profile's rate, a clock's until the model sets one
  AppSampleClocks* clocks = nullptr;  // shared with the model (sampling only)
  uint64_t* touched = nullptr;        // pages touched in skips, a bit each (sampling only)
  // What every access reads apart from what the threads write (each on cache lines of its own).
  alignas(64) Thread* vcpu[kMaxVcpus] = {};
  alignas(64) std::mutex write_lock;  // one writer of a batch at a time
  std::atomic<uint32_t> next_thread{0};
  std::atomic<bool> disabled{false};  // a forked child: its accesses go unobserved
};

Plugin* g = nullptr;
// The thread whose system call this host thread made last (the creator of a new vCPU). Set per
// system call, not per block: a thread_local in a dlopen()ed object costs a call to reach.
thread_local Thread* current = nullptr;

void write_all(const void* p, size_t len) {
  const char* c = static_cast<const char*>(p);
  while (len > 0 && g->fd >= 0) {
    const ssize_t w = ::write(g->fd, c, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      g->fd = -1;  // cxlsim went away: the program keeps running unobserved
      return;
    }
    c += w;
    len -= static_cast<size_t>(w);
  }
}

void flush(Thread& t) {
  if (t.n == 0 || g->disabled.load(std::memory_order_relaxed)) {
    t.n = 0;
    return;
  }
  AppBatchHeader h;
  h.thread = t.number;
  h.count = static_cast<uint32_t>(t.n);
  std::memcpy(static_cast<void*>(t.msg.get()), &h, sizeof h);
  {
    std::lock_guard<std::mutex> lock(g->write_lock);
    write_all(t.msg.get(), (t.n + 1) * sizeof(AppRecord));
  }
  t.n = 0;
}

void emit(Thread& t, AppKind kind, uint64_t addr, uint64_t at, uint16_t dep = 0) {
  uint64_t gap = at - t.last;
  while (gap > UINT32_MAX) {
    AppRecord c;
    c.kind = AppKind::kCompute;
    c.insns = UINT32_MAX;
    t.buf[t.n++] = c;
    if (t.n == kBatch) flush(t);
    gap -= UINT32_MAX;
  }
  t.last = at;
  AppRecord r;
  r.addr = addr;
  r.insns = static_cast<uint32_t>(gap);
  r.kind = kind;
  r.dep = dep;
  t.buf[t.n++] = r;
  if (t.n == kBatch) flush(t);
}

bool values_readable(uint64_t vaddr) {
  if (g->values_readable < 0) {
    const long page = sysconf(_SC_PAGESIZE);
    unsigned char v = 0;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): user-mode guest addresses are host addresses
    void* base = reinterpret_cast<void*>(vaddr & ~static_cast<uint64_t>(page - 1));
    g->values_readable = mincore(base, static_cast<size_t>(page), &v) == 0 ? 1 : 0;
  }
  return g->values_readable == 1;
}

// The distance (in reads) to the earlier missing read whose value this address follows, or 0.
uint16_t dependency(Thread& t, uint64_t vaddr) {
  for (uint64_t line : {vaddr >> 6, (vaddr - 63) >> 6}) {
    const Thread::Dep& d = t.dep[line % kDepSlots];
    if (d.seq != 0 && vaddr >= d.value && vaddr - d.value < 64 && t.seq - d.seq < 65536) {
      return static_cast<uint16_t>(t.seq - d.seq);
    }
  }
  return 0;
}

// The 8-byte value an aligned 8-byte load at `vaddr` read, where the guest read it (false for
// any other access, or when guest addresses are not host addresses).
bool loaded_value(uint64_t vaddr, qemu_plugin_meminfo_t info, uint64_t& v) {
  if ((vaddr & 7) != 0 || qemu_plugin_mem_size_shift(info) != 3 || !values_readable(vaddr)) {
    return false;
  }
  // NOLINTNEXTLINE(performance-no-int-to-ptr): user-mode guest addresses are host addresses
  std::memcpy(&v, reinterpret_cast<const void*>(vaddr), sizeof v);
  return true;
}

void remember_value(Thread& t, uint64_t v) {
  Thread::Dep& d = t.dep[(v >> 6) % kDepSlots];
  d.value = v;
  d.seq = t.seq;
}

// ---- sampled simulation ----

// The thread's simulated time by its clock (the model's, when it has written one).
double clock_now(Thread& t) {
  if (t.number < cxlsim::frontend::kAppClockThreads) {
    const AppSampleClock& c = g->clocks->thread[t.number];
    const uint64_t v = c.version.load(std::memory_order_acquire);
    if (v != 0 && v != t.clock_version && (v & 1) == 0) {  // 0: not written yet
      const uint64_t insns = c.insns.load(std::memory_order_relaxed);
      const uint64_t lines = c.lines.load(std::memory_order_relaxed);
      const uint64_t chained = c.chained.load(std::memory_order_relaxed);
      const auto at = static_cast<double>(c.at_ps.load(std::memory_order_relaxed));
      const double ppi = c.ps_per_insn.load(std::memory_order_relaxed);
      const double ppl = c.ps_per_line.load(std::memory_order_relaxed);
      const double ppc = c.ps_per_chained.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (c.version.load(std::memory_order_relaxed) == v) {
        t.clock_version = v;
        t.clock_insns = insns;
        t.clock_lines = lines;
        t.clock_chained = chained;
        t.clock_at = at;
        t.ps_per_insn = ppi;
        t.ps_per_line = ppl;
        t.ps_per_chained = ppc;
      }
    }
  }
  const uint64_t chained = t.chained - t.clock_chained;
  return t.clock_at + static_cast<double>(t.icount - t.clock_insns) * t.ps_per_insn +
         static_cast<double>(t.lines - t.clock_lines - chained) * t.ps_per_line +
         static_cast<double>(chained) * t.ps_per_chained;
}

// Marks the phase's change (or, outside detail, the point before a record that is not an
// access) with the L2's miss counts so far.
void mark_phase(Thread& t, uint64_t at) {
  emit(t, AppKind::kChained, t.chained, at);
  emit(t, AppKind::kPhase, t.lines, at, static_cast<uint16_t>(t.phase));
}
void mark_before_event(Thread& t, uint64_t at) {
  if (t.phase != AppPhase::kDetail) mark_phase(t, at);
}

// The model writes a thread's clock once it measured the thread's detail window. The plugin
// goes on skipping meanwhile (the model's skip counts what it skips alike, whenever the clock
// comes) but takes no other step before it has that clock: the next warm-up and window start
// where the model's skip ends, with every thread's windows at the same simulated times however
// far the model lags. Until the clock comes, the old one is run kClockMargin times as fast, so
// that the wait comes before the new clock could end the skip (unless the rates grew more than
// that). It waits at most kClockWait: a thread the model needs may be held inside QEMU behind
// this one (an exclusive section).
constexpr double kClockMargin = 4;
constexpr std::chrono::milliseconds kClockWait{200};
void await_clock(const AppSampleClock& c, uint64_t version) {
  const auto until = std::chrono::steady_clock::now() + kClockWait;
  for (unsigned spins = 0;; ++spins) {
    const uint64_t v = c.version.load(std::memory_order_acquire);
    if (v != version && (v & 1) == 0) return;
    if (spins < 16) {
      sched_yield();
    } else if (std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    } else {
      return;
    }
  }
}

void update_phase(Thread& t) {
  double now = clock_now(t);
  if (t.awaiting && (t.clock_version == ~uint64_t{0} || t.clock_version <= t.window_version)) {
    now = t.window_end + (now - t.window_end) * kClockMargin;  // the new clock not there yet
  }
  AppPhase p = g->sampling.phase_at(static_cast<int64_t>(now));
  if (p == t.phase) {
    // A long skip is sent in parts, so that the model need not wait for all of it before it
    // runs the other threads on (and measures their windows).
    if (p == AppPhase::kSkip &&
        now - t.last_mark >= static_cast<double>(g->sampling.period_ps) / 8) {
      t.last_mark = now;
      mark_phase(t, t.tb_base);
      flush(t);
    }
    return;
  }
  t.last_mark = now;
  const AppSampleClock* c =
      t.number < cxlsim::frontend::kAppClockThreads ? &g->clocks->thread[t.number] : nullptr;
  if (c == nullptr) {
    t.awaiting = false;
  } else if (t.awaiting) {  // the step after a window's skip: by that window's clock
    await_clock(*c, t.window_version);
    t.awaiting = false;
    p = g->sampling.phase_at(static_cast<int64_t>(clock_now(t)));
    if (p == t.phase) return;
  } else if (t.phase == AppPhase::kDetail) {
    t.window_version = c->version.load(std::memory_order_acquire);
    t.window_end = now;
    t.awaiting = true;
  }
  if (t.phase == AppPhase::kDetail) t.caches.drain_l1();
  t.phase = p;
  mark_phase(t, t.tb_base);
  flush(t);  // the model measures the window and places the others' by this one's progress
}

// A line miss of the L2 (the unit outside windows is time per miss): counted, and, for a
// load, whether its address follows the value the last missing load read (`value`, what this
// one read: 0 if none).
void count_miss(Thread& t, uint64_t vaddr, bool store, uint64_t value) {
  ++t.lines;
  if (store) return;
  if (t.last_value != 0 && vaddr - t.last_value < 64) ++t.chained;
  t.last_value = value;
}

// A load or store in a skip: only a page's first touch (by any thread) is sent.
void touch(Thread& t, uint64_t vaddr, uint64_t at) {
  const uint64_t page = vaddr >> 12;
  if (page == t.last_page || (page >> kPageBits) != 0) return;
  t.last_page = page;
  std::atomic_ref<uint64_t> word(g->touched[page >> 6]);
  const uint64_t bit = uint64_t{1} << (page & 63);
  if ((word.load(std::memory_order_relaxed) & bit) != 0) return;
  if ((word.fetch_or(bit, std::memory_order_relaxed) & bit) != 0) return;
  emit(t, AppKind::kTouch, vaddr >> 6, at);
}

// In a skip: the line filter stands for the L1; what misses it goes to the L2 (kept up to
// date), and what misses there is counted.
void skip_access(Thread& t, uint64_t vaddr, qemu_plugin_meminfo_t info, uint64_t at) {
  const uint64_t line = vaddr >> 6;
  uint64_t& slot = t.filter[line % cxlsim::frontend::kLineFilter];
  if (slot == line + 1) return;
  slot = line + 1;
  const bool store = qemu_plugin_mem_is_store(info);
  const cxlsim::timing::TagArray::Result r = t.caches.touch_l2(line, store);
  if (!r.hit) {
    uint64_t value = 0;
    if (!store) loaded_value(vaddr, info, value);
    count_miss(t, vaddr, store, value);
    if (cxlsim::frontend::tracked_line(line)) emit(t, AppKind::kWarm, line, at);
  }
  if (r.victim_dirty && cxlsim::frontend::tracked_line(r.victim)) {
    emit(t, AppKind::kWarm, r.victim, at, 1);
  }
}

// An access of `info`'s size at `vaddr` (for line `line`; `whole` false for the second line of
// an access that crosses lines).
void access(Thread& t, uint64_t line, uint64_t vaddr, bool store, qemu_plugin_meminfo_t info,
            bool whole, uint64_t at) {
  const cxlsim::timing::CoreCacheOutcome o = t.caches.access(line, store);
  for (unsigned i = 0; i < o.writebacks; ++i) emit(t, AppKind::kWriteback, o.writeback[i], at);
  if (!o.miss) return;
  // A whole aligned 8-byte load's value: what a later load may chase.
  uint64_t value = 0;
  const bool has_value = !store && whole && loaded_value(vaddr, info, value);
  if (g->clocks != nullptr) count_miss(t, vaddr, store, value);
  if (store) {
    emit(t, AppKind::kOwnership, line, at);
    return;
  }
  ++t.seq;
  const uint16_t dep = dependency(t, vaddr);
  emit(t, AppKind::kRead, line, at, dep);
  if (has_value) remember_value(t, value);
}

void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void* udata) {
  Thread* t = g->vcpu[vcpu];
  if (t == nullptr) return;
  ++t->accesses;
  const uint64_t at = t->tb_base + reinterpret_cast<uintptr_t>(udata);
  if (t->phase == AppPhase::kSkip) {
    skip_access(*t, vaddr, info, at);
    touch(*t, vaddr, at);
    return;
  }
  const bool store = qemu_plugin_mem_is_store(info);
  const uint64_t line = vaddr >> 6;
  access(*t, line, vaddr, store, info, true, at);
  // Only an access starting in a line's last 16 bytes may cross it (QEMU 7.2 emulates none
  // wider: vector accesses are split into 8-byte ones): the size is asked only then.
  if ((vaddr & 63) > 48 && ((vaddr + (1u << qemu_plugin_mem_size_shift(info)) - 1) >> 6) != line) {
    access(*t, line + 1, vaddr, store, info, false, at);  // crosses a line
  }
}

void on_tb_exec(unsigned int vcpu, void* udata) {
  Thread* t = g->vcpu[vcpu];
  if (t == nullptr) return;
  t->tb_base = t->icount;
  t->icount += reinterpret_cast<uintptr_t>(udata);
  if (g->clocks != nullptr && (++t->tick & 15) == 0) update_phase(*t);
}

void on_tb_trans(qemu_plugin_id_t, struct qemu_plugin_tb* tb) {
  const size_t n = qemu_plugin_tb_n_insns(tb);
  // The callbacks' userdata carries a count or an index, never dereferenced.
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS,
                                       // NOLINTNEXTLINE(performance-no-int-to-ptr)
                                       reinterpret_cast<void*>(n));
  for (size_t i = 0; i < n; ++i) {
    qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), on_mem, QEMU_PLUGIN_CB_NO_REGS,
                                     // NOLINTNEXTLINE(performance-no-int-to-ptr)
                                     QEMU_PLUGIN_MEM_RW, reinterpret_cast<void*>(i));
  }
}

void on_vcpu_init(qemu_plugin_id_t, unsigned int vcpu) {
  if (vcpu >= kMaxVcpus) return;
  auto* t = new Thread(g->next_thread.fetch_add(1),
                       CoreCaches(g->l1_size, g->l1_ways, g->l2_size, g->l2_ways));
  t->ps_per_insn = g->ps_per_insn;
  // Called in the creating thread: the child starts where its parent is now.
  if (current != nullptr && t->number != 0) {
    mark_before_event(*current, current->icount);
    emit(*current, AppKind::kSpawn, t->number, current->icount);
    if (g->clocks != nullptr) {
      t->clock_at = clock_now(*current);
      t->ps_per_line = current->ps_per_line;
      t->ps_per_chained = current->ps_per_chained;
    }
  }
  if (g->clocks != nullptr) {
    t->phase = g->sampling.phase_at(static_cast<int64_t>(t->clock_at));
    if (t->phase != AppPhase::kDetail) mark_phase(*t, 0);
  }
  Thread* old = g->vcpu[vcpu];
  g->vcpu[vcpu] = t;
  delete old;  // a reused index: its thread exited and was flushed
}

void end_thread(Thread& t) {
  if (t.exited) return;
  t.exited = true;
  mark_before_event(t, t.icount);
  emit(t, AppKind::kExit, t.accesses, t.icount);
  flush(t);
}

void on_vcpu_exit(qemu_plugin_id_t, unsigned int vcpu) {
  if (vcpu < kMaxVcpus && g->vcpu[vcpu] != nullptr) end_thread(*g->vcpu[vcpu]);
}

void on_syscall(qemu_plugin_id_t, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
                uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  if (vcpu >= kMaxVcpus || g->vcpu[vcpu] == nullptr) return;
  Thread& t = *g->vcpu[vcpu];
  current = &t;  // a clone's new vCPU is initialised in this thread, before the call returns
  const uint64_t at = t.icount;
  mark_before_event(t, at);
  t.forking = num == kSysFork || num == kSysVfork || (num == kSysClone && (a1 & kCloneVm) == 0);
  if (t.forking) {
    emit(t, AppKind::kFork, 0, at);
  } else if (num == kSysExecve || num == kSysExecveat) {
    emit(t, AppKind::kFork, 1, at);
  }
  if (num == kSysExit || num == kSysExitGroup) {
    end_thread(t);
    return;
  }
  // futex carries its operation (the second argument) above the number: waits and wakes differ.
  const uint64_t op = num == kSysFutex ? (a2 & 0xffffffff) << 32 : 0;
  emit(t, AppKind::kSyscall, static_cast<uint64_t>(num) | op, at);
  flush(t);  // it may block: let the model see everything before it
}

void on_syscall_ret(qemu_plugin_id_t, unsigned int vcpu, int64_t num, int64_t ret) {
  if (vcpu >= kMaxVcpus || g->vcpu[vcpu] == nullptr) return;
  Thread& t = *g->vcpu[vcpu];
  if (t.forking && ret == 0) {
    g->disabled = true;  // the child process: the parent's pipe is not its to write
    return;
  }
  t.forking = false;
  mark_before_event(t, t.icount);
  emit(t, AppKind::kSyscallRet, static_cast<uint64_t>(num), t.icount);
}

void on_exit(qemu_plugin_id_t, void*) {
  for (Thread* t : g->vcpu) {
    if (t != nullptr) end_thread(*t);
  }
  if (g->fd >= 0) ::close(g->fd);
  g->fd = -1;
}

// sample=WINDOW_PS:PERIOD_PS:WARM_PS:PS_PER_INSN
bool parse_sampling(const char* v) {
  char* end = nullptr;
  AppSampling& s = g->sampling;
  s.window_ps = std::strtoll(v, &end, 10);
  if (*end != ':') return false;
  s.period_ps = std::strtoll(end + 1, &end, 10);
  if (*end != ':') return false;
  s.warm_ps = std::strtoll(end + 1, &end, 10);
  if (*end != ':') return false;
  g->ps_per_insn = std::strtod(end + 1, &end);
  return *end == '\0' && s.window_ps > 0 && s.period_ps > s.window_ps && s.warm_ps >= 0 &&
         s.warm_ps <= s.period_ps - s.window_ps && g->ps_per_insn > 0 &&
         std::isfinite(g->ps_per_insn);
}

// The model's clocks (file descriptor `fd`, shared memory) and the touched-page bitmap.
bool map_sampling(int fd) {
  void* c = mmap(nullptr, sizeof(AppSampleClocks), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (c == MAP_FAILED) return false;
  g->clocks = static_cast<AppSampleClocks*>(c);
  void* b = mmap(nullptr, (uint64_t{1} << kPageBits) / 8, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (b == MAP_FAILED) return false;
  g->touched = static_cast<uint64_t*>(b);
  return true;
}

bool parse_size_ways(const char* v, uint64_t& size, unsigned& ways) {
  char* end = nullptr;
  const unsigned long long s = std::strtoull(v, &end, 10);
  if (end == v || *end != ':') return false;
  const unsigned long w = std::strtoul(end + 1, &end, 10);
  if (*end != '\0' || s == 0 || w == 0 || s % (w * 64) != 0) return false;
  size = s;
  ways = static_cast<unsigned>(w);
  return true;
}

}  // namespace

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc, char** argv) {
  if (info->system_emulation) {
    qemu_plugin_outs("cxlsim-run-plugin: user-mode QEMU only\n");
    return -1;
  }
  g = new Plugin();
  int clocks_fd = -1;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    bool ok = true;
    if (a.rfind("fd=", 0) == 0) {
      g->fd = std::atoi(a.c_str() + 3);
    } else if (a.rfind("l1=", 0) == 0) {
      ok = parse_size_ways(a.c_str() + 3, g->l1_size, g->l1_ways);
    } else if (a.rfind("l2=", 0) == 0) {
      ok = parse_size_ways(a.c_str() + 3, g->l2_size, g->l2_ways);
    } else if (a.rfind("sample=", 0) == 0) {
      ok = parse_sampling(a.c_str() + 7);
    } else if (a.rfind("clocks=", 0) == 0) {
      clocks_fd = std::atoi(a.c_str() + 7);
    } else {
      ok = false;
    }
    if (!ok) {
      qemu_plugin_outs(("cxlsim-run-plugin: bad argument '" + a + "'\n").c_str());
      return -1;
    }
  }
  if (g->fd < 0 || fcntl(g->fd, F_SETFD, FD_CLOEXEC) != 0) {
    qemu_plugin_outs("cxlsim-run-plugin: needs fd=N, an open pipe to cxlsim\n");
    return -1;
  }
  if (g->sampling.enabled() && (clocks_fd < 0 || !map_sampling(clocks_fd))) {
    qemu_plugin_outs("cxlsim-run-plugin: sample= needs clocks=N, the model's shared clocks\n");
    return -1;
  }
  qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
  qemu_plugin_register_vcpu_exit_cb(id, on_vcpu_exit);
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
  qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
  qemu_plugin_register_atexit_cb(id, on_exit, nullptr);
  return 0;
}
