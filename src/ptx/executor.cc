#include "ptx/executor.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "ptx/program.h"

namespace cxlsim::ptx {

namespace {

constexpr uint32_t kNoPc = std::numeric_limits<uint32_t>::max();

// A call in progress: the lanes that did not take part wait here until the callee returns.
struct Frame {
  uint32_t ret_pc = 0;
  uint32_t outside = 0;   // lanes of the caller's context that did not call
  uint32_t returned = 0;  // callee lanes that returned (rather than exited)
  uint32_t parked = 0;
  uint32_t site = 0;
  std::array<uint32_t, kWarpSize> lane_pc{};
};

// Scheduling state of one warp. Lanes of the current context that are not blocked at a barrier
// or parked at a warp-synchronous instruction run in groups: `mask` holds the lanes at `pc`; every
// other runnable lane waits at lane_pc, all of them at a higher pc than `pc` (the group at the
// lowest pc always runs first, so diverged lanes reconverge where their paths meet).
struct WarpState {
  Warp w;
  uint32_t pc = 0;
  uint32_t mask = 0;
  uint32_t live = 0;     // lanes of the current context that have not returned or exited
  uint32_t alive = 0;    // lanes that have not exited
  uint32_t blocked = 0;  // lanes waiting at bar.sync
  uint32_t parked = 0;   // lanes waiting for the rest of their warp at a .sync instruction
  uint32_t next_wait = kNoPc;
  bool forced = false;
  std::array<uint32_t, kWarpSize> lane_pc{};
  std::vector<Frame> frames;
  std::vector<std::pair<const Inst*, uint32_t>> reductions;  // bar.red waiting, with its lanes
};

class CtaRunner {
 public:
  CtaRunner(const Program& prog, const Function& fn, const LaunchConfig& cfg,
            std::span<const std::byte> params, GlobalMemory& memory,
            const std::vector<std::pair<uint32_t, uint64_t>>& slot_values)
      : prog_(prog), fn_(fn), cfg_(cfg), slot_values_(slot_values) {
    threads_ = static_cast<uint32_t>(cfg.block.count());
    nwarps_ = (threads_ + kWarpSize - 1) / kWarpSize;
    shared_size_ = prog.shared_bytes + cfg.dynamic_shared_bytes;
    shared_.assign(shared_size_ + 1, std::byte{0});
    regs_.assign(size_t{nwarps_} * prog.num_slots * kWarpSize, 0);
    preds_.assign(size_t{nwarps_} * prog.num_preds, 0);
    local_.assign(size_t{nwarps_} * kWarpSize * prog.local_bytes + 1, std::byte{0});
    warps_.resize(nwarps_);
    for (uint32_t i = 0; i < nwarps_; ++i) {
      Warp& w = warps_[i].w;
      w.regs = regs_.data() + size_t{i} * prog.num_slots * kWarpSize;
      w.preds = preds_.data() + size_t{i} * prog.num_preds;
      w.shared = shared_.data();
      w.shared_size = shared_size_;
      w.local = local_.data() + size_t{i} * kWarpSize * prog.local_bytes;
      w.local_size = prog.local_bytes;
      w.params = params.data();
      w.params_size = params.size();
      w.consts = reinterpret_cast<const std::byte*>(prog.const_bank.data());
      w.consts_size = prog.const_bank.size();
      w.global = &memory;
    }
  }

  LaunchStats run(uint64_t cta_index) {
    stats_ = {};
    const Dim3& g = cfg_.grid;
    const Dim3& b = cfg_.block;
    const auto cx = static_cast<uint32_t>(cta_index % g.x);
    const auto cy = static_cast<uint32_t>((cta_index / g.x) % g.y);
    const auto cz = static_cast<uint32_t>(cta_index / (uint64_t{g.x} * g.y));
    for (uint32_t i = 0; i < nwarps_; ++i) {
      WarpState& s = warps_[i];
      Warp& w = s.w;
      auto fill = [&](uint32_t slot, auto f) {
        for (uint32_t l = 0; l < kWarpSize; ++l) w.regs[slot * kWarpSize + l] = f(l);
      };
      auto tid = [&](uint32_t l) { return i * kWarpSize + l; };
      fill(kTidX, [&](uint32_t l) { return tid(l) % b.x; });
      fill(kTidY, [&](uint32_t l) { return (tid(l) / b.x) % b.y; });
      fill(kTidZ, [&](uint32_t l) { return tid(l) / (b.x * b.y); });
      fill(kNtidX, [&](uint32_t) { return b.x; });
      fill(kNtidY, [&](uint32_t) { return b.y; });
      fill(kNtidZ, [&](uint32_t) { return b.z; });
      fill(kCtaidX, [&](uint32_t) { return cx; });
      fill(kCtaidY, [&](uint32_t) { return cy; });
      fill(kCtaidZ, [&](uint32_t) { return cz; });
      fill(kNctaidX, [&](uint32_t) { return g.x; });
      fill(kNctaidY, [&](uint32_t) { return g.y; });
      fill(kNctaidZ, [&](uint32_t) { return g.z; });
      fill(kLaneId, [&](uint32_t l) { return l; });
      fill(kWarpId, [&](uint32_t) { return i; });
      fill(kNwarpId, [&](uint32_t) { return nwarps_; });
      fill(kLanemaskEq, [&](uint32_t l) { return uint64_t{1} << l; });
      fill(kLanemaskLt, [&](uint32_t l) { return (uint64_t{1} << l) - 1; });
      fill(kLanemaskLe, [&](uint32_t l) { return (uint64_t{2} << l) - 1; });
      fill(kLanemaskGt, [&](uint32_t l) { return ~((uint64_t{2} << l) - 1) & 0xFFFFFFFFu; });
      fill(kLanemaskGe, [&](uint32_t l) { return ~((uint64_t{1} << l) - 1) & 0xFFFFFFFFu; });
      fill(kZero, [&](uint32_t) { return 0; });
      for (const auto& sv : slot_values_) fill(sv.first, [&](uint32_t) { return sv.second; });
      w.preds[kTruePred] = kAllLanes;
      const uint32_t n = std::min(kWarpSize, threads_ - i * kWarpSize);
      const uint32_t lanes = n == kWarpSize ? kAllLanes : (1u << n) - 1;
      s.alive = s.live = s.mask = lanes;
      s.blocked = s.parked = 0;
      s.pc = fn_.begin;
      s.next_wait = kNoPc;
      s.forced = false;
      s.frames.clear();
      s.reductions.clear();
      w.clock = 0;
      w.global_bytes = w.global_written = 0;
      w.cached = {};
    }
    red_count_ = 0;
    red_all_ = true;
    red_any_ = false;
    for (;;) {
      bool any = false;
      for (WarpState& s : warps_) {
        if (s.alive != 0) run_warp(s);
        any = any || s.alive != 0;
      }
      if (!any) break;
      // Every warp is blocked: bar.sync completes when every thread that has not exited is there.
      for (WarpState& s : warps_) {
        if (s.blocked != s.alive) {
          throw ExecError("ptx: deadlock: warp " + std::to_string(&s - warps_.data()) +
                          " cannot reach the barrier the others wait at (line " +
                          std::to_string(prog_.code[s.pc].line) + ")");
        }
      }
      release_barrier();
    }
    return stats_;
  }

 private:
  void save(WarpState& s) {
    for_lanes(s.mask, [&](uint32_t l) { s.lane_pc[l] = s.pc; });
    s.mask = 0;
  }

  // Picks the next group of lanes to run; false when none can run.
  bool reschedule(WarpState& s) {
    const uint32_t runnable = s.live & ~s.blocked & ~s.parked;
    uint32_t pool = runnable;
    bool forced = false;
    if (pool == 0) {
      pool = s.parked & s.live & ~s.blocked;
      forced = true;
      if (pool == 0) return false;
    }
    uint32_t best = kNoPc;
    for_lanes(pool, [&](uint32_t l) { best = std::min(best, s.lane_pc[l]); });
    uint32_t mask = 0;
    for_lanes(forced ? pool : (pool | (s.parked & s.live)),
              [&](uint32_t l) { mask |= uint32_t{s.lane_pc[l] == best} << l; });
    s.parked &= ~mask;
    s.mask = mask;
    s.pc = best;
    s.forced = forced;
    uint32_t next = kNoPc;
    for_lanes((runnable | s.parked) & s.live & ~mask,
              [&](uint32_t l) { next = std::min(next, s.lane_pc[l]); });
    s.next_wait = next;
    return true;
  }

  void run_warp(WarpState& s) {
    const Inst* code = prog_.code.data();
    Warp& w = s.w;
    uint64_t thread_insts = 0, warp_insts = 0;
    for (;;) {
      if (s.mask == 0 && !reschedule(s)) break;
      const Inst& in = code[s.pc];
      const uint32_t exec = s.mask & (w.preds[in.guard] ^ in.guard_xor);
      thread_insts += static_cast<uint64_t>(std::popcount(s.mask));
      ++warp_insts;
      if (++w.clock == cfg_.max_warp_instructions) {
        throw ExecError("ptx: line " + std::to_string(in.line) + ": a warp issued " +
                        std::to_string(cfg_.max_warp_instructions) + " instructions (the limit)");
      }
      if (in.control == Control::None) {
        if (exec != 0) {
          w.exec = exec;
          w.line = in.line;
          in.exec(w, in);
        }
        ++s.pc;
      } else {
        control(s, in, exec);
        if (s.mask == 0) continue;
      }
      if (s.pc >= s.next_wait) save(s);
    }
    stats_.thread_instructions += thread_insts;
    stats_.warp_instructions += warp_insts;
    stats_.global_bytes += std::exchange(w.global_bytes, 0);
    stats_.global_written += std::exchange(w.global_written, 0);
  }

  void control(WarpState& s, const Inst& in, uint32_t exec) {
    Warp& w = s.w;
    switch (in.control) {
      case Control::Bra:
        if (exec == s.mask) {
          s.pc = in.target;
        } else if (exec == 0) {
          ++s.pc;
        } else {
          for_lanes(s.mask,
                    [&](uint32_t l) { s.lane_pc[l] = ((exec >> l) & 1u) ? in.target : s.pc + 1; });
          s.mask = 0;
        }
        return;
      case Control::Ret:
        if (!s.frames.empty()) return ret(s, exec);
        [[fallthrough]];
      case Control::Exit:
        s.alive &= ~exec;
        s.live &= ~exec;
        s.mask &= ~exec;
        for (Frame& f : s.frames) f.returned &= ~exec;
        ++s.pc;
        if (s.live == 0 && !s.frames.empty()) pop(s);
        return;
      case Control::BarSync:
        s.blocked |= exec;
        if (in.mode != kBarRedNone && exec != 0) {
          const uint32_t p = (w.preds[in.a[0]] ^ in.b) & exec;
          red_count_ += static_cast<uint32_t>(std::popcount(p));
          red_all_ = red_all_ && p == exec;
          red_any_ = red_any_ || p != 0;
          s.reductions.emplace_back(&in, exec);
        }
        ++s.pc;
        save(s);
        return;
      case Control::WarpSync: {
        if (exec == 0) {
          ++s.pc;
          return;
        }
        const auto first = static_cast<uint32_t>(std::countr_zero(exec));
        const auto members = static_cast<uint32_t>(w.regs[in.a[3] * kWarpSize + first]);
        if ((members & s.live & ~s.mask) != 0 && !s.forced) {
          s.parked |= s.mask;
          save(s);
          return;
        }
        w.exec = exec;
        w.line = in.line;
        in.exec(w, in);
        s.forced = false;
        ++s.pc;
        return;
      }
      case Control::Call:
        return call(s, in, exec);
      case Control::None:
        return;
    }
  }

  void call(WarpState& s, const Inst& in, uint32_t exec) {
    if (exec == 0) {
      ++s.pc;
      return;
    }
    const CallSite& site = prog_.calls[in.target];
    Frame f;
    f.ret_pc = s.pc + 1;
    f.outside = s.live & ~exec;
    f.parked = s.parked;
    f.site = in.target;
    for_lanes(s.mask & ~exec, [&](uint32_t l) { s.lane_pc[l] = s.pc + 1; });
    f.lane_pc = s.lane_pc;
    for_lanes(exec, [&](uint32_t l) {
      std::byte* local = s.w.local + l * s.w.local_size;
      for (const ParamCopy& c : site.args) std::memmove(local + c.to, local + c.from, c.size);
    });
    s.frames.push_back(f);
    s.live = s.mask = exec;
    s.parked = 0;
    s.pc = prog_.functions[site.callee].begin;
    s.next_wait = kNoPc;
  }

  void ret(WarpState& s, uint32_t exec) {
    s.frames.back().returned |= exec;
    s.live &= ~exec;
    s.mask &= ~exec;
    ++s.pc;
    if (s.live == 0) pop(s);
  }

  // The callee's lanes have all returned or exited: back to the caller's context.
  void pop(WarpState& s) {
    const Frame f = s.frames.back();
    s.frames.pop_back();
    const CallSite& site = prog_.calls[f.site];
    for_lanes(f.returned, [&](uint32_t l) {
      std::byte* local = s.w.local + l * s.w.local_size;
      for (const ParamCopy& c : site.results) std::memmove(local + c.to, local + c.from, c.size);
    });
    s.lane_pc = f.lane_pc;
    for_lanes(f.returned, [&](uint32_t l) { s.lane_pc[l] = f.ret_pc; });
    s.live = (f.outside | f.returned) & s.alive;
    s.parked = f.parked & s.live;
    s.mask = 0;
  }

  // Every waiting thread goes on; those at a bar.red get the CTA-wide result.
  void release_barrier() {
    for (WarpState& s : warps_) {
      s.blocked = 0;
      for (const auto& pending : s.reductions) {
        const Inst* in = pending.first;
        const uint32_t lanes = pending.second;
        if (in->mode == kBarRedPopc) {
          for_lanes(lanes, [&](uint32_t l) { s.w.regs[in->d[0] * kWarpSize + l] = red_count_; });
        } else {
          const bool r = in->mode == kBarRedAnd ? red_all_ : red_any_;
          s.w.preds[in->d[0]] = (s.w.preds[in->d[0]] & ~lanes) | (r ? lanes : 0);
        }
      }
      s.reductions.clear();
    }
    red_count_ = 0;
    red_all_ = true;
    red_any_ = false;
  }

  const Program& prog_;
  const Function& fn_;
  const LaunchConfig& cfg_;
  const std::vector<std::pair<uint32_t, uint64_t>>& slot_values_;
  uint32_t threads_ = 0;
  uint32_t nwarps_ = 0;
  uint64_t shared_size_ = 0;
  std::vector<std::byte> shared_;
  std::vector<uint64_t> regs_;
  std::vector<uint32_t> preds_;
  std::vector<std::byte> local_;
  std::vector<WarpState> warps_;
  LaunchStats stats_;
  uint32_t red_count_ = 0;  // bar.red of the barrier being filled
  bool red_all_ = true;
  bool red_any_ = false;
};

}  // namespace

Executor::Executor(Module module, GlobalMemory& memory)
    : module_(std::move(module)), memory_(memory) {
  const Program& prog = module_.program();
  slot_values_ = prog.constants;
  for (const Variable& v : prog.globals) {
    const uint64_t addr = memory_.allocate(std::max<uint64_t>(v.size, 1), v.align);
    auto r = memory_.map(addr);
    if (!r || !r->contains(addr, v.size)) {
      throw std::runtime_error("ptx: .global variable outside memory");
    }
    std::byte* p = r->host + (addr - r->base);
    std::memset(p, 0, v.size);
    if (!v.init.empty()) std::memcpy(p, v.init.data(), v.init.size());
    slot_values_.emplace_back(v.slot, addr);
  }
}

uint64_t Executor::global_address(std::string_view name) const {
  const Program& prog = module_.program();
  for (const Variable& v : prog.globals) {
    if (v.name != name) continue;
    for (const auto& [slot, value] : slot_values_) {
      if (slot == v.slot) return value;
    }
  }
  throw std::invalid_argument("ptx: no .global variable '" + std::string(name) + "'");
}

LaunchStats Executor::launch(std::string_view kernel, const LaunchConfig& config,
                             std::span<const std::byte> params) {
  const Kernel* k = module_.kernel(kernel);
  if (k == nullptr) throw std::invalid_argument("ptx: no kernel '" + std::string(kernel) + "'");
  if (params.size() != k->param_bytes) {
    throw std::invalid_argument("ptx: kernel '" + k->name + "' takes " +
                                std::to_string(k->param_bytes) + " parameter bytes, not " +
                                std::to_string(params.size()));
  }
  const uint64_t threads = config.block.count();
  if (threads == 0 || threads > 1024) {
    throw std::invalid_argument("ptx: a CTA has 1 to 1024 threads");
  }
  const uint64_t ctas = config.grid.count();
  if (ctas == 0) return {};
  const Program& prog = module_.program();
  const Function& fn = prog.functions[k->index];
  unsigned workers =
      config.host_threads != 0 ? config.host_threads : std::thread::hardware_concurrency();
  workers = static_cast<unsigned>(std::clamp<uint64_t>(workers, 1, ctas));

  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::exception_ptr error;
  LaunchStats total;
  auto work = [&]() {
    try {
      CtaRunner runner(prog, fn, config, params, memory_, slot_values_);
      LaunchStats mine;
      for (uint64_t i = next++; i < ctas && !stop; i = next++) {
        const LaunchStats s = runner.run(i);
        mine.thread_instructions += s.thread_instructions;
        mine.warp_instructions += s.warp_instructions;
        mine.global_bytes += s.global_bytes;
        mine.global_written += s.global_written;
      }
      const std::lock_guard lock(mu);
      total.thread_instructions += mine.thread_instructions;
      total.warp_instructions += mine.warp_instructions;
      total.global_bytes += mine.global_bytes;
      total.global_written += mine.global_written;
    } catch (...) {
      const std::lock_guard lock(mu);
      if (!error) error = std::current_exception();
      stop = true;
    }
  };
  if (workers == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < workers; ++i) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
  return total;
}

ParamBuffer& ParamBuffer::set_bytes(size_t index, std::span<const std::byte> value) {
  if (index >= kernel_.params.size()) {
    throw std::invalid_argument("ptx: no parameter " + std::to_string(index));
  }
  const KernelParam& p = kernel_.params[index];
  if (value.size() != p.size) {
    throw std::invalid_argument("ptx: parameter '" + p.name + "' has " + std::to_string(p.size) +
                                " bytes, not " + std::to_string(value.size()));
  }
  std::memcpy(bytes_.data() + p.offset, value.data(), value.size());
  return *this;
}

}  // namespace cxlsim::ptx
