// The memory that PTX's .global state space addresses: the accelerator's device memory. The device
// server implements GlobalMemory over its own memory; FlatGlobalMemory is one host buffer at a
// chosen base address (tests, benchmarks, tools).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace cxlsim::ptx {

// A contiguous run of device addresses [base, base + size) held in host memory at `host`.
struct MappedRange {
  uint64_t base = 0;
  std::byte* host = nullptr;
  uint64_t size = 0;
  [[nodiscard]] bool contains(uint64_t addr, uint64_t len) const {
    return addr >= base && len <= size && addr - base <= size - len;
  }
};

// Device memory as seen by kernels. map() returns the largest mapped range holding `addr`, or
// nothing when `addr` is not device memory (the access then faults the launch). The executor
// caches ranges, so a range must stay valid for the whole launch. Accesses from several host
// threads go to the returned memory directly; atomics use std::atomic_ref on it.
class GlobalMemory {
 public:
  virtual ~GlobalMemory() = default;
  virtual std::optional<MappedRange> map(uint64_t addr) = 0;
  // Memory for a module's .global variables, `size` bytes aligned to `align`. Returns the device
  // address; throws std::runtime_error when there is no room.
  virtual uint64_t allocate(uint64_t size, uint64_t align) = 0;
};

// One zero-filled host buffer of `size` bytes mapped at device address `base`. allocate() takes
// space from the top of the buffer downwards; alloc() (for callers) from the bottom upwards.
class FlatGlobalMemory final : public GlobalMemory {
 public:
  FlatGlobalMemory(uint64_t base, uint64_t size);
  std::optional<MappedRange> map(uint64_t addr) override;
  uint64_t allocate(uint64_t size, uint64_t align) override;

  // A fresh device buffer for a caller (kernel arguments); throws when full.
  uint64_t alloc(uint64_t size, uint64_t align = 256);
  // Host view of [addr, addr + len); throws std::out_of_range outside the buffer.
  std::byte* at(uint64_t addr, uint64_t len);
  [[nodiscard]] uint64_t base() const { return base_; }

 private:
  uint64_t base_;
  std::vector<std::byte> bytes_;
  uint64_t low_ = 0;  // next free offset from the bottom
  uint64_t high_;     // lowest offset taken from the top
};

}  // namespace cxlsim::ptx
