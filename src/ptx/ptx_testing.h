// Test helpers: PTX files of the test kernels, and a device with flat global memory.
#pragma once

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptx/executor.h"

namespace cxlsim::ptx::testing {

// testdata/<name>.<compiler>.ptx: clang's built at build time, nvcc's checked in.
inline std::string kernel_ptx(const std::string& name, const std::string& compiler) {
  const std::string dir = compiler == "clang" ? CXLSIM_PTX_CLANG_DIR : CXLSIM_PTX_NVCC_DIR;
  std::ifstream in(dir + "/" + name + "." + compiler + ".ptx");
  if (!in) throw std::runtime_error("missing " + dir + "/" + name + "." + compiler + ".ptx");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A module loaded on 64 MiB of flat device memory.
class TestDevice {
 public:
  explicit TestDevice(const std::string& ptx, unsigned host_threads = 2)
      : mem_(0x7000'0000, 64 << 20), exec_(Module::load(ptx), mem_), threads_(host_threads) {}

  template <class T>
  uint64_t upload(const std::vector<T>& v) {
    const uint64_t a = mem_.alloc(std::max<size_t>(v.size() * sizeof(T), 1));
    if (!v.empty()) std::memcpy(mem_.at(a, v.size() * sizeof(T)), v.data(), v.size() * sizeof(T));
    return a;
  }
  template <class T>
  std::vector<T> download(uint64_t addr, size_t n) {
    std::vector<T> v(n);
    if (n != 0) std::memcpy(v.data(), mem_.at(addr, n * sizeof(T)), n * sizeof(T));
    return v;
  }
  // Launches `kernel` with arguments given in parameter order.
  template <class... Args>
  LaunchStats launch(const std::string& kernel, Dim3 grid, Dim3 block, const Args&... args) {
    const Kernel* k = exec_.module().kernel(kernel);
    if (k == nullptr) throw std::invalid_argument("no kernel " + kernel);
    ParamBuffer p(*k);
    size_t i = 0;
    (p.set(i++, args), ...);
    LaunchConfig cfg;
    cfg.grid = grid;
    cfg.block = block;
    cfg.host_threads = threads_;
    return exec_.launch(kernel, cfg, p.bytes());
  }
  Executor& executor() { return exec_; }

 private:
  FlatGlobalMemory mem_;
  Executor exec_;
  unsigned threads_;
};

}  // namespace cxlsim::ptx::testing
