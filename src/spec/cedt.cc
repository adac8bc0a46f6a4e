#include "spec/cedt.h"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "spec/error.h"
#include "spec/interleave.h"

namespace cxlsim {

namespace {

constexpr uint64_t kWindowAlign = 256ull << 20;  // CFMWS base/size granule (256 MiB)

// Little-endian append/read helpers.
void put(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_chars(std::vector<uint8_t>& out, std::span<const char> s) {
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
}

uint64_t get(std::span<const uint8_t> in, size_t off, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{in[off + i]} << (8 * i);
  return v;
}

void expect_header(std::span<const uint8_t> b, uint8_t type, const char* what, size_t min_len) {
  if (b.size() < 4) {
    throw ParseError(fmt::format("{}: {} bytes, shorter than a structure header", what, b.size()));
  }
  if (b[0] != type) {
    throw ParseError(fmt::format("{}: type {} where {} was expected", what, b[0], type));
  }
  const uint64_t len = get(b, 2, 2);
  if (len != b.size() || len < min_len) {
    throw ParseError(fmt::format("{}: Record Length {} does not match {} bytes (minimum {})", what,
                                 len, b.size(), min_len));
  }
}

void check_cfmws(const CedtCfmws& c) {
  const std::string what = fmt::format("CFMWS at {:#x}", c.base.value());
  const unsigned ways = c.ways();  // validates ENIW
  (void)c.granularity();           // validates HBIG
  if (c.targets.size() != ways) {
    throw ValidationError(
        fmt::format("{}: {} targets for {} interleave ways", what, c.targets.size(), ways));
  }
  if (c.interleave_arithmetic > CedtCfmws::kArithmeticModuloXor) {
    throw ValidationError(
        fmt::format("{}: interleave arithmetic {} is not defined", what, c.interleave_arithmetic));
  }
  if (c.base.value() % kWindowAlign != 0) {
    throw ValidationError(fmt::format("{}: base is not 256 MiB aligned", what));
  }
  if (c.size.value() == 0 || c.size.value() % (kWindowAlign * ways) != 0) {
    throw ValidationError(fmt::format("{}: size {} is not a non-zero multiple of {} x 256 MiB",
                                      what, format_bytes(c.size), ways));
  }
}

void check_chbs(const Chbs& c) {
  const std::string what = fmt::format("CHBS uid {}", c.uid);
  if (c.cxl_version > Chbs::kVersionCxl2) {
    throw ValidationError(fmt::format("{}: CXL Version {} is not defined", what, c.cxl_version));
  }
  const Bytes want = c.cxl_version == Chbs::kVersionRch ? KiB(8) : KiB(64);
  if (c.length != want) {
    throw ValidationError(fmt::format("{}: length {} (CXL Version {} requires {})", what,
                                      format_bytes(c.length), c.cxl_version, format_bytes(want)));
  }
}

template <size_t N>
std::string chars(const std::array<char, N>& a) {
  return std::string(a.begin(), a.end());
}

}  // namespace

unsigned CedtCfmws::ways() const {
  auto w = eiw_to_ways(eniw);
  if (!w) {
    throw ValidationError(
        fmt::format("CFMWS at {:#x}: ENIW {} is not a valid encoding", base.value(), eniw));
  }
  return *w;
}

Bytes CedtCfmws::granularity() const {
  auto g = hbig <= 0xFF ? eig_to_granularity(static_cast<uint8_t>(hbig)) : std::nullopt;
  if (!g) {
    throw ValidationError(
        fmt::format("CFMWS at {:#x}: HBIG {} is not a valid encoding", base.value(), hbig));
  }
  return *g;
}

CedtCfmws make_cfmws(Hpa base, Bytes size, std::vector<uint32_t> targets, Bytes granularity,
                     uint16_t restrictions, uint16_t qtg_id) {
  auto eiw = ways_to_eiw(static_cast<unsigned>(targets.size()));
  if (!eiw) {
    throw ValidationError(fmt::format("CFMWS at {:#x}: {} targets is not a valid interleave",
                                      base.value(), targets.size()));
  }
  auto eig = granularity_to_eig(granularity);
  if (!eig) {
    throw ValidationError(
        fmt::format("CFMWS at {:#x}: granularity {} is not 256 B .. 16 KiB, power of two",
                    base.value(), format_bytes(granularity)));
  }
  CedtCfmws c{base, size,         *eiw,   CedtCfmws::kArithmeticModulo,
              *eig, restrictions, qtg_id, std::move(targets)};
  check_cfmws(c);
  return c;
}

std::vector<uint8_t> encode_chbs(const Chbs& c) {
  check_chbs(c);
  std::vector<uint8_t> out;
  out.reserve(Chbs::kLength);
  put(out, Chbs::kType, 1);
  put(out, 0, 1);  // reserved
  put(out, Chbs::kLength, 2);
  put(out, c.uid, 4);
  put(out, c.cxl_version, 4);
  put(out, 0, 4);  // reserved
  put(out, c.base.value(), 8);
  put(out, c.length.value(), 8);
  return out;
}

Chbs decode_chbs(std::span<const uint8_t> b) {
  expect_header(b, Chbs::kType, "CHBS", Chbs::kLength);
  if (b.size() != Chbs::kLength) {
    throw ParseError(fmt::format("CHBS: length {} is not 32", b.size()));
  }
  return Chbs{static_cast<uint32_t>(get(b, 4, 4)), static_cast<uint32_t>(get(b, 8, 4)),
              Hpa(get(b, 16, 8)), Bytes(get(b, 24, 8))};
}

std::vector<uint8_t> encode_cfmws(const CedtCfmws& c) {
  check_cfmws(c);
  std::vector<uint8_t> out;
  const auto len = static_cast<uint16_t>(CedtCfmws::kFixedLength + 4 * c.targets.size());
  out.reserve(len);
  put(out, CedtCfmws::kType, 1);
  put(out, 0, 1);  // reserved
  put(out, len, 2);
  put(out, 0, 4);  // reserved
  put(out, c.base.value(), 8);
  put(out, c.size.value(), 8);
  put(out, c.eniw, 1);
  put(out, c.interleave_arithmetic, 1);
  put(out, 0, 2);  // reserved
  put(out, c.hbig, 4);
  put(out, c.restrictions, 2);
  put(out, c.qtg_id, 2);
  for (uint32_t t : c.targets) put(out, t, 4);
  return out;
}

CedtCfmws decode_cfmws(std::span<const uint8_t> b) {
  expect_header(b, CedtCfmws::kType, "CFMWS", CedtCfmws::kFixedLength);
  CedtCfmws c;
  c.base = Hpa(get(b, 8, 8));
  c.size = Bytes(get(b, 16, 8));
  c.eniw = b[24];
  c.interleave_arithmetic = b[25];
  c.hbig = static_cast<uint32_t>(get(b, 28, 4));
  c.restrictions = static_cast<uint16_t>(get(b, 32, 2));
  c.qtg_id = static_cast<uint16_t>(get(b, 34, 2));
  auto ways = eiw_to_ways(c.eniw);
  if (!ways) {
    throw ParseError(
        fmt::format("CFMWS at {:#x}: ENIW {} is not a valid encoding", c.base.value(), c.eniw));
  }
  if (b.size() != CedtCfmws::kFixedLength + 4ull * *ways) {
    throw ParseError(fmt::format("CFMWS at {:#x}: Record Length {} does not hold {} targets",
                                 c.base.value(), b.size(), *ways));
  }
  for (unsigned i = 0; i < *ways; ++i) {
    c.targets.push_back(static_cast<uint32_t>(get(b, 36 + 4 * i, 4)));
  }
  return c;
}

std::vector<uint8_t> encode_cedt(const Cedt& t) {
  std::vector<uint8_t> out;
  out.reserve(Cedt::kHeaderLength);
  put_chars(out, std::string_view("CEDT"));
  put(out, 0, 4);  // length, patched below
  put(out, t.revision, 1);
  put(out, 0, 1);  // checksum, patched below
  put_chars(out, t.oem_id);
  put_chars(out, t.oem_table_id);
  put(out, t.oem_revision, 4);
  put_chars(out, t.creator_id);
  put(out, t.creator_revision, 4);
  for (const CedtStructure& s : t.structures) {
    std::vector<uint8_t> bytes;
    if (const auto* chbs = std::get_if<Chbs>(&s)) {
      bytes = encode_chbs(*chbs);
    } else if (const auto* cfmws = std::get_if<CedtCfmws>(&s)) {
      bytes = encode_cfmws(*cfmws);
    } else {
      bytes = std::get<CedtRawStructure>(s).bytes;
    }
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  const auto len = static_cast<uint32_t>(out.size());
  for (unsigned i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(len >> (8 * i));
  uint8_t sum = 0;
  for (uint8_t x : out) sum = static_cast<uint8_t>(sum + x);
  out[9] = static_cast<uint8_t>(0x100 - sum);
  return out;
}

Cedt decode_cedt(std::span<const uint8_t> b) {
  if (b.size() < Cedt::kHeaderLength) {
    throw ParseError(fmt::format("CEDT: {} bytes, shorter than the ACPI header", b.size()));
  }
  if (std::memcmp(b.data(), "CEDT", 4) != 0) throw ParseError("CEDT: signature is not \"CEDT\"");
  const uint64_t len = get(b, 4, 4);
  if (len != b.size()) {
    throw ParseError(fmt::format("CEDT: header Length {} but {} bytes given", len, b.size()));
  }
  uint8_t sum = 0;
  for (uint8_t x : b) sum = static_cast<uint8_t>(sum + x);
  if (sum != 0) {
    throw ParseError(fmt::format("CEDT: checksum mismatch (byte sum {:#04x}, must be 0)", sum));
  }
  Cedt t;
  t.revision = b[8];
  std::memcpy(t.oem_id.data(), b.data() + 10, 6);
  std::memcpy(t.oem_table_id.data(), b.data() + 16, 8);
  t.oem_revision = static_cast<uint32_t>(get(b, 24, 4));
  std::memcpy(t.creator_id.data(), b.data() + 28, 4);
  t.creator_revision = static_cast<uint32_t>(get(b, 32, 4));
  size_t off = Cedt::kHeaderLength;
  while (off < b.size()) {
    if (b.size() - off < 4) {
      throw ParseError(fmt::format("CEDT: truncated structure header at offset {}", off));
    }
    const size_t slen = get(b, off + 2, 2);
    if (slen < 4 || off + slen > b.size()) {
      throw ParseError(
          fmt::format("CEDT: structure at offset {} has Record Length {} (table ends at {})", off,
                      slen, b.size()));
    }
    const auto s = b.subspan(off, slen);
    try {
      if (s[0] == Chbs::kType) {
        t.structures.emplace_back(decode_chbs(s));
      } else if (s[0] == CedtCfmws::kType) {
        t.structures.emplace_back(decode_cfmws(s));
      } else {
        t.structures.emplace_back(CedtRawStructure{s[0], {s.begin(), s.end()}});
      }
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("CEDT: structure at offset {}: {}", off, e.what()));
    }
    off += slen;
  }
  return t;
}

nlohmann::json to_json(const Cedt& t) {
  nlohmann::json structures = nlohmann::json::array();
  for (const CedtStructure& s : t.structures) {
    if (const auto* c = std::get_if<Chbs>(&s)) {
      structures.push_back({{"type", "CHBS"},
                            {"uid", c->uid},
                            {"cxl_version", c->cxl_version},
                            {"base", c->base.value()},
                            {"length", c->length.value()}});
    } else if (const auto* w = std::get_if<CedtCfmws>(&s)) {
      auto ways = eiw_to_ways(w->eniw);
      auto gran =
          w->hbig <= 0xFF ? eig_to_granularity(static_cast<uint8_t>(w->hbig)) : std::nullopt;
      structures.push_back(
          {{"type", "CFMWS"},
           {"base", w->base.value()},
           {"size", w->size.value()},
           {"eniw", w->eniw},
           {"ways", ways ? nlohmann::json(*ways) : nlohmann::json()},
           {"interleave_arithmetic", w->interleave_arithmetic},
           {"hbig", w->hbig},
           {"granularity", gran ? nlohmann::json(gran->value()) : nlohmann::json()},
           {"restrictions", w->restrictions},
           {"qtg_id", w->qtg_id},
           {"targets", w->targets}});
    } else {
      const auto& r = std::get<CedtRawStructure>(s);
      structures.push_back({{"type", r.type}, {"length", r.bytes.size()}});
    }
  }
  return {{"signature", "CEDT"},
          {"revision", t.revision},
          {"oem_id", chars(t.oem_id)},
          {"oem_table_id", chars(t.oem_table_id)},
          {"structures", std::move(structures)}};
}

}  // namespace cxlsim
