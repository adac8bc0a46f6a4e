#include "accel/ptx_backend.h"

#include <fmt/format.h>

#include <cstring>

#include "accel/fatbin_reader.h"
#include "ptx/module.h"
#include "ptx/warp.h"

namespace cxlsim::accel {

uint64_t PtxBackend::load_module(std::span<const std::byte> image) {
  const std::string ptx = module_ptx(image, CXL2_DEVICE_SM_ARCH);
  try {
    auto exec = std::make_unique<ptx::Executor>(ptx::Module::load(ptx), memory_);
    const uint64_t h = next_++;
    modules_[h] = std::move(exec);
    return h;
  } catch (const ptx::LoadError& e) {
    throw CommandError(CXL2_ERR_INVALID_PTX, e.what());
  } catch (const std::runtime_error& e) {  // no room for the module's .global variables
    throw CommandError(CXL2_ERR_OUT_OF_MEMORY, e.what());
  }
}

void PtxBackend::unload_module(uint64_t module) {
  if (modules_.erase(module) == 0) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no module {}", module));
  }
  std::erase_if(functions_, [&](const auto& f) { return f.second.module == module; });
}

FunctionInfo PtxBackend::function(uint64_t module, std::string_view name) {
  const auto m = modules_.find(module);
  if (m == modules_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no module {}", module));
  }
  const ptx::Kernel* k = m->second->module().kernel(name);
  if (k == nullptr) {
    throw CommandError(CXL2_ERR_NOT_FOUND,
                       fmt::format("module {} has no kernel '{}'", module, name));
  }
  FunctionInfo f;
  f.handle = next_++;
  f.module = module;
  f.param_bytes = k->param_bytes;
  for (const ptx::KernelParam& p : k->params) f.params.push_back({p.offset, p.size});
  functions_[f.handle] = {module, std::string(name)};
  return f;
}

namespace {

// The CUresult a GPU's driver returns for a kernel fault of this kind (an H200 with CUDA 13's
// driver gives CUDA_ERROR_ILLEGAL_ADDRESS for a wild pointer: bench/accel_gpu_check.sh).
cxl2_result launch_result(ptx::ExecError::Kind kind) {
  switch (kind) {
    case ptx::ExecError::Kind::kIllegalAddress:
      return CXL2_ERR_ILLEGAL_ADDRESS;
    case ptx::ExecError::Kind::kMisaligned:
      return CXL2_ERR_MISALIGNED_ADDRESS;
    default:
      return CXL2_ERR_LAUNCH_FAILED;
  }
}

}  // namespace

LaunchResult PtxBackend::launch(uint64_t function, const Geometry& g,
                                std::span<const std::byte> params) {
  const auto f = functions_.find(function);
  if (f == functions_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no function {}", function));
  }
  ptx::LaunchConfig cfg;
  cfg.grid = {g.grid[0], g.grid[1], g.grid[2]};
  cfg.block = {g.block[0], g.block[1], g.block[2]};
  cfg.dynamic_shared_bytes = g.dynamic_shared;
  cfg.host_threads = host_threads_;
  // A kernel that never ends fails its launch instead of hanging the device: 2^34 instructions
  // per warp is minutes of work on the executor, far beyond any test kernel.
  cfg.max_warp_instructions = uint64_t{1} << 34;
  try {
    const ptx::LaunchStats s = modules_.at(f->second.module)->launch(f->second.kernel, cfg, params);
    return {s.thread_instructions, s.global_bytes, s.global_written};
  } catch (const std::invalid_argument& e) {
    throw CommandError(CXL2_ERR_INVALID_VALUE, e.what());
  } catch (const ptx::ExecError& e) {
    throw CommandError(launch_result(e.kind()), e.what());
  }
}

void PtxBackend::reset() {
  functions_.clear();
  modules_.clear();
  memory_.clear();
}

void PtxBackend::write(uint64_t addr, std::span<const std::byte> in) {
  std::memcpy(memory_.host(addr, in.size()), in.data(), in.size());
}

void PtxBackend::read(uint64_t addr, std::span<std::byte> out) {
  std::memcpy(out.data(), memory_.host(addr, out.size()), out.size());
}

void PtxBackend::fill(uint64_t addr, uint32_t value, unsigned elem, uint64_t count) {
  std::byte* p = memory_.host(addr, elem * count);
  for (uint64_t i = 0; i < count; ++i) std::memcpy(p + i * elem, &value, elem);  // little-endian
}

void PtxBackend::move(uint64_t dst, uint64_t src, uint64_t len) {
  std::memmove(memory_.host(dst, len), memory_.host(src, len), len);
}

}  // namespace cxlsim::accel
