// Runs a module's kernels on the host: a grid of CTAs spread over host threads, each CTA's warps
// run 32 lanes in lock step (see docs/ptx.md for the scheduling rules). Global memory is the
// device memory behind a GlobalMemory; the module's .global variables are placed there when the
// Executor is made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "ptx/global_memory.h"
#include "ptx/module.h"
#include "ptx/warp.h"

namespace cxlsim::ptx {

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  [[nodiscard]] uint64_t count() const { return uint64_t{x} * y * z; }
};

struct LaunchConfig {
  Dim3 grid;
  Dim3 block;
  uint64_t dynamic_shared_bytes = 0;  // .extern .shared arrays
  unsigned host_threads = 0;          // 0: std::thread::hardware_concurrency()
  // Instructions one warp may issue before the launch is stopped with an ExecError (a kernel
  // that never ends); 0: no limit.
  uint64_t max_warp_instructions = 0;
};

struct LaunchStats {
  uint64_t thread_instructions = 0;  // instructions issued, times the lanes that issued them
  uint64_t warp_instructions = 0;    // instructions issued per warp
  uint64_t global_bytes = 0;         // bytes of device memory the lanes accessed
  uint64_t global_written = 0;       // of those, bytes stored (atomics included)
};

class Executor {
 public:
  // Places the module's .global variables in `memory` (with their initializers).
  Executor(Module module, GlobalMemory& memory);

  // Device address of a .global variable; throws std::invalid_argument when there is none.
  [[nodiscard]] uint64_t global_address(std::string_view name) const;

  // Runs `kernel` to completion. `params` is the parameter buffer laid out as Kernel::params
  // says. Throws std::invalid_argument for a bad launch (unknown kernel, parameter buffer of the
  // wrong size, more than 1024 threads per CTA) and ExecError for faults while running.
  LaunchStats launch(std::string_view kernel, const LaunchConfig& config,
                     std::span<const std::byte> params);

  [[nodiscard]] const Module& module() const { return module_; }

 private:
  Module module_;
  GlobalMemory& memory_;
  std::vector<std::pair<uint32_t, uint64_t>> slot_values_;  // constants and global addresses
};

// Builds a parameter buffer for `kernel`: set(i, value) copies value's bytes to parameter i.
class ParamBuffer {
 public:
  explicit ParamBuffer(const Kernel& kernel) : kernel_(kernel), bytes_(kernel.param_bytes) {}
  template <class T>
  ParamBuffer& set(size_t index, const T& value) {
    return set_bytes(index, std::as_bytes(std::span<const T, 1>(&value, 1)));
  }
  ParamBuffer& set_bytes(size_t index, std::span<const std::byte> value);
  [[nodiscard]] std::span<const std::byte> bytes() const { return bytes_; }

 private:
  const Kernel& kernel_;
  std::vector<std::byte> bytes_;
};

}  // namespace cxlsim::ptx
