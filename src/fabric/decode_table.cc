#include "fabric/decode_table.h"

#include <algorithm>
#include <bit>
#include <map>

namespace cxlsim {

RegionDecodeTable::RegionDecodeTable(Hpa base, Bytes size, Bytes granule, Bytes period,
                                     Resolver resolve)
    : base_(base), end_(base + size), resolve_(std::move(resolve)) {
  gshift_ = static_cast<unsigned>(std::countr_zero(granule.value()));
  gmask_ = granule.value() - 1;
  n_ = period.value() >> gshift_;
  kshift_ = static_cast<unsigned>(std::countr_zero(n_));
  div3_ = (n_ >> kshift_) == 3;
  const bool shape_ok = std::has_single_bit(granule.value()) && (n_ >> kshift_) <= 3 &&
                        (n_ >> kshift_) != 2 && size.value() % period.value() == 0;
  compiled_ = shape_ok && compile();
  invertible_ = compiled_ && build_inverse();
}

bool RegionDecodeTable::compile() {
  const uint64_t g = gmask_ + 1;
  const uint64_t period = n_ * g;
  const uint64_t periods = (end_ - base_).value() / period;
  entries_.assign(n_, Entry{});
  std::map<size_t, uint32_t> slot_of;  // memdev -> slot
  std::vector<uint64_t> count;         // granules per period, per slot
  for (uint64_t r = 0; r < n_; ++r) {
    const auto res = resolve_(base_ + Bytes(r * g));
    if (!res) continue;
    auto [it, added] = slot_of.emplace(res->memdev, static_cast<uint32_t>(slot_of.size()));
    if (added) count.push_back(0);
    ++count[it->second];
    entries_[r] = Entry{res->dpa.value(), static_cast<uint32_t>(res->memdev), it->second};
  }
  // DPA advance per period: measured on the reference where there are two periods (it differs
  // from granules x granule when decoders alias), else what an exact interleave gives.
  strides_.resize(count.size());
  for (size_t s = 0; s < count.size(); ++s) strides_[s] = count[s] * g;
  if (periods >= 2) {
    std::vector<bool> measured(count.size());
    for (uint64_t r = 0; r < n_; ++r) {
      const Entry& e = entries_[r];
      if (e.memdev == kUnmapped || measured[e.memdev_slot]) continue;
      const auto next = resolve_(base_ + Bytes(period + r * g));
      if (!next || next->memdev != e.memdev || next->dpa.value() < e.dpa0) return false;
      strides_[e.memdev_slot] = next->dpa.value() - e.dpa0;
      measured[e.memdev_slot] = true;
    }
  }
  // Check periodicity and in-granule linearity against the reference at the last period
  // and at a granule's last byte; a mismatch means the decoders are not programmed as one
  // periodic interleave, so the slow path is used.
  for (uint64_t r = 0; r < n_; ++r) {
    const Entry& e = entries_[r];
    const Hpa last = base_ + Bytes((periods - 1) * period + r * g + g - 1);
    const auto res = resolve_(last);
    if (e.memdev == kUnmapped) {
      if (res) return false;
      continue;
    }
    if (!res || res->memdev != e.memdev ||
        res->dpa.value() != e.dpa0 + (periods - 1) * strides_[e.memdev_slot] + g - 1) {
      return false;
    }
  }
  return true;
}

bool RegionDecodeTable::build_inverse() {
  const uint64_t periods = (end_ - base_).value() / (n_ * (gmask_ + 1));
  inverses_.assign(strides_.size(), Inverse{});
  for (const Entry& e : entries_) {
    if (e.memdev != kUnmapped) inverses_[e.memdev_slot].memdev = e.memdev;
  }
  for (uint32_t slot = 0; slot < inverses_.size(); ++slot) {
    Inverse& inv = inverses_[slot];
    inv.dpa_base = ~0ull;
    for (const Entry& e : entries_) {
      if (e.memdev != kUnmapped && e.memdev_slot == slot) {
        inv.dpa_base = std::min(inv.dpa_base, e.dpa0);
      }
    }
    inv.dpa_end = inv.dpa_base + periods * strides_[slot];
    inv.granule_of.assign(strides_[slot] >> gshift_, kUnmapped);
    for (uint64_t r = 0; r < n_; ++r) {
      const Entry& e = entries_[r];
      if (e.memdev == kUnmapped || e.memdev_slot != slot) continue;
      const uint64_t j = (e.dpa0 - inv.dpa_base) >> gshift_;
      if (j >= inv.granule_of.size() || inv.granule_of[j] != kUnmapped) return false;
      inv.granule_of[j] = static_cast<uint32_t>(r);
    }
  }
  return true;
}

std::vector<size_t> RegionDecodeTable::memdevs() const {
  std::vector<size_t> out;
  if (compiled_) {
    for (const Entry& e : entries_) {
      if (e.memdev != kUnmapped) out.push_back(e.memdev);
    }
  } else {
    for (Hpa h = base_; h < end_ && h < base_ + MiB(1); h = h + Bytes(256)) {
      if (auto r = resolve_(h)) out.push_back(r->memdev);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Hpa> RegionDecodeTable::to_hpa(size_t memdev, Dpa dpa) const {
  if (!invertible_) {
    // Non-periodic or aliasing programming: search granule by granule (slow, but exact).
    const uint64_t g = gmask_ + 1;
    for (uint64_t off = 0; base_ + Bytes(off) < end_; off += g) {
      const auto r = resolve_(base_ + Bytes(off));
      if (r && r->memdev == memdev && r->dpa.value() <= dpa.value() &&
          dpa.value() - r->dpa.value() < g) {
        return base_ + Bytes(off + dpa.value() - r->dpa.value());
      }
    }
    return std::nullopt;
  }
  for (size_t slot = 0; slot < inverses_.size(); ++slot) {
    const Inverse& inv = inverses_[slot];
    if (inv.memdev != memdev || dpa.value() < inv.dpa_base || dpa.value() >= inv.dpa_end) continue;
    const uint64_t d = dpa.value() - inv.dpa_base;
    const uint64_t q = d / strides_[slot];
    const uint64_t w = d % strides_[slot];
    const uint32_t r = inv.granule_of[w >> gshift_];
    if (r == kUnmapped) return std::nullopt;
    return base_ + Bytes(q * n_ * (gmask_ + 1) + (uint64_t{r} << gshift_) + (w & gmask_));
  }
  return std::nullopt;
}

void DecodeTable::add(RegionDecodeTable t) {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), t.base(),
                             [](Hpa b, const RegionDecodeTable& r) { return b < r.base(); });
  regions_.insert(it, std::move(t));
}

const RegionDecodeTable* DecodeTable::find(Hpa hpa) const {
  for (const RegionDecodeTable& r : regions_) {
    if (r.contains(hpa)) return &r;
  }
  return nullptr;
}

std::optional<Hpa> DecodeTable::to_hpa(size_t memdev, Dpa dpa) const {
  for (const RegionDecodeTable& r : regions_) {
    if (auto h = r.to_hpa(memdev, dpa)) return h;
  }
  return std::nullopt;
}

}  // namespace cxlsim
