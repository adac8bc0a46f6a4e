// The accelerator's device memory (its HDM, BAR4): one shared memory file (memfd) of the
// device's size, mapped in the device server and, through the file descriptor the server passes
// on, in every client (the libcuda shim maps it, so copies move at memory speed). Device address
// A is byte A - CXL2_DEVICE_BASE of the file. Allocations (cuMemAlloc and the PTX modules'
// .global variables) are first fit over free ranges, 256-byte aligned as CUDA's are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "accel/gpu_interface.h"
#include "ptx/global_memory.h"
#include "spec/units.h"

namespace cxlsim::accel {

class DeviceMemory final : public ptx::GlobalMemory {
 public:
  static constexpr uint64_t kBase = CXL2_DEVICE_BASE;
  static constexpr uint64_t kAlign = 256;

  // Throws OperationError when the file cannot be created or mapped.
  explicit DeviceMemory(Bytes size);
  ~DeviceMemory() override;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] uint64_t size() const { return size_; }
  [[nodiscard]] uint64_t free_bytes() const { return free_; }

  // A new allocation of `bytes` (> 0), or nothing when no free range is large enough.
  std::optional<uint64_t> alloc(uint64_t bytes, uint64_t align = kAlign);
  // Frees the allocation that starts at `addr`; false when none starts there.
  bool release(uint64_t addr);
  // Whether [addr, addr + len) lies inside one live allocation.
  [[nodiscard]] bool allocated(uint64_t addr, uint64_t len) const;
  // Host view of [addr, addr + len) of device memory, or null outside it.
  std::byte* host(uint64_t addr, uint64_t len);
  // Frees every allocation (device reset).
  void clear();

  // Whether clients' mappings of fd() reach the memory (the vfio-cxl DPA region's fault and
  // zap, docs/vfio_cxl.md). Unshared, fd() is truncated to 0 bytes, so a client's mapping of it
  // faults (SIGBUS; EFAULT in a system call) while this object keeps the contents in a private
  // file mapped at the same host address (host() and map() keep working); sharing again sizes
  // fd() back, copies the contents in and maps it here again, so the clients' existing mappings
  // fault the pages back in without a new mmap. Throws OperationError when a file cannot be
  // created, sized or mapped.
  void set_shared(bool shared);
  [[nodiscard]] bool shared() const { return backup_fd_ < 0; }

  // ptx::GlobalMemory: kernels see the whole device memory; .global variables are allocations.
  std::optional<ptx::MappedRange> map(uint64_t addr) override;
  uint64_t allocate(uint64_t size, uint64_t align) override;

 private:
  int fd_ = -1;
  int backup_fd_ = -1;  // the private file holding the contents while unshared
  uint64_t size_ = 0;
  std::byte* base_ = nullptr;
  std::map<uint64_t, uint64_t> free_ranges_;  // offset -> length, coalesced
  std::map<uint64_t, uint64_t> live_;         // offset -> length
  uint64_t free_ = 0;
};

}  // namespace cxlsim::accel
