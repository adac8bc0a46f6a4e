// HPA -> (memdev, DPA) decode compiled from committed HDM decoder registers.
//
// Target selection at every level is periodic in the HPA, so one region's decode is a table
// of one period (3 x 2^k granules when mod-3 interleave is involved): granule r of period q
// maps to the memdev and DPA of entry r plus q times that memdev's per-period DPA stride. The
// table is filled by sampling a slow reference resolver (a walk of the decoder registers) once
// per granule, so it is never a parallel copy of decoder state: it is rebuilt on every commit
// and decommit. Per-memdev inverse tables give DPA -> HPA.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "spec/address.h"
#include "spec/units.h"

namespace cxlsim {

struct DecodeResult {
  size_t memdev = 0;
  Dpa dpa;
  bool operator==(const DecodeResult&) const = default;
};

using Resolver = std::function<std::optional<DecodeResult>(Hpa)>;

// One committed HPA range (a region) and its compiled table.
class RegionDecodeTable {
 public:
  // `period` must be granule x 2^k or granule x 3 x 2^k. When `size` is not a whole number
  // of periods or sampling finds the decode non-periodic, the table keeps `resolve` and
  // answers through it (correct, slow).
  RegionDecodeTable(Hpa base, Bytes size, Bytes granule, Bytes period, Resolver resolve);

  [[nodiscard]] Hpa base() const { return base_; }
  [[nodiscard]] Hpa end() const { return end_; }
  [[nodiscard]] bool contains(Hpa hpa) const { return hpa >= base_ && hpa < end_; }
  // Whether the fast table is in use (false: every lookup walks the registers).
  [[nodiscard]] bool compiled() const { return compiled_; }
  // Whether every DPA is reached from one HPA only, so the inverse tables are in use (false:
  // to_hpa() searches).
  [[nodiscard]] bool invertible() const { return invertible_; }
  // Memdevs with at least one granule of this range.
  [[nodiscard]] std::vector<size_t> memdevs() const;

  // `hpa` must be within [base, end).
  [[nodiscard]] std::optional<DecodeResult> decode(Hpa hpa) const {
    if (!compiled_) return resolve_(hpa);
    const uint64_t off = hpa.value() - base_.value();
    const uint64_t i = off >> gshift_;
    const uint64_t q = div3_ ? divide_by_3(i >> kshift_) : (i >> kshift_);
    const Entry& e = entries_[i - q * n_];
    if (e.memdev == kUnmapped) return std::nullopt;
    return DecodeResult{e.memdev, Dpa(e.dpa0 + q * strides_[e.memdev_slot] + (off & gmask_))};
  }
  [[nodiscard]] std::optional<Hpa> to_hpa(size_t memdev, Dpa dpa) const;

 private:
  static constexpr uint32_t kUnmapped = ~0u;
  struct Entry {
    uint64_t dpa0 = 0;
    uint32_t memdev = kUnmapped;
    uint32_t memdev_slot = 0;  // index into strides_ / inverses_
  };
  struct Inverse {
    size_t memdev = 0;
    uint64_t dpa_base = 0;  // lowest DPA this memdev holds in the range
    uint64_t dpa_end = 0;
    std::vector<uint32_t> granule_of;  // slot (DPA granule within a stride) -> table index
  };
  static uint64_t divide_by_3(uint64_t x) {
    return x / 3;  // a constant divisor: compiled to a multiply-high
  }
  bool compile();
  bool build_inverse();

  Hpa base_, end_;
  unsigned gshift_ = 8;
  uint64_t gmask_ = 0;
  unsigned kshift_ = 0;
  bool div3_ = false;
  uint64_t n_ = 1;  // granules per period
  bool compiled_ = false;
  bool invertible_ = false;
  std::vector<Entry> entries_;
  std::vector<uint64_t> strides_;  // per memdev slot: DPA advance per period
  std::vector<Inverse> inverses_;
  Resolver resolve_;
};

// Every committed range of a fabric.
class DecodeTable {
 public:
  void clear() { regions_.clear(); }
  void add(RegionDecodeTable t);
  [[nodiscard]] std::span<const RegionDecodeTable> regions() const { return regions_; }

  [[nodiscard]] std::optional<DecodeResult> decode(Hpa hpa) const {
    for (const RegionDecodeTable& r : regions_) {
      if (r.contains(hpa)) return r.decode(hpa);
    }
    return std::nullopt;
  }
  // The region range holding `hpa`, if any.
  [[nodiscard]] const RegionDecodeTable* find(Hpa hpa) const;
  [[nodiscard]] std::optional<Hpa> to_hpa(size_t memdev, Dpa dpa) const;

 private:
  std::vector<RegionDecodeTable> regions_;  // sorted by base
};

}  // namespace cxlsim
