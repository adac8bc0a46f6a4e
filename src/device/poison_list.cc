#include "device/poison_list.h"

#include <algorithm>

namespace cxlsim::device {

std::string poison_source_name(PoisonSource s) {
  switch (s) {
    case PoisonSource::kUnknown:
      return "unknown";
    case PoisonSource::kExternal:
      return "external";
    case PoisonSource::kInternal:
      return "internal";
    case PoisonSource::kInjected:
      return "injected";
    case PoisonSource::kVendor:
      return "vendor";
  }
  return std::to_string(static_cast<unsigned>(s));
}

bool PoisonList::add(uint64_t dpa, uint64_t length, PoisonSource source, uint64_t now_ns) {
  // Only the granules not yet poisoned become new records.
  uint64_t a = dpa;
  const uint64_t end = dpa + length;
  std::vector<PoisonRecord> fresh;
  for (const auto& r : overlapping(dpa, length)) {
    if (r.dpa > a) fresh.push_back({a, r.dpa - a, source});
    a = std::max(a, r.dpa + r.length);
  }
  if (a < end) fresh.push_back({a, end - a, source});
  if (records_.size() + fresh.size() > max_records_) {
    if (!overflow_) overflow_ns_ = now_ns;
    overflow_ = true;
    return false;
  }
  for (const auto& r : fresh) records_[r.dpa] = r;
  return true;
}

void PoisonList::clear(uint64_t dpa, uint64_t length) {
  const uint64_t end = dpa + length;
  for (const auto& r : overlapping(dpa, length)) {
    records_.erase(r.dpa);
    if (r.dpa < dpa) records_[r.dpa] = {r.dpa, dpa - r.dpa, r.source};
    if (r.dpa + r.length > end) records_[end] = {end, r.dpa + r.length - end, r.source};
  }
}

void PoisonList::clear_all() {
  records_.clear();
  overflow_ = false;
  overflow_ns_ = 0;
}

bool PoisonList::poisoned(uint64_t dpa, uint64_t length) const {
  return !overlapping(dpa, length).empty();
}

std::vector<PoisonRecord> PoisonList::overlapping(uint64_t dpa, uint64_t length) const {
  std::vector<PoisonRecord> out;
  const uint64_t end = dpa + length;
  auto it = records_.upper_bound(dpa);
  if (it != records_.begin()) --it;
  for (; it != records_.end() && it->first < end; ++it) {
    if (it->second.dpa + it->second.length > dpa) out.push_back(it->second);
  }
  return out;
}

std::vector<PoisonRecord> PoisonList::all() const {
  std::vector<PoisonRecord> out;
  for (const auto& [k, r] : records_) out.push_back(r);
  return out;
}

size_t PoisonList::injected_count() const {
  return static_cast<size_t>(std::count_if(records_.begin(), records_.end(), [](const auto& kv) {
    return kv.second.source == PoisonSource::kInjected;
  }));
}

void PoisonList::restore(const std::vector<PoisonRecord>& recs, bool overflow,
                         uint64_t overflow_ns) {
  records_.clear();
  for (const auto& r : recs) records_[r.dpa] = r;
  overflow_ = overflow;
  overflow_ns_ = overflow_ns;
}

}  // namespace cxlsim::device
