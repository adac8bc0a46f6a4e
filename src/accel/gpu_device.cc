#include "accel/gpu_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace cxlsim::accel {

GpuDevice::GpuDevice(ComputeBackend& backend) : backend_(backend), bar_(CXL2_BAR2_SIZE) { reset(); }

void GpuDevice::reset() {
  std::fill(bar_.begin(), bar_.end(), std::byte{0});
  set32(CXL2_REG_MAGIC, CXL2_MAGIC_VALUE);
  set32(CXL2_REG_VERSION, CXL2_VERSION_VALUE);
  set32(CXL2_REG_STATUS, CXL2_STATUS_READY);
  backend_.reset();
  set64(CXL2_REG_TOTAL_MEM, backend_.total_bytes());
  functions_.clear();
}

uint64_t GpuDevice::reg64(uint32_t offset) const {
  uint64_t v = 0;
  std::memcpy(&v, bar_.data() + offset, sizeof v);
  return v;
}
void GpuDevice::set64(uint32_t offset, uint64_t v) {
  std::memcpy(bar_.data() + offset, &v, sizeof v);
}
void GpuDevice::set32(uint32_t offset, uint32_t v) {
  std::memcpy(bar_.data() + offset, &v, sizeof v);
}

bool GpuDevice::read(uint64_t offset, std::span<std::byte> out) const {
  if (offset > bar_.size() || out.size() > bar_.size() - offset) return false;
  std::memcpy(out.data(), bar_.data() + offset, out.size());
  return true;
}

bool GpuDevice::write(uint64_t offset, std::span<const std::byte> in) {
  if (offset > bar_.size() || in.size() > bar_.size() - offset) return false;
  // MAGIC, VERSION and STATUS are read-only: the bytes of a write that land there are dropped.
  const uint64_t first = std::max<uint64_t>(offset, CXL2_REG_STATUS + 4);
  if (first >= offset + in.size()) return true;
  std::memcpy(bar_.data() + first, in.data() + (first - offset), in.size() - (first - offset));
  if (offset == CXL2_REG_CMD && in.size() == 4) {
    uint32_t cmd = 0;
    std::memcpy(&cmd, in.data(), 4);
    run(cmd);
  }
  return true;
}

std::string GpuDevice::data_text(uint64_t len) const {
  if (len > bar_.size() - CXL2_REG_DATA) {
    throw CommandError(CXL2_ERR_INVALID_VALUE,
                       fmt::format("{} bytes do not fit the DATA window", len));
  }
  const auto* p = reinterpret_cast<const char*>(bar_.data() + CXL2_REG_DATA);
  return {p, static_cast<size_t>(len)};
}

std::span<std::byte> GpuDevice::data(uint64_t len) {
  if (len > bar_.size() - CXL2_REG_DATA) {
    throw CommandError(CXL2_ERR_INVALID_VALUE,
                       fmt::format("{} bytes do not fit the DATA window", len));
  }
  return {bar_.data() + CXL2_REG_DATA, static_cast<size_t>(len)};
}

void GpuDevice::run(uint32_t cmd) {
  ++counters_.commands;
  set32(CXL2_REG_STATUS, CXL2_STATUS_READY | CXL2_STATUS_BUSY);
  uint32_t status = CXL2_OK;
  std::string message;
  try {
    execute(cmd);
  } catch (const CommandError& e) {
    status = e.result();
    message = e.what();
  } catch (const std::exception& e) {
    status = CXL2_ERR_UNKNOWN;
    message = e.what();
  }
  if (status != CXL2_OK) {
    ++counters_.failed;
    message.resize(std::min<size_t>(message.size(), 4095));
    std::memcpy(bar_.data() + CXL2_REG_DATA, message.c_str(), message.size() + 1);
  }
  set32(CXL2_REG_CMD_STATUS, status);
  set32(CXL2_REG_STATUS, CXL2_STATUS_READY);
}

void GpuDevice::check(uint64_t addr, uint64_t len, const char* what) const {
  if (!backend_.allocated(addr, len)) {
    throw CommandError(
        CXL2_ERR_INVALID_VALUE,
        fmt::format("{}: [{:#x}, +{}) is not inside one allocation", what, addr, len));
  }
}

void GpuDevice::copy(bool to_device) {
  const uint64_t addr = param(0), len = param(1);
  check(addr, len, to_device ? "copy to device" : "copy from device");
  if (param(2) == 1) {  // the data moves through DATA
    if (to_device) {
      backend_.write(addr, data(len));
    } else {
      backend_.read(addr, data(len));
    }
  } else if (backend_.memory_fd() < 0) {
    throw CommandError(CXL2_ERR_INVALID_VALUE,
                       "device memory cannot be mapped here: copies go through DATA (PARAM2 = 1)");
  }
  (to_device ? counters_.bytes_to_device : counters_.bytes_from_device) += len;
}

void GpuDevice::launch() {
  const uint64_t f = param(0);
  const auto info = std::find_if(functions_.begin(), functions_.end(),
                                 [&](const FunctionInfo& i) { return i.handle == f; });
  if (info == functions_.end()) {
    throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no function {}", f));
  }
  Geometry g;
  g.grid[0] = static_cast<uint32_t>(param(1));
  g.grid[1] = static_cast<uint32_t>(param(1) >> 32);
  g.grid[2] = static_cast<uint32_t>(param(2));
  g.block[0] = static_cast<uint32_t>(param(3));
  g.block[1] = static_cast<uint32_t>(param(3) >> 32);
  g.block[2] = static_cast<uint32_t>(param(4));
  g.dynamic_shared = param(5);
  for (const uint32_t d : {g.grid[0], g.grid[1], g.grid[2], g.block[0], g.block[1], g.block[2]}) {
    if (d == 0) throw CommandError(CXL2_ERR_INVALID_VALUE, "a grid or block dimension is 0");
  }
  const LaunchResult r = backend_.launch(f, g, data(info->param_bytes));
  ++counters_.launches;
  counters_.thread_instructions += r.thread_instructions;
  counters_.kernel_bytes += r.global_bytes;
  counters_.kernel_written += r.global_written;
  result(0, r.thread_instructions);
}

void GpuDevice::execute(uint32_t cmd) {
  switch (cmd) {
    case CXL2_CMD_INIT:
    case CXL2_CMD_CTX_SYNC:
      return;
    case CXL2_CMD_GET_DEVICE_COUNT:
      return result(0, 1);
    case CXL2_CMD_CTX_CREATE:
      return result(0, next_context_++);
    case CXL2_CMD_CTX_DESTROY:
      if (param(0) == 0 || param(0) >= next_context_) {
        throw CommandError(CXL2_ERR_INVALID_HANDLE, fmt::format("no context {}", param(0)));
      }
      return;
    case CXL2_CMD_MEM_ALLOC: {
      const auto a = param(0) == 0 ? std::nullopt : backend_.alloc(param(0));
      if (!a) {
        throw CommandError(
            param(0) == 0 ? CXL2_ERR_INVALID_VALUE : CXL2_ERR_OUT_OF_MEMORY,
            fmt::format("cannot allocate {} bytes ({} free)", param(0), backend_.free_bytes()));
      }
      return result(0, *a);
    }
    case CXL2_CMD_MEM_FREE:
      if (!backend_.release(param(0))) {
        throw CommandError(CXL2_ERR_INVALID_VALUE,
                           fmt::format("{:#x} is not the start of an allocation", param(0)));
      }
      return;
    case CXL2_CMD_COPY_HTOD:
      return copy(true);
    case CXL2_CMD_COPY_DTOH:
      return copy(false);
    case CXL2_CMD_MEM_GET_INFO:
      result(0, backend_.free_bytes());
      return result(1, backend_.total_bytes());
    case CXL2_CMD_MEMSET: {
      const uint64_t elem = param(2), count = param(3);
      if (elem != 1 && elem != 2 && elem != 4) {
        throw CommandError(CXL2_ERR_INVALID_VALUE, "memset element size must be 1, 2 or 4");
      }
      if (count > backend_.total_bytes()) {
        throw CommandError(CXL2_ERR_INVALID_VALUE, "memset: count exceeds device memory");
      }
      check(param(0), elem * count, "memset");
      backend_.fill(param(0), static_cast<uint32_t>(param(1)), static_cast<unsigned>(elem), count);
      return;
    }
    case CXL2_CMD_COPY_DTOD: {
      check(param(0), param(2), "copy destination");
      check(param(1), param(2), "copy source");
      backend_.move(param(0), param(1), param(2));
      return;
    }
    case CXL2_CMD_MODULE_LOAD:
      return result(0, backend_.load_module(data(param(0))));
    case CXL2_CMD_MODULE_UNLOAD:
      backend_.unload_module(param(0));
      std::erase_if(functions_, [&](const FunctionInfo& f) { return f.module == param(0); });
      return;
    case CXL2_CMD_FUNC_GET: {
      FunctionInfo f = backend_.function(param(0), data_text(param(1)));
      result(0, f.handle);
      result(1, f.params.size());
      result(2, f.param_bytes);
      functions_.push_back(std::move(f));
      return;
    }
    case CXL2_CMD_FUNC_PARAM: {
      const auto f = std::find_if(functions_.begin(), functions_.end(),
                                  [&](const FunctionInfo& i) { return i.handle == param(0); });
      if (f == functions_.end() || param(1) >= f->params.size()) {
        throw CommandError(CXL2_ERR_INVALID_VALUE,
                           fmt::format("function {} has no parameter {}", param(0), param(1)));
      }
      result(0, f->params[param(1)].offset);
      return result(1, f->params[param(1)].size);
    }
    case CXL2_CMD_LAUNCH_KERNEL:
      return launch();
    default:
      throw CommandError(CXL2_ERR_NOT_SUPPORTED, fmt::format("unknown command {:#x}", cmd));
  }
}

}  // namespace cxlsim::accel
