// What runs the accelerator's kernels and holds its memory, behind one interface: `ptx` (the
// built-in PTX executor over a memory file, ptx_backend.h) and `cuda` (a CUDA driver library
// on the host, cuda_backend.h). The GPU command interface (gpu_device.h) calls it; handles are
// the backend's own numbers, never 0. Failures are CommandErrors carrying the CUresult a CUDA
// driver would return.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "accel/gpu_interface.h"

namespace cxlsim::accel {

// A command failed: `result` is a cxl2_result (a CUresult value).
class CommandError : public std::runtime_error {
 public:
  CommandError(uint32_t result, const std::string& message)
      : std::runtime_error(message), result_(result) {}
  [[nodiscard]] uint32_t result() const { return result_; }

 private:
  uint32_t result_;
};

struct ParamSlot {
  uint64_t offset = 0, size = 0;
};

struct FunctionInfo {
  uint64_t handle = 0;
  uint64_t module = 0;
  std::vector<ParamSlot> params;  // in .entry order
  uint64_t param_bytes = 0;
};

struct Geometry {
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint64_t dynamic_shared = 0;
};

// What a launch did (0 where a backend cannot tell).
struct LaunchResult {
  uint64_t thread_instructions = 0;
  uint64_t global_bytes = 0;    // device memory the kernel's threads read and wrote
  uint64_t global_written = 0;  // of those, bytes written
};

class ComputeBackend {
 public:
  virtual ~ComputeBackend() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  // Loads a module from an image (PTX text, a cubin or a fatbin: fatbin.h); returns its handle.
  // CommandError INVALID_PTX with the line, INVALID_IMAGE for a malformed container,
  // NO_BINARY_FOR_GPU when the image has nothing the backend runs.
  virtual uint64_t load_module(std::span<const std::byte> image) = 0;
  virtual void unload_module(uint64_t module) = 0;
  // The kernel `name` of `module` (CommandError NOT_FOUND / INVALID_HANDLE).
  virtual FunctionInfo function(uint64_t module, std::string_view name) = 0;
  // Runs a kernel to completion.
  virtual LaunchResult launch(uint64_t function, const Geometry& g,
                              std::span<const std::byte> params) = 0;
  // Forgets every module and allocation (device reset).
  virtual void reset() = 0;

  // ---- device memory (device addresses) ----
  [[nodiscard]] virtual uint64_t total_bytes() const = 0;
  [[nodiscard]] virtual uint64_t free_bytes() const = 0;
  // A new allocation of `bytes` > 0, or nothing when there is no room.
  virtual std::optional<uint64_t> alloc(uint64_t bytes) = 0;
  // Frees the allocation starting at `addr`; false when none starts there.
  virtual bool release(uint64_t addr) = 0;
  // Whether [addr, addr + len) lies inside one allocation.
  [[nodiscard]] virtual bool allocated(uint64_t addr, uint64_t len) const = 0;
  // Moves data; every range lies inside one allocation (the caller checked allocated()).
  virtual void write(uint64_t addr, std::span<const std::byte> in) = 0;
  virtual void read(uint64_t addr, std::span<std::byte> out) = 0;
  virtual void fill(uint64_t addr, uint32_t value, unsigned elem, uint64_t count) = 0;
  virtual void move(uint64_t dst, uint64_t src, uint64_t len) = 0;
  // The file holding device memory that clients may map as BAR4 (device address
  // CXL2_DEVICE_BASE at offset 0), or -1 when the memory is not host-mappable (a GPU's).
  [[nodiscard]] virtual int memory_fd() const = 0;
};

}  // namespace cxlsim::accel
