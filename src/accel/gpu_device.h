// The GPU command interface in the Type 2 accelerator's BAR2 (gpu_interface.h has the layout and
// the commands): reads and writes of the BAR land here, a 4-byte write of CMD runs a command on
// the compute backend over device memory. Not thread-safe: the device server serializes accesses
// (one command in flight, as on the device).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "accel/compute_backend.h"

namespace cxlsim::accel {

struct GpuCounters {
  uint64_t commands = 0, failed = 0, launches = 0, thread_instructions = 0;
  uint64_t bytes_to_device = 0, bytes_from_device = 0;  // copies by the host
  uint64_t kernel_bytes = 0, kernel_written = 0;        // device memory kernels accessed
};

class GpuDevice {
 public:
  explicit GpuDevice(ComputeBackend& backend);

  // BAR2 accesses; false (nothing done) when [offset, offset + n) is outside the BAR.
  [[nodiscard]] bool read(uint64_t offset, std::span<std::byte> out) const;
  bool write(uint64_t offset, std::span<const std::byte> in);
  // Device reset: registers to their initial values, every allocation and module dropped.
  void reset();

  [[nodiscard]] const GpuCounters& counters() const { return counters_; }
  [[nodiscard]] ComputeBackend& backend() { return backend_; }
  [[nodiscard]] uint64_t reg64(uint32_t offset) const;

 private:
  void set64(uint32_t offset, uint64_t v);
  void set32(uint32_t offset, uint32_t v);
  [[nodiscard]] uint64_t param(unsigned i) const { return reg64(CXL2_REG_PARAM0 + 8 * i); }
  void result(unsigned i, uint64_t v) { set64(CXL2_REG_RESULT0 + 8 * i, v); }
  [[nodiscard]] std::string data_text(uint64_t len) const;
  std::span<std::byte> data(uint64_t len);
  void run(uint32_t cmd);
  void execute(uint32_t cmd);
  void copy(bool to_device);
  void launch();
  // CommandError INVALID_VALUE unless [addr, addr + len) lies inside one allocation.
  void check(uint64_t addr, uint64_t len, const char* what) const;

  ComputeBackend& backend_;
  std::vector<std::byte> bar_;
  std::vector<FunctionInfo> functions_;
  GpuCounters counters_;
  uint64_t next_context_ = 1;
};

}  // namespace cxlsim::accel
