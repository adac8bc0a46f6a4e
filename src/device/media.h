// The bytes behind a memory device's DPA space, as the command interface sees them. The
// mailbox erases, scans and repairs media through this interface only; the memdev's backing
// memory (file or RAM) implements it. Addresses are DPAs; [0, capacity()) is valid.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "spec/address.h"
#include "spec/units.h"

namespace cxlsim::device {

class Media {
 public:
  virtual ~Media() = default;
  [[nodiscard]] virtual Bytes capacity() const = 0;
  // Copies bytes at [dpa, dpa + out.size()) into out. Precondition: the range is in capacity.
  virtual void read(Dpa dpa, std::span<uint8_t> out) const = 0;
  virtual void write(Dpa dpa, std::span<const uint8_t> in) = 0;
  // Sets [dpa, dpa + len) to zero: what sanitize and secure erase leave behind.
  virtual void erase(Dpa dpa, Bytes len);
};

// Sparse RAM media: 4 KiB pages allocated on first write, zero elsewhere; erase frees pages.
// For tests and RAM-backed devices of any size.
class SparseRamMedia final : public Media {
 public:
  explicit SparseRamMedia(Bytes capacity) : capacity_(capacity) {}
  [[nodiscard]] Bytes capacity() const override { return capacity_; }
  void read(Dpa dpa, std::span<uint8_t> out) const override;
  void write(Dpa dpa, std::span<const uint8_t> in) override;
  void erase(Dpa dpa, Bytes len) override;
  // Pages currently holding data (a measure of what erase released).
  [[nodiscard]] size_t allocated_pages() const { return pages_.size(); }

 private:
  static constexpr uint64_t kPage = 4096;
  Bytes capacity_;
  std::map<uint64_t, std::vector<uint8_t>> pages_;
};

}  // namespace cxlsim::device
