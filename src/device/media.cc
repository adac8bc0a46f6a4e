#include "device/media.h"

#include <algorithm>
#include <cstring>

namespace cxlsim::device {

void Media::erase(Dpa dpa, Bytes len) {
  std::vector<uint8_t> zeros(size_t{64} * 1024, 0);
  uint64_t off = dpa.value();
  const uint64_t end = off + len.value();
  while (off < end) {
    const uint64_t n = std::min<uint64_t>(zeros.size(), end - off);
    write(Dpa(off), std::span<const uint8_t>(zeros.data(), n));
    off += n;
  }
}

void SparseRamMedia::read(Dpa dpa, std::span<uint8_t> out) const {
  uint64_t a = dpa.value();
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t page = a / kPage;
    const uint64_t in_page = a % kPage;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPage - in_page, out.size() - done));
    auto it = pages_.find(page);
    if (it == pages_.end()) {
      std::memset(out.data() + done, 0, n);
    } else {
      std::memcpy(out.data() + done, it->second.data() + in_page, n);
    }
    done += n;
    a += n;
  }
}

void SparseRamMedia::write(Dpa dpa, std::span<const uint8_t> in) {
  uint64_t a = dpa.value();
  size_t done = 0;
  while (done < in.size()) {
    const uint64_t page = a / kPage;
    const uint64_t in_page = a % kPage;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPage - in_page, in.size() - done));
    auto& p = pages_[page];
    if (p.empty()) p.assign(kPage, 0);
    std::memcpy(p.data() + in_page, in.data() + done, n);
    done += n;
    a += n;
  }
}

void SparseRamMedia::erase(Dpa dpa, Bytes len) {
  const uint64_t begin = dpa.value();
  const uint64_t end = begin + len.value();
  // Whole pages are dropped; partial pages at the edges are zeroed in place.
  for (auto it = pages_.lower_bound(begin / kPage);
       it != pages_.end() && it->first * kPage < end;) {
    const uint64_t pstart = it->first * kPage;
    if (pstart >= begin && pstart + kPage <= end) {
      it = pages_.erase(it);
      continue;
    }
    const uint64_t lo = std::max(begin, pstart) - pstart;
    const uint64_t hi = std::min(end, pstart + kPage) - pstart;
    std::fill(it->second.begin() + static_cast<long>(lo),
              it->second.begin() + static_cast<long>(hi), 0);
    ++it;
  }
}

}  // namespace cxlsim::device
