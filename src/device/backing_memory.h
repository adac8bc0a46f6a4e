// Host memory that holds a device's media contents: anonymous RAM (lost at exit) or a file
// mapped shared, so that persistent capacity survives restarts (like QEMU's
// memory-backend-file share=on). Pages are only touched when accessed, so large devices cost
// nothing until used.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "spec/units.h"

namespace cxlsim {

class BackingMemory {
 public:
  BackingMemory() = default;
  // Anonymous zero-filled memory of `size` bytes.
  static BackingMemory anonymous(Bytes size);
  // The file at `path`, created or extended to `size` bytes and mapped shared. Throws
  // ValidationError naming the path when it cannot be opened, sized or mapped.
  static BackingMemory file(const std::string& path, Bytes size);

  BackingMemory(BackingMemory&& o) noexcept;
  BackingMemory& operator=(BackingMemory&& o) noexcept;
  BackingMemory(const BackingMemory&) = delete;
  BackingMemory& operator=(const BackingMemory&) = delete;
  ~BackingMemory();

  // Writes a file mapping's changed pages to the file (msync MS_SYNC), so they survive a
  // crash; nothing for anonymous memory. Throws std::runtime_error naming the path on failure.
  void sync() const;

  [[nodiscard]] Bytes size() const { return size_; }
  // Empty for anonymous memory.
  [[nodiscard]] const std::string& path() const { return path_; }
  std::span<std::byte> bytes() { return {data_, size_.value()}; }
  [[nodiscard]] std::span<const std::byte> bytes() const { return {data_, size_.value()}; }

 private:
  void release();
  std::byte* data_ = nullptr;
  Bytes size_;
  std::string path_;
};

}  // namespace cxlsim
