// A memory device's Label Storage Area (CXL 3.1 §8.2.9.9.2.3-4, Get/Set LSA), read and written
// by range: never loaded whole, and nothing is opened or allocated until a command touches it
// (QEMU's examples use 256 MiB LSAs; a device holds a few KiB of labels in them).
//
// Either a file (the topology's lsa_path, or "<state>.lsa" beside the command state of a
// device without one) accessed with pread/pwrite, created and sized on the first write and
// read as zeros while absent; or sparse RAM (contents lost at exit) for a device whose state
// is not kept.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "device/media.h"
#include "spec/units.h"

namespace cxlsim::device {

class LabelStorage {
 public:
  // Sparse RAM of `size` bytes, zero until written.
  explicit LabelStorage(Bytes size) : size_(size), ram_(size) {}
  // The file at `path` (opened on first access).
  LabelStorage(std::string path, Bytes size)
      : size_(size), ram_(Bytes(0)), path_(std::move(path)) {}
  LabelStorage(LabelStorage&& o) noexcept;
  LabelStorage& operator=(LabelStorage&& o) noexcept;
  LabelStorage(const LabelStorage&) = delete;
  LabelStorage& operator=(const LabelStorage&) = delete;
  ~LabelStorage();

  Bytes size() const { return size_; }
  // Empty for RAM.
  const std::string& path() const { return path_; }

  // Copies [offset, offset + out.size()) into `out`; writes `in` at `offset`. Precondition:
  // the range is within size(). Throw std::runtime_error naming the file on I/O failure.
  void read(uint64_t offset, std::span<uint8_t> out) const;
  void write(uint64_t offset, std::span<const uint8_t> in);
  // Sets every byte to zero (Sanitize, §8.2.9.9.5.1): a file's blocks are released.
  void erase();
  // Makes writes to the file durable (fsync); nothing for RAM or when nothing was written.
  void sync() const;

 private:
  // Opens the file: for reading (false when it does not exist: it reads as zeros) or for
  // writing (created and extended to size()).
  bool open_for_read() const;
  void open_for_write();
  [[noreturn]] void fail(const char* what) const;
  void close_file();

  Bytes size_;
  SparseRamMedia ram_;
  std::string path_;
  mutable int fd_ = -1;
  mutable bool writable_ = false;
  bool dirty_ = false;
};

}  // namespace cxlsim::device
