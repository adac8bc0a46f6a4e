#include "ptx/global_memory.h"

#include <stdexcept>

namespace cxlsim::ptx {

FlatGlobalMemory::FlatGlobalMemory(uint64_t base, uint64_t size)
    : base_(base), bytes_(size), high_(size) {}

std::optional<MappedRange> FlatGlobalMemory::map(uint64_t addr) {
  if (addr < base_ || addr - base_ >= bytes_.size()) {
    return std::nullopt;
  }
  return MappedRange{base_, bytes_.data(), bytes_.size()};
}

uint64_t FlatGlobalMemory::allocate(uint64_t size, uint64_t align) {
  if (align == 0) {
    align = 1;
  }
  if (size > high_) {
    throw std::runtime_error("ptx: global memory full");
  }
  const uint64_t off = (high_ - size) / align * align;
  if (off < low_) {
    throw std::runtime_error("ptx: global memory full");
  }
  high_ = off;
  return base_ + off;
}

uint64_t FlatGlobalMemory::alloc(uint64_t size, uint64_t align) {
  if (align == 0) {
    align = 1;
  }
  const uint64_t off = (low_ + align - 1) / align * align;
  if (off > high_ || size > high_ - off) {
    throw std::runtime_error("ptx: global memory full");
  }
  low_ = off + size;
  return base_ + off;
}

std::byte* FlatGlobalMemory::at(uint64_t addr, uint64_t len) {
  const MappedRange r{base_, bytes_.data(), bytes_.size()};
  if (!r.contains(addr, len)) {
    throw std::out_of_range("ptx: address outside global memory");
  }
  return bytes_.data() + (addr - base_);
}

}  // namespace cxlsim::ptx
