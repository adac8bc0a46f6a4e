// The `cuda` compute backend: forwards modules, launches and device memory to a CUDA driver
// library on the host (dlopen, default libcuda.so.1: a real GPU's driver), so the emulated Type 2
// device runs kernels on real hardware where there is some. The GPU's memory cannot be mapped by
// clients (memory_fd() is -1): copies go through the command interface's DATA window. Kernel
// parameter layouts come from the driver's cuFuncGetParamInfo (CUDA 12.4 and later).
//
// Every call makes the backend's context current first: the device server runs commands on the
// thread of whichever connection sent them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "accel/compute_backend.h"

namespace cxlsim::accel {

class CudaBackend final : public ComputeBackend {
 public:
  // Opens `library`, initializes the driver and creates a context on device 0. Throws
  // OperationError naming the library and the failed call.
  explicit CudaBackend(const std::string& library);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  [[nodiscard]] std::string name() const override { return "cuda"; }
  uint64_t load_module(std::span<const std::byte> image) override;
  void unload_module(uint64_t module) override;
  FunctionInfo function(uint64_t module, std::string_view name) override;
  LaunchResult launch(uint64_t function, const Geometry& g,
                      std::span<const std::byte> params) override;
  void reset() override;

  [[nodiscard]] uint64_t total_bytes() const override;
  [[nodiscard]] uint64_t free_bytes() const override;
  std::optional<uint64_t> alloc(uint64_t bytes) override;
  bool release(uint64_t addr) override;
  [[nodiscard]] bool allocated(uint64_t addr, uint64_t len) const override;
  void write(uint64_t addr, std::span<const std::byte> in) override;
  void read(uint64_t addr, std::span<std::byte> out) override;
  void fill(uint64_t addr, uint32_t value, unsigned elem, uint64_t count) override;
  void move(uint64_t dst, uint64_t src, uint64_t len) override;
  [[nodiscard]] int memory_fd() const override { return -1; }

  struct Driver;  // the library's entry points (cuda_backend.cc)

 private:
  void current() const;  // makes the context current on this thread
  void* library_ = nullptr;
  std::unique_ptr<Driver> cu_;
  void* context_ = nullptr;
  std::map<uint64_t, void*> modules_;         // handle -> CUmodule
  std::map<uint64_t, void*> functions_;       // handle -> CUfunction
  std::map<uint64_t, uint64_t> allocations_;  // device address -> bytes
  uint64_t next_ = 1;
};

}  // namespace cxlsim::accel
