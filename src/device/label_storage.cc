#include "device/label_storage.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "device/runtime_dir.h"

namespace cxlsim::device {

LabelStorage::LabelStorage(LabelStorage&& o) noexcept
    : size_(o.size_),
      ram_(std::move(o.ram_)),
      path_(std::move(o.path_)),
      fd_(std::exchange(o.fd_, -1)),
      writable_(o.writable_),
      dirty_(o.dirty_) {}

LabelStorage& LabelStorage::operator=(LabelStorage&& o) noexcept {
  if (this != &o) {
    close_file();
    size_ = o.size_;
    ram_ = std::move(o.ram_);
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
    writable_ = o.writable_;
    dirty_ = o.dirty_;
  }
  return *this;
}

LabelStorage::~LabelStorage() { close_file(); }

void LabelStorage::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void LabelStorage::fail(const char* what) const {
  throw std::runtime_error(
      fmt::format("label storage '{}': cannot {}: {}", path_, what, std::strerror(errno)));
}

bool LabelStorage::open_for_read() const {
  if (fd_ >= 0) return true;
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0 && errno == ENOENT) return false;
  if (fd_ < 0) fail("open");
  return true;
}

void LabelStorage::open_for_write() {
  if (fd_ >= 0 && writable_) return;
  close_file();
  ensure_runtime_dir_for(path_);  // a built-in's files (qemu-*)
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("open");
  writable_ = true;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("stat");
  // QEMU's memory-backend-file expects the whole size; the file stays sparse.
  if (static_cast<uint64_t>(st.st_size) < size_.value() &&
      ::ftruncate(fd_, static_cast<off_t>(size_.value())) != 0) {
    fail("extend");
  }
}

void LabelStorage::read(uint64_t offset, std::span<uint8_t> out) const {
  if (path_.empty()) return ram_.read(Dpa(offset), out);
  std::fill(out.begin(), out.end(), uint8_t{0});
  if (!open_for_read()) return;
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read");
    if (n == 0) break;  // past the end of a short file: zeros
    done += static_cast<size_t>(n);
  }
}

void LabelStorage::write(uint64_t offset, std::span<const uint8_t> in) {
  if (path_.empty()) return ram_.write(Dpa(offset), in);
  open_for_write();
  size_t done = 0;
  while (done < in.size()) {
    const ssize_t n =
        ::pwrite(fd_, in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<size_t>(n);
  }
  dirty_ = true;
}

void LabelStorage::erase() {
  if (path_.empty()) return ram_.erase(Dpa(0), size_);
  if (!open_for_read()) return;  // absent: already all zero
  open_for_write();
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  static_cast<off_t>(size_.value())) == 0) {
    dirty_ = true;
    return;
  }
  // A file system without hole punching: write zeros.
  const std::vector<uint8_t> zeros(size_t{64} * 1024, 0);
  for (uint64_t off = 0; off < size_.value(); off += zeros.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), size_.value() - off));
    write(off, std::span(zeros.data(), n));
  }
}

void LabelStorage::sync() const {
  if (fd_ < 0 || !dirty_) return;
  if (::fsync(fd_) != 0) fail("write back");
}

}  // namespace cxlsim::device
