#include "fm/pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <utility>

namespace cxlsim::fm {

namespace {
constexpr uint64_t kLdGranularity = 256ull << 20;  // Memory Granularity code 0, §7.6.7.4.2

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
  return a < b + blen && b < a + alen;
}

void sort_extents(std::vector<PoolExtent>& v) {
  std::ranges::sort(v, [](const PoolExtent& a, const PoolExtent& b) {
    return std::tie(a.device, a.dpa, a.host) < std::tie(b.device, b.dpa, b.host);
  });
}
}  // namespace

Pool::Pool(Topology t) : t_(std::move(t)) {
  for (const auto& m : t_.mlds) ld_bytes_[m.id].assign(m.lds, m.ld_size.value());
}

std::optional<unsigned> Pool::vcs_id(const std::string& host) const {
  for (size_t i = 0; i < t_.hosts.size(); ++i) {
    if (t_.hosts[i].id == host) return static_cast<unsigned>(i);
  }
  return std::nullopt;
}

const PoolHostSpec* Pool::host_at(unsigned vcs_id) const {
  return vcs_id < t_.hosts.size() ? &t_.hosts[vcs_id] : nullptr;
}

std::optional<unsigned> Pool::port_id(const std::string& device) const {
  for (unsigned p = 0; p < port_count(); ++p) {
    if (device_at(p) == device) return p;
  }
  return std::nullopt;
}

unsigned Pool::port_count() const { return static_cast<unsigned>(t_.mlds.size() + t_.dcds.size()); }

std::string Pool::device_at(unsigned port_id) const {
  if (port_id < t_.mlds.size()) return t_.mlds[port_id].id;
  if (port_id < port_count()) return t_.dcds[port_id - t_.mlds.size()].id;
  return "";
}

bool Pool::valid_host(const std::string& host) const { return t_.find_pool_host(host) != nullptr; }

std::vector<std::string> Pool::hosts_of(const LdRef& ld) const {
  std::vector<std::string> out;
  for (const auto& [host, vppbs] : bindings_) {
    for (const auto& [vppb, bound] : vppbs) {
      if (bound == ld && std::ranges::find(out, host) == out.end()) out.push_back(host);
    }
  }
  return out;
}

std::optional<LdRef> Pool::bound(const std::string& host, unsigned vppb) const {
  auto it = bindings_.find(host);
  if (it == bindings_.end()) return std::nullopt;
  auto jt = it->second.find(vppb);
  if (jt == it->second.end()) return std::nullopt;
  return jt->second;
}

MboxReturn Pool::bind(const std::string& host, unsigned vppb, const LdRef& ld) {
  const PoolHostSpec* h = t_.find_pool_host(host);
  const MldSpec* m = t_.find_mld(ld.device);
  if (h == nullptr || vppb >= h->vppbs || m == nullptr || ld.ld >= m->lds ||
      ld_bytes_.at(m->id)[ld.ld] == 0) {
    return MboxReturn::kInvalidInput;
  }
  if (bound(host, vppb)) return MboxReturn::kBusy;
  for (const auto& other : hosts_of(ld)) {
    if (other == host || !m->shared) return MboxReturn::kBusy;
  }
  bindings_[host][vppb] = ld;
  ++generation_;
  return MboxReturn::kSuccess;
}

MboxReturn Pool::unbind(const std::string& host, unsigned vppb) {
  const PoolHostSpec* h = t_.find_pool_host(host);
  if (h == nullptr || vppb >= h->vppbs || !bound(host, vppb)) return MboxReturn::kInvalidInput;
  auto it = bindings_.find(host);
  it->second.erase(vppb);
  if (it->second.empty()) bindings_.erase(it);
  ++generation_;
  return MboxReturn::kSuccess;
}

std::vector<uint64_t> Pool::ld_allocations(const std::string& mld) const {
  auto it = ld_bytes_.find(mld);
  return it == ld_bytes_.end() ? std::vector<uint64_t>{} : it->second;
}

MboxReturn Pool::set_ld_allocations(const std::string& mld, unsigned start,
                                    const std::vector<uint64_t>& bytes) {
  const MldSpec* m = t_.find_mld(mld);
  if (m == nullptr || start > m->lds || bytes.size() > m->lds - start) {
    return MboxReturn::kInvalidInput;
  }
  std::vector<uint64_t> next = ld_bytes_.at(mld);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] % kLdGranularity != 0) return MboxReturn::kInvalidInput;
    const unsigned ld = start + static_cast<unsigned>(i);
    if (next[ld] != bytes[i] && !hosts_of({mld, ld}).empty()) return MboxReturn::kBusy;
    next[ld] = bytes[i];
  }
  const uint64_t capacity = m->ld_size.value() * m->lds;
  if (std::accumulate(next.begin(), next.end(), uint64_t{0}) > capacity) {
    return MboxReturn::kInvalidInput;
  }
  ld_bytes_[mld] = std::move(next);
  ++generation_;
  return MboxReturn::kSuccess;
}

uint64_t Pool::region_base(const DcdSpec& d, unsigned region) {
  uint64_t base = 0;
  for (unsigned i = 0; i < region && i < d.dc_regions.size(); ++i) base += d.dc_regions[i].value();
  return base;
}

bool Pool::range_fits(const DcdSpec& d, const DpaRange& r) {
  const uint64_t bs = d.dc_block_size.value();
  if (r.length == 0 || r.dpa % bs != 0 || r.length % bs != 0) return false;
  for (unsigned i = 0; i < d.dc_regions.size(); ++i) {
    const uint64_t base = region_base(d, i);
    const uint64_t size = d.dc_regions[i].value();
    if (r.dpa >= base && r.dpa - base <= size && r.length <= size - (r.dpa - base)) return true;
  }
  return false;
}

std::vector<DpaRange> Pool::free_ranges(const DcdSpec& d, unsigned region) const {
  const uint64_t base = region_base(d, region);
  const uint64_t end = base + d.dc_regions[region].value();
  std::vector<DpaRange> out;
  uint64_t at = base;
  for (const auto& e : extents_) {  // DPA order within the device
    if (e.device != d.id || e.dpa + e.length <= at || e.dpa >= end) continue;
    if (e.dpa > at) out.push_back({at, e.dpa - at});
    at = std::max(at, e.dpa + e.length);
  }
  if (at < end) out.push_back({at, end - at});
  return out;
}

MboxReturn Pool::dc_add(const std::string& device, const std::string& host, unsigned region,
                        uint64_t length, const DcTag& tag, AddPolicy policy,
                        std::vector<PoolExtent>* added) {
  const DcdSpec* d = t_.find_dcd(device);
  if (d == nullptr || !valid_host(host) || region >= d->dc_regions.size() || length == 0 ||
      length % d->dc_block_size.value() != 0) {
    return MboxReturn::kInvalidInput;
  }
  std::vector<DpaRange> take;
  uint64_t left = length;
  for (const auto& r : free_ranges(*d, region)) {
    if (policy == AddPolicy::kContiguous) {
      if (r.length >= length) {
        take = {{r.dpa, length}};
        left = 0;
        break;
      }
      continue;
    }
    const uint64_t n = std::min(left, r.length);
    take.push_back({r.dpa, n});
    left -= n;
    if (left == 0) break;
  }
  if (left != 0) return MboxReturn::kResourcesExhausted;
  for (const auto& r : take) extents_.push_back({device, host, r.dpa, r.length, tag});
  sort_extents(extents_);
  ++generation_;
  if (added != nullptr) {
    added->clear();
    for (const auto& r : take) added->push_back({device, host, r.dpa, r.length, tag});
  }
  return MboxReturn::kSuccess;
}

MboxReturn Pool::dc_add_ranges(const std::string& device, const std::string& host,
                               const std::vector<DpaRange>& ranges, const DcTag& tag) {
  const DcdSpec* d = t_.find_dcd(device);
  if (d == nullptr || !valid_host(host)) return MboxReturn::kInvalidInput;
  if (ranges.empty()) return MboxReturn::kInvalidExtentList;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const DpaRange& r = ranges[i];
    if (!range_fits(*d, r)) return MboxReturn::kInvalidExtentList;
    for (size_t j = 0; j < i; ++j) {
      if (overlaps(r.dpa, r.length, ranges[j].dpa, ranges[j].length)) {
        return MboxReturn::kInvalidExtentList;
      }
    }
    for (const auto& e : extents_) {
      if (e.device != device || !overlaps(r.dpa, r.length, e.dpa, e.length)) continue;
      // Another host's capacity is reachable only in a shared device, under its own tag.
      if (e.host == host || !d->shared || e.tag != tag) return MboxReturn::kInvalidExtentList;
    }
  }
  for (const auto& r : ranges) extents_.push_back({device, host, r.dpa, r.length, tag});
  sort_extents(extents_);
  ++generation_;
  return MboxReturn::kSuccess;
}

MboxReturn Pool::dc_share(const std::string& device, const std::string& host, unsigned region,
                          const DcTag& tag) {
  const DcdSpec* d = t_.find_dcd(device);
  if (d == nullptr || !valid_host(host) || region >= d->dc_regions.size() || !d->shared) {
    return MboxReturn::kInvalidInput;
  }
  const uint64_t base = region_base(*d, region);
  const uint64_t end = base + d->dc_regions[region].value();
  std::vector<DpaRange> ranges;
  for (const auto& e : extents_) {
    if (e.device != device || e.tag != tag || e.dpa < base || e.dpa >= end) continue;
    if (e.host == host) return MboxReturn::kInvalidInput;  // already accessible by this LD
    const DpaRange r{e.dpa, e.length};
    if (std::ranges::find(ranges, r) == ranges.end()) ranges.push_back(r);
  }
  if (ranges.empty()) return MboxReturn::kInvalidInput;
  const MboxReturn rc = dc_add_ranges(device, host, ranges, tag);
  return rc == MboxReturn::kSuccess ? rc : MboxReturn::kInvalidInput;
}

MboxReturn Pool::dc_release_ranges(const std::string& device, const std::string& host,
                                   const std::vector<DpaRange>& ranges) {
  const DcdSpec* d = t_.find_dcd(device);
  if (d == nullptr || !valid_host(host)) return MboxReturn::kInvalidInput;
  if (ranges.empty()) return MboxReturn::kInvalidExtentList;
  std::vector<PoolExtent> next = extents_;
  for (const auto& r : ranges) {
    if (!range_fits(*d, r)) return MboxReturn::kInvalidExtentList;  // whole blocks only
    auto it = std::ranges::find_if(next, [&](const PoolExtent& e) {
      return e.device == device && e.host == host && r.dpa >= e.dpa && r.length <= e.length &&
             r.dpa - e.dpa <= e.length - r.length;
    });
    if (it == next.end()) return MboxReturn::kInvalidExtentList;
    const PoolExtent e = *it;
    next.erase(it);
    if (r.dpa > e.dpa) next.push_back({device, host, e.dpa, r.dpa - e.dpa, e.tag});
    if (r.dpa + r.length < e.dpa + e.length) {
      next.push_back({device, host, r.dpa + r.length, e.dpa + e.length - r.dpa - r.length, e.tag});
    }
  }
  sort_extents(next);
  extents_ = std::move(next);
  ++generation_;
  return MboxReturn::kSuccess;
}

MboxReturn Pool::dc_release_tag(const std::string& device, const std::string& host,
                                const DcTag& tag, uint64_t length) {
  if (t_.find_dcd(device) == nullptr || !valid_host(host)) return MboxReturn::kInvalidInput;
  uint64_t held = 0;
  for (const auto& e : extents_) {
    if (e.device == device && e.host == host && e.tag == tag) held += e.length;
  }
  if (held == 0) return MboxReturn::kInvalidInput;
  if (length > held) return MboxReturn::kResourcesExhausted;
  std::erase_if(extents_, [&](const PoolExtent& e) {
    return e.device == device && e.host == host && e.tag == tag;
  });
  ++generation_;
  return MboxReturn::kSuccess;
}

std::vector<PoolExtent> Pool::extents(const std::string& device, const std::string& host) const {
  std::vector<PoolExtent> out;
  for (const auto& e : extents_) {
    if (e.device == device && (host.empty() || e.host == host)) out.push_back(e);
  }
  return out;
}

std::string Pool::check_invariants() const {
  std::string out;
  for (const auto& m : t_.mlds) {
    const auto& bytes = ld_bytes_.at(m.id);
    if (std::accumulate(bytes.begin(), bytes.end(), uint64_t{0}) > m.ld_size.value() * m.lds) {
      out += fmt::format("LD allocations of {} exceed its capacity\n", m.id);
    }
    for (unsigned i = 0; i < m.lds; ++i) {
      if (hosts_of({m.id, i}).size() > 1 && !m.shared) {
        out += fmt::format("LD {}:{} is bound to several hosts but not shared\n", m.id, i);
      }
    }
  }
  for (size_t i = 0; i < extents_.size(); ++i) {
    const PoolExtent& a = extents_[i];
    const DcdSpec* d = t_.find_dcd(a.device);
    if (d == nullptr || !range_fits(*d, {a.dpa, a.length})) {
      out += fmt::format("extent {:#x}+{:#x} of {} in {} is not inside one region\n", a.dpa,
                         a.length, a.host, a.device);
      continue;
    }
    for (size_t j = i + 1; j < extents_.size(); ++j) {
      const PoolExtent& b = extents_[j];
      if (a.device != b.device || !overlaps(a.dpa, a.length, b.dpa, b.length)) continue;
      if (a.host == b.host || !d->shared || a.tag != b.tag) {
        out += fmt::format("capacity at {:#x} of {} is held by {} and {}\n", std::max(a.dpa, b.dpa),
                           a.device, a.host, b.host);
      }
    }
  }
  return out;
}

}  // namespace cxlsim::fm
