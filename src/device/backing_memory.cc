#include "device/backing_memory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "device/runtime_dir.h"
#include "spec/error.h"

namespace cxlsim {

namespace {
std::byte* map_or_throw(void* p, const std::string& what) {
  if (p == MAP_FAILED) {
    throw ValidationError(fmt::format("{}: cannot map memory: {}", what, std::strerror(errno)));
  }
  return static_cast<std::byte*>(p);
}
}  // namespace

BackingMemory BackingMemory::anonymous(Bytes size) {
  BackingMemory m;
  m.size_ = size;
  if (size.value() == 0) return m;
  m.data_ = map_or_throw(mmap(nullptr, size.value(), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                         "anonymous backing");
  return m;
}

BackingMemory BackingMemory::file(const std::string& path, Bytes size) {
  BackingMemory m;
  m.size_ = size;
  m.path_ = path;
  if (size.value() == 0) return m;
  device::ensure_runtime_dir_for(path);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw ValidationError(fmt::format("backing file '{}': {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || (static_cast<uint64_t>(st.st_size) < size.value() &&
                              ftruncate(fd, static_cast<off_t>(size.value())) != 0)) {
    const int e = errno;
    close(fd);
    throw ValidationError(fmt::format("backing file '{}': cannot size to {} bytes: {}", path,
                                      size.value(), std::strerror(e)));
  }
  void* p = mmap(nullptr, size.value(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  m.data_ = map_or_throw(p, fmt::format("backing file '{}'", path));
  return m;
}

void BackingMemory::sync() const {
  if (path_.empty() || data_ == nullptr) return;
  if (msync(data_, size_.value(), MS_SYNC) != 0) {
    throw std::runtime_error(
        fmt::format("backing file '{}': cannot write back: {}", path_, std::strerror(errno)));
  }
}

BackingMemory::BackingMemory(BackingMemory&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(o.size_), path_(std::move(o.path_)) {}

BackingMemory& BackingMemory::operator=(BackingMemory&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = o.size_;
    path_ = std::move(o.path_);
  }
  return *this;
}

BackingMemory::~BackingMemory() { release(); }

void BackingMemory::release() {
  if (data_) munmap(data_, size_.value());
  data_ = nullptr;
}

}  // namespace cxlsim
