// The device's poison list (CXL 3.1 §8.2.9.9.4): media error records of 64-byte-aligned DPA
// ranges with their source. Kept merged-free but non-overlapping, sorted by DPA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cxlsim::device {

inline constexpr uint64_t kPoisonGranule = 64;

// Media Error Record Error Source (Table 8-141, Media Error Address bits 2:0).
enum class PoisonSource : uint8_t {
  kUnknown = 0,
  kExternal = 1,
  kInternal = 2,
  kInjected = 3,
  kVendor = 7
};
// The name cxl-cli's poison listing uses ("injected", ...); reserved values as their number.
std::string poison_source_name(PoisonSource s);

struct PoisonRecord {
  uint64_t dpa = 0;     // 64 B aligned
  uint64_t length = 0;  // bytes, multiple of 64
  PoisonSource source = PoisonSource::kUnknown;
  bool operator==(const PoisonRecord&) const = default;
};

class PoisonList {
 public:
  explicit PoisonList(size_t max_records = 256) : max_records_(max_records) {}
  // Marks [dpa, dpa+length) poisoned (64 B granules). Already poisoned granules keep their
  // record. Returns false and sets the overflow flag when the list is full.
  bool add(uint64_t dpa, uint64_t length, PoisonSource source, uint64_t now_ns);
  // Removes poison from [dpa, dpa+length), splitting records.
  void clear(uint64_t dpa, uint64_t length);
  void clear_all();
  [[nodiscard]] bool poisoned(uint64_t dpa, uint64_t length) const;
  // Records overlapping [dpa, dpa+length), in DPA order.
  [[nodiscard]] std::vector<PoisonRecord> overlapping(uint64_t dpa, uint64_t length) const;
  [[nodiscard]] std::vector<PoisonRecord> all() const;
  [[nodiscard]] size_t size() const { return records_.size(); }
  [[nodiscard]] size_t max_records() const { return max_records_; }
  [[nodiscard]] size_t injected_count() const;
  [[nodiscard]] bool overflowed() const { return overflow_; }
  [[nodiscard]] uint64_t overflow_timestamp_ns() const { return overflow_ns_; }
  void restore(const std::vector<PoisonRecord>& recs, bool overflow, uint64_t overflow_ns);

 private:
  size_t max_records_;
  std::map<uint64_t, PoisonRecord> records_;  // keyed by dpa
  bool overflow_ = false;
  uint64_t overflow_ns_ = 0;
};

}  // namespace cxlsim::device
