#include "accel/cuda_backend.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <vector>

#include "accel/fatbin_reader.h"
#include "spec/error.h"

namespace cxlsim::accel {

// The CUDA Driver API calls the backend makes, with the driver's C types (from the CUDA Driver
// API documentation): CUresult is an int, handles are pointers, CUdeviceptr is 64 bits.
struct CudaBackend::Driver {
  using Result = int;
  using DevPtr = unsigned long long;  // NOLINT(google-runtime-int): CUdeviceptr's type
  Result (*init)(unsigned) = nullptr;
  Result (*device_get)(int*, int) = nullptr;
  Result (*ctx_create)(void**, unsigned, int) = nullptr;
  Result (*ctx_destroy)(void*) = nullptr;
  Result (*ctx_set_current)(void*) = nullptr;
  Result (*ctx_synchronize)() = nullptr;
  Result (*mem_alloc)(DevPtr*, size_t) = nullptr;
  Result (*mem_free)(DevPtr) = nullptr;
  Result (*mem_get_info)(size_t*, size_t*) = nullptr;
  Result (*memcpy_htod)(DevPtr, const void*, size_t) = nullptr;
  Result (*memcpy_dtoh)(void*, DevPtr, size_t) = nullptr;
  Result (*memcpy_dtod)(DevPtr, DevPtr, size_t) = nullptr;
  Result (*memset_d8)(DevPtr, unsigned char, size_t) = nullptr;
  Result (*memset_d16)(DevPtr, unsigned short, size_t) = nullptr;  // NOLINT(google-runtime-int)
  Result (*memset_d32)(DevPtr, unsigned, size_t) = nullptr;
  Result (*module_load_data)(void**, const void*) = nullptr;
  Result (*module_unload)(void*) = nullptr;
  Result (*module_get_function)(void**, void*, const char*) = nullptr;
  Result (*func_get_param_info)(void*, size_t, size_t*, size_t*) = nullptr;
  Result (*launch_kernel)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                          unsigned, void*, void**, void**) = nullptr;
  Result (*get_error_name)(Result, const char**) = nullptr;

  [[nodiscard]] std::string error(Result r) const {
    const char* name = nullptr;
    if (get_error_name != nullptr) get_error_name(r, &name);
    return name != nullptr ? name : fmt::format("CUresult {}", r);
  }
  // Throws CommandError with the driver's result (a CUresult: the device's status as is).
  void check(Result r, const char* call) const {
    if (r != 0) {
      throw CommandError(static_cast<uint32_t>(r), fmt::format("{}: {}", call, error(r)));
    }
  }
};

namespace {

template <class F>
void bind(void* lib, const std::string& library, F& fn, const char* symbol, bool required = true) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (fn == nullptr && required) {
    throw OperationError(fmt::format("{} has no {}: not a CUDA driver library", library, symbol));
  }
}

}  // namespace

CudaBackend::CudaBackend(const std::string& library) : cu_(std::make_unique<Driver>()) {
  library_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    throw OperationError(fmt::format("cannot load the CUDA driver {}: {}", library, dlerror()));
  }
  Driver& d = *cu_;
  bind(library_, library, d.init, "cuInit");
  bind(library_, library, d.device_get, "cuDeviceGet");
  bind(library_, library, d.ctx_create, "cuCtxCreate_v2");
  bind(library_, library, d.ctx_destroy, "cuCtxDestroy_v2");
  bind(library_, library, d.ctx_set_current, "cuCtxSetCurrent");
  bind(library_, library, d.ctx_synchronize, "cuCtxSynchronize");
  bind(library_, library, d.mem_alloc, "cuMemAlloc_v2");
  bind(library_, library, d.mem_free, "cuMemFree_v2");
  bind(library_, library, d.mem_get_info, "cuMemGetInfo_v2");
  bind(library_, library, d.memcpy_htod, "cuMemcpyHtoD_v2");
  bind(library_, library, d.memcpy_dtoh, "cuMemcpyDtoH_v2");
  bind(library_, library, d.memcpy_dtod, "cuMemcpyDtoD_v2");
  bind(library_, library, d.memset_d8, "cuMemsetD8_v2");
  bind(library_, library, d.memset_d16, "cuMemsetD16_v2", false);
  bind(library_, library, d.memset_d32, "cuMemsetD32_v2");
  bind(library_, library, d.module_load_data, "cuModuleLoadData");
  bind(library_, library, d.module_unload, "cuModuleUnload");
  bind(library_, library, d.module_get_function, "cuModuleGetFunction");
  bind(library_, library, d.func_get_param_info, "cuFuncGetParamInfo");
  bind(library_, library, d.launch_kernel, "cuLaunchKernel");
  bind(library_, library, d.get_error_name, "cuGetErrorName", false);
  int dev = 0;
  for (const auto& [r, call] :
       {std::pair{d.init(0), "cuInit"}, std::pair{d.device_get(&dev, 0), "cuDeviceGet"},
        std::pair{d.ctx_create(&context_, 0, dev), "cuCtxCreate"}}) {
    if (r != 0) {
      throw OperationError(fmt::format("{} ({}): {}", call, library, d.error(r)));
    }
  }
}

CudaBackend::~CudaBackend() {
  if (context_ != nullptr) {
    cu_->ctx_set_current(context_);
    for (const auto& [addr, len] : allocations_) cu_->mem_free(addr);
    for (const auto& [h, m] : modules_) cu_->module_unload(m);
    cu_->ctx_destroy(context_);
  }
  // The library stays loaded: a driver may keep threads that outlive its last context.
}

void CudaBackend::current() const { cu_->check(cu_->ctx_set_current(context_), "cuCtxSetCurrent"); }

// The image goes to the driver unchanged (a cubin or fatbin sizes itself); PTX text gets its
// terminating NUL, which cuModuleLoadData reads up to.
uint64_t CudaBackend::load_module(std::span<const std::byte> image) {
  current();
  std::string text;
  const void* data = image.data();
  if (image_kind(image) == ImageKind::kPtx) {
    text.assign(reinterpret_cast<const char*>(image.data()), image.size());
    data = text.c_str();
  }
  void* m = nullptr;
  cu_->check(cu_->module_load_data(&m, data), "cuModuleLoadData");
  modules_[next_] = m;
  return next_++;
}

void CudaBackend::unload_module(uint64_t module) {
  const auto m = modules_.find(module);
  if (m == modules_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no module {}", module));
  }
  current();
  cu_->check(cu_->module_unload(m->second), "cuModuleUnload");
  modules_.erase(m);
}

FunctionInfo CudaBackend::function(uint64_t module, std::string_view name) {
  const auto m = modules_.find(module);
  if (m == modules_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no module {}", module));
  }
  current();
  void* f = nullptr;
  cu_->check(cu_->module_get_function(&f, m->second, std::string(name).c_str()),
             "cuModuleGetFunction");
  FunctionInfo info;
  info.handle = next_++;
  info.module = module;
  // Parameters until the driver says there is none at that index.
  for (size_t i = 0;; ++i) {
    size_t offset = 0, size = 0;
    if (cu_->func_get_param_info(f, i, &offset, &size) != 0) break;
    info.params.push_back({offset, size});
    info.param_bytes = std::max<uint64_t>(info.param_bytes, offset + size);
  }
  functions_[info.handle] = f;
  return info;
}

LaunchResult CudaBackend::launch(uint64_t function, const Geometry& g,
                                 std::span<const std::byte> params) {
  const auto f = functions_.find(function);
  if (f == functions_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no function {}", function));
  }
  current();
  std::vector<std::byte> buffer(params.begin(), params.end());
  size_t size = buffer.size();
  // CU_LAUNCH_PARAM_BUFFER_POINTER (1), CU_LAUNCH_PARAM_BUFFER_SIZE (2), CU_LAUNCH_PARAM_END (0)
  void* extra[] = {reinterpret_cast<void*>(1), buffer.data(),  // NOLINT(performance-no-int-to-ptr)
                   reinterpret_cast<void*>(2), &size,          // NOLINT(performance-no-int-to-ptr)
                   nullptr};
  cu_->check(cu_->launch_kernel(f->second, g.grid[0], g.grid[1], g.grid[2], g.block[0], g.block[1],
                                g.block[2], static_cast<unsigned>(g.dynamic_shared), nullptr,
                                nullptr, buffer.empty() ? nullptr : extra),
             "cuLaunchKernel");
  cu_->check(cu_->ctx_synchronize(), "cuCtxSynchronize");
  return {};  // the driver does not count instructions or bytes
}

void CudaBackend::reset() {
  current();
  for (const auto& [addr, len] : allocations_) cu_->mem_free(addr);
  for (const auto& [h, m] : modules_) cu_->module_unload(m);
  allocations_.clear();
  modules_.clear();
  functions_.clear();
}

uint64_t CudaBackend::total_bytes() const {
  current();
  size_t free = 0, total = 0;
  cu_->check(cu_->mem_get_info(&free, &total), "cuMemGetInfo");
  return total;
}

uint64_t CudaBackend::free_bytes() const {
  current();
  size_t free = 0, total = 0;
  cu_->check(cu_->mem_get_info(&free, &total), "cuMemGetInfo");
  return free;
}

std::optional<uint64_t> CudaBackend::alloc(uint64_t bytes) {
  current();
  Driver::DevPtr p = 0;
  if (cu_->mem_alloc(&p, bytes) != 0) return std::nullopt;
  allocations_[p] = bytes;
  return p;
}

bool CudaBackend::release(uint64_t addr) {
  const auto a = allocations_.find(addr);
  if (a == allocations_.end()) return false;
  current();
  cu_->check(cu_->mem_free(addr), "cuMemFree");
  allocations_.erase(a);
  return true;
}

bool CudaBackend::allocated(uint64_t addr, uint64_t len) const {
  auto it = allocations_.upper_bound(addr);
  if (it == allocations_.begin()) return false;
  --it;
  return addr - it->first <= it->second && len <= it->second - (addr - it->first);
}

void CudaBackend::write(uint64_t addr, std::span<const std::byte> in) {
  current();
  cu_->check(cu_->memcpy_htod(addr, in.data(), in.size()), "cuMemcpyHtoD");
}

void CudaBackend::read(uint64_t addr, std::span<std::byte> out) {
  current();
  cu_->check(cu_->memcpy_dtoh(out.data(), addr, out.size()), "cuMemcpyDtoH");
}

void CudaBackend::fill(uint64_t addr, uint32_t value, unsigned elem, uint64_t count) {
  current();
  if (elem == 1) {
    cu_->check(cu_->memset_d8(addr, static_cast<unsigned char>(value), count), "cuMemsetD8");
  } else if (elem == 2 && cu_->memset_d16 != nullptr) {
    // NOLINTNEXTLINE(google-runtime-int): cuMemsetD16's type
    cu_->check(cu_->memset_d16(addr, static_cast<unsigned short>(value), count), "cuMemsetD16");
  } else if (elem == 4) {
    cu_->check(cu_->memset_d32(addr, value, count), "cuMemsetD32");
  } else {
    throw CommandError(CXL2_ERR_NOT_SUPPORTED, "this driver has no cuMemsetD16");
  }
}

void CudaBackend::move(uint64_t dst, uint64_t src, uint64_t len) {
  current();
  cu_->check(cu_->memcpy_dtod(dst, src, len), "cuMemcpyDtoD");
}

}  // namespace cxlsim::accel
