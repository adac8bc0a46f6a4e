// The `ptx` compute backend: kernels run on the host CPUs by the PTX executor (src/ptx) over
// the device memory (a memory file clients map), so programs get exact results with no GPU. Each
// module is one Executor (its .global variables live in device memory until the module is unloaded
// or the device reset).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "accel/compute_backend.h"
#include "accel/device_memory.h"
#include "ptx/executor.h"

namespace cxlsim::accel {

class PtxBackend final : public ComputeBackend {
 public:
  // `host_threads`: CPU threads a launch may use (0: all).
  explicit PtxBackend(DeviceMemory& memory, unsigned host_threads = 0)
      : memory_(memory), host_threads_(host_threads) {}
  [[nodiscard]] std::string name() const override { return "ptx"; }
  uint64_t load_module(std::span<const std::byte> image) override;
  void unload_module(uint64_t module) override;
  FunctionInfo function(uint64_t module, std::string_view name) override;
  LaunchResult launch(uint64_t function, const Geometry& g,
                      std::span<const std::byte> params) override;
  void reset() override;

  [[nodiscard]] uint64_t total_bytes() const override { return memory_.size(); }
  [[nodiscard]] uint64_t free_bytes() const override { return memory_.free_bytes(); }
  std::optional<uint64_t> alloc(uint64_t bytes) override { return memory_.alloc(bytes); }
  bool release(uint64_t addr) override { return memory_.release(addr); }
  [[nodiscard]] bool allocated(uint64_t addr, uint64_t len) const override {
    return memory_.allocated(addr, len);
  }
  void write(uint64_t addr, std::span<const std::byte> in) override;
  void read(uint64_t addr, std::span<std::byte> out) override;
  void fill(uint64_t addr, uint32_t value, unsigned elem, uint64_t count) override;
  void move(uint64_t dst, uint64_t src, uint64_t len) override;
  [[nodiscard]] int memory_fd() const override { return memory_.fd(); }

 private:
  struct Function {
    uint64_t module = 0;
    std::string kernel;
  };
  DeviceMemory& memory_;
  unsigned host_threads_;
  std::map<uint64_t, std::unique_ptr<ptx::Executor>> modules_;
  std::map<uint64_t, Function> functions_;
  uint64_t next_ = 1;
};

}  // namespace cxlsim::accel
