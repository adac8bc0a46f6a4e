#include "accel/device_memory.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "spec/error.h"

namespace cxlsim::accel {

DeviceMemory::DeviceMemory(Bytes size) : size_(size.value()) {
  if (size_ == 0 || size_ % 4096 != 0) {
    throw ValidationError(
        fmt::format("device memory of {} bytes: must be a non-zero multiple of 4 KiB", size_));
  }
  fd_ = memfd_create("cxlsim-accel-hdm", MFD_CLOEXEC);
  if (fd_ < 0) throw OperationError(fmt::format("memfd_create: {}", std::strerror(errno)));
  if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    const int e = errno;
    ::close(fd_);
    throw OperationError(
        fmt::format("sizing device memory to {} bytes: {}", size_, std::strerror(e)));
  }
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    ::close(fd_);
    throw OperationError(fmt::format("mapping device memory: {}", std::strerror(e)));
  }
  base_ = static_cast<std::byte*>(p);
  clear();
}

DeviceMemory::~DeviceMemory() {
  munmap(base_, size_);
  ::close(fd_);
  if (backup_fd_ >= 0) ::close(backup_fd_);
}

namespace {

[[noreturn]] void fail(const char* what) {
  throw OperationError(fmt::format("device memory: {}: {}", what, std::strerror(errno)));
}

// Copies the data ranges of file `from`, which `from_map` maps, into file `to` (both `size`
// bytes): holes stay holes, so a sparse device memory stays cheap to move. copy_file_range()
// moves the pages inside the kernel (2.5 GB/s where pwrite() from the mapping made 0.4:
// bench/vfio_cxl_bench); pwrite() is the fallback where the kernel cannot.
void copy_data(int from, const std::byte* from_map, int to, uint64_t size) {
  off_t at = 0;
  while (static_cast<uint64_t>(at) < size) {
    const off_t data = lseek(from, at, SEEK_DATA);
    if (data < 0) break;  // ENXIO: no data after `at`
    off_t hole = lseek(from, data, SEEK_HOLE);
    if (hole < 0) hole = static_cast<off_t>(size);
    auto done = static_cast<uint64_t>(data);
    while (done < static_cast<uint64_t>(hole)) {
      const uint64_t left = static_cast<uint64_t>(hole) - done;
      auto in = static_cast<off_t>(done), out = in;
      ssize_t n = copy_file_range(from, &in, to, &out, left, 0);
      if (n < 0) n = pwrite(to, from_map + done, left, static_cast<off_t>(done));
      if (n <= 0) fail("copying the contents");
      done += static_cast<uint64_t>(n);
    }
    at = hole;
  }
}

}  // namespace

void DeviceMemory::set_shared(bool shared) {
  if (shared == this->shared()) return;
  const int to = shared ? fd_ : memfd_create("cxlsim-accel-hdm-private", MFD_CLOEXEC);
  if (to < 0) fail("memfd_create");
  if (ftruncate(to, static_cast<off_t>(size_)) != 0) fail("sizing device memory");
  copy_data(shared ? backup_fd_ : fd_, base_, to, size_);
  // The same host address now maps the other file: pointers into device memory stay valid.
  if (mmap(base_, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, to, 0) == MAP_FAILED) {
    fail("moving the mapping");
  }
  if (shared) {
    ::close(backup_fd_);
    backup_fd_ = -1;
  } else {
    backup_fd_ = to;
    if (ftruncate(fd_, 0) != 0) fail("zapping the clients' mappings");
  }
}

void DeviceMemory::clear() {
  free_ranges_.clear();
  live_.clear();
  free_ranges_[0] = size_;
  free_ = size_;
}

std::optional<uint64_t> DeviceMemory::alloc(uint64_t bytes, uint64_t align) {
  if (bytes == 0 || align == 0 || (align & (align - 1)) != 0) return std::nullopt;
  const uint64_t need = (bytes + kAlign - 1) / kAlign * kAlign;
  for (auto it = free_ranges_.begin(); it != free_ranges_.end(); ++it) {
    const uint64_t start = (it->first + align - 1) / align * align;
    const uint64_t end = it->first + it->second;
    if (start > end || end - start < need) continue;
    const uint64_t before = start - it->first, after = end - (start + need);
    const uint64_t at = it->first;
    free_ranges_.erase(it);
    if (before > 0) free_ranges_[at] = before;
    if (after > 0) free_ranges_[start + need] = after;
    live_[start] = need;
    free_ -= need;
    return kBase + start;
  }
  return std::nullopt;
}

bool DeviceMemory::release(uint64_t addr) {
  if (addr < kBase) return false;
  const auto it = live_.find(addr - kBase);
  if (it == live_.end()) return false;
  uint64_t start = it->first, len = it->second;
  live_.erase(it);
  free_ += len;
  auto next = free_ranges_.lower_bound(start);
  if (next != free_ranges_.end() && start + len == next->first) {
    len += next->second;
    next = free_ranges_.erase(next);
  }
  if (next != free_ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      prev->second += len;
      return true;
    }
  }
  free_ranges_[start] = len;
  return true;
}

bool DeviceMemory::allocated(uint64_t addr, uint64_t len) const {
  if (addr < kBase) return false;
  const uint64_t off = addr - kBase;
  auto it = live_.upper_bound(off);
  if (it == live_.begin()) return false;
  --it;
  return off - it->first <= it->second && len <= it->second - (off - it->first);
}

std::byte* DeviceMemory::host(uint64_t addr, uint64_t len) {
  if (addr < kBase || len > size_ || addr - kBase > size_ - len) return nullptr;
  return base_ + (addr - kBase);
}

std::optional<ptx::MappedRange> DeviceMemory::map(uint64_t addr) {
  if (addr < kBase || addr - kBase >= size_) return std::nullopt;
  return ptx::MappedRange{kBase, base_, size_};
}

uint64_t DeviceMemory::allocate(uint64_t size, uint64_t align) {
  const auto a = alloc(size == 0 ? 1 : size, std::max<uint64_t>(align, 1));
  if (!a) throw std::runtime_error("device memory is full");
  return *a;
}

}  // namespace cxlsim::accel
