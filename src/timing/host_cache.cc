#include "timing/host_cache.h"

#include <fmt/format.h>

#include <cstring>

#include "spec/error.h"

namespace cxlsim::timing {

std::optional<CacheConfigProblem> check(const HostCacheConfig& c) {
  if (!c.enabled) return std::nullopt;
  if (c.ways == 0) return CacheConfigProblem{"ways", "must be at least 1"};
  if (c.size.value() == 0) return CacheConfigProblem{"size", "must not be zero"};
  if (c.size > kMaxHostCache) {
    return CacheConfigProblem{
        "size", fmt::format("{} exceeds the model's limit of {}", format_bytes(c.size),
                            format_bytes(kMaxHostCache))};
  }
  const uint64_t set_bytes = uint64_t{c.ways} * kCacheLine.value();
  if (c.size.value() % set_bytes != 0) {
    return CacheConfigProblem{
        "size", fmt::format("{} bytes is not a multiple of ways x 64 B = {} bytes", c.size.value(),
                            set_bytes)};
  }
  if (c.hit_latency < Duration()) return CacheConfigProblem{"hit_latency", "must not be negative"};
  return std::nullopt;
}

HostCacheConfig apply_cache_spec(HostCacheConfig base, std::string_view spec,
                                 std::string_view name) {
  const auto bad = [&](const std::string& why) {
    return ParseError(fmt::format("invalid {} '{}': {}", name, spec, why));
  };
  if (spec == "off") {
    base.enabled = false;
    return base;
  }
  if (spec == "on") {
    if (base.size.value() == 0) {
      throw bad("the host profile has no [cache] table; give SIZE[:WAYS[:LATENCY]]");
    }
    base.enabled = true;
    return base;
  }
  const bool from_profile = base.ways != 0;  // the profile's [cache] supplies WAYS and LATENCY
  std::string_view parts[3];
  size_t n = 0;
  for (std::string_view rest = spec;; ++n) {
    if (n == 3) throw bad("expected off, on or SIZE[:WAYS[:LATENCY]]");
    const size_t colon = rest.find(':');
    parts[n] = rest.substr(0, colon);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  try {
    base.size = parse_bytes(parts[0]);
  } catch (const ParseError& e) {
    throw bad(e.what());
  }
  if (n >= 1) {
    unsigned w = 0;
    for (char ch : parts[1]) {
      if (ch < '0' || ch > '9' || w > 100000) {
        throw bad(fmt::format("WAYS '{}' is not a positive integer", parts[1]));
      }
      w = w * 10 + static_cast<unsigned>(ch - '0');
    }
    if (parts[1].empty()) throw bad("WAYS is empty");
    base.ways = w;
  }
  if (n >= 2) {
    try {
      base.hit_latency = parse_duration(parts[2]);
    } catch (const ParseError& e) {
      throw bad(e.what());
    }
  } else if (!from_profile) {
    throw bad(
        "the host profile has no [cache] table to take WAYS and LATENCY from; give "
        "SIZE:WAYS:LATENCY");
  }
  base.enabled = true;
  if (auto p = check(base)) throw bad(fmt::format("{} {}", p->field, p->what));
  return base;
}

std::string describe(const HostCacheConfig& c) {
  if (!c.enabled) return "off";
  return fmt::format("{} {}-way, hit {:.1f} ns", format_bytes(c.size), c.ways,
                     c.hit_latency.nanoseconds());
}

HostCache::HostCache(const HostCacheConfig& c) : cfg_(c) {
  if (!c.enabled) throw ValidationError("host cache: constructed from a disabled configuration");
  if (auto p = check(c)) throw ValidationError(fmt::format("host cache: {} {}", p->field, p->what));
  sets_ = c.size.value() / (uint64_t{c.ways} * kCacheLine.value());
  pow2_ = (sets_ & (sets_ - 1)) == 0;
  word_.assign(static_cast<size_t>(sets_) * c.ways, 0);
}

int64_t HostCache::find(size_t b, uint64_t line) const {
  for (size_t w = b; w < b + cfg_.ways; ++w) {
    const uint64_t t = word_[w];
    if ((t & kValid) && (t & ~uint64_t{63}) == line) return static_cast<int64_t>(w);
  }
  return -1;
}

void HostCache::promote(size_t b, size_t k, bool dirty) {
  const uint64_t t = word_[k] | (dirty ? kDirty : 0);
  std::memmove(&word_[b + 1], &word_[b], (k - b) * sizeof(uint64_t));
  word_[b] = t;
}

std::optional<uint64_t> HostCache::install(size_t b, uint64_t line, bool dirty) {
  std::optional<uint64_t> out;
  const uint64_t old = word_[b + cfg_.ways - 1];
  if ((old & kValid) && (old & kDirty)) {
    out = old & ~uint64_t{63};
    ++stats_.writebacks;
  }
  std::memmove(&word_[b + 1], &word_[b], (cfg_.ways - 1) * sizeof(uint64_t));
  word_[b] = line | kValid | (dirty ? kDirty : 0);
  return out;
}

bool HostCache::contains(uint64_t hpa) const {
  const uint64_t line = hpa & ~uint64_t{63};
  return find(set_base(line), line) >= 0;
}

bool HostCache::lookup(uint64_t hpa, Op op) {
  const uint64_t line = hpa & ~uint64_t{63};
  const size_t b = set_base(line);
  const int64_t i = find(b, line);
  const bool write = op == Op::kWrite;
  if (i < 0) {
    ++(write ? stats_.write_misses : stats_.read_misses);
    return false;
  }
  promote(b, static_cast<size_t>(i), write);
  ++(write ? stats_.write_hits : stats_.read_hits);
  return true;
}

HostCache::Touch HostCache::touch(uint64_t hpa, bool write) {
  const uint64_t line = hpa & ~uint64_t{63};
  const size_t b = set_base(line);
  const int64_t i = find(b, line);
  if (i >= 0) {
    promote(b, static_cast<size_t>(i), write);
    ++(write ? stats_.write_hits : stats_.read_hits);
    return Touch{true, std::nullopt};
  }
  ++(write ? stats_.write_misses : stats_.read_misses);
  ++stats_.fills;
  return Touch{false, install(b, line, write)};
}

std::optional<uint64_t> HostCache::fill(uint64_t hpa, bool dirty) {
  const uint64_t line = hpa & ~uint64_t{63};
  ++stats_.fills;
  const size_t b = set_base(line);
  const int64_t hit = find(b, line);
  if (hit >= 0) {  // filled meanwhile by another miss to the same line
    promote(b, static_cast<size_t>(hit), dirty);
    return std::nullopt;
  }
  return install(b, line, dirty);
}

}  // namespace cxlsim::timing
