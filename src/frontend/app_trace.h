// The stream `cxlsim run`'s QEMU plugin (src/run_plugin) writes to cxlsim over a pipe: what
// each guest thread sends below its private caches (core_caches.h), in program order, with
// the instructions it executed in between. Defined once here; the plugin and the model
// (app_model.h) both include it. Host byte order (the pipe never leaves the machine).
//
// The pipe carries messages: an AppBatchHeader followed by `count` AppRecords of one thread.
// Threads are numbered by the plugin in creation order (0 = the program's first thread).
#pragma once

#include <cstdint>

namespace cxlsim::frontend {

inline constexpr uint32_t kAppTraceMagic = 0x43584c52;  // "CXLR"

enum class AppKind : uint8_t {
  kRead = 0,       // L2 read miss of line `addr` (a load)
  kOwnership = 1,  // L2 miss of a store: read for ownership of line `addr`
  kWriteback = 2,  // dirty L2 victim, line `addr`
  kSyscall =
      3,  // the thread entered system call `addr` & 0xffffffff (futex: its op in the high half)
  kSyscallRet = 4,  // ... and returned from it
  kSpawn = 5,       // the thread created thread number `addr` (it starts at this point)
  kExit = 6,        // the thread ended; `addr` = loads and stores it made in all
  kFork = 7,        // the process forked (addr = 0) or exec'ed (addr = 1): children unobserved
  kCompute = 8,     // no access: only carries insns (when a gap overflows 32 bits)
  // Sampled simulation (app_sampling.h): the thread enters phase `dep` (an AppPhase) or, with the
  // phase it is in, marks a point before a record that is not an access; `addr` = its L2
  // misses so far. Always right after a kChained record.
  kPhase = 9,
  kTouch = 10,    // between detail windows: the first access to a page, to line `addr`
  kChained = 11,  // the L2's chained misses so far (`addr`), for the kPhase after it
  // Between windows: an L2 miss (dep 0) or dirty L2 victim (dep 1) of line `addr`, a tracked
  // line (app_sampling.h): it warms the LLC, no time, no traffic.
  kWarm = 12,
};

struct AppRecord {
  uint64_t addr = 0;   // line number (byte address >> 6) for accesses; see AppKind otherwise
  uint32_t insns = 0;  // instructions the thread executed since its previous record
  // For kRead: this load's address came from the value of the read `dep` records earlier in
  // this thread's stream (a pointer chase); 0 = independent.
  uint16_t dep = 0;
  AppKind kind = AppKind::kRead;
  uint8_t reserved = 0;
};
static_assert(sizeof(AppRecord) == 16);

struct AppBatchHeader {
  uint32_t magic = kAppTraceMagic;
  uint32_t thread = 0;
  uint32_t count = 0;  // records that follow
  uint32_t reserved = 0;
};
static_assert(sizeof(AppBatchHeader) == 16);

}  // namespace cxlsim::frontend
