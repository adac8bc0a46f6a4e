// ACPI CXL Early Discovery Table (CEDT, CXL 3.1 §9.18, ACPI 6.5 §5.2.6): the host-side
// description of CXL host bridges (CHBS, type 0) and fixed memory windows (CFMWS, type 1),
// with byte-exact little-endian encoders and decoders. This header defines the binary format
// (CEDT revision 1); other structure types (CXIMS, RDPAS) are carried through as raw bytes.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "spec/address.h"
#include "spec/units.h"

namespace cxlsim {

// CXL Host Bridge Structure (CHBS), CXL 3.1 §9.18.2, 32 bytes.
struct Chbs {
  static constexpr uint8_t kType = 0;
  static constexpr uint16_t kLength = 0x20;
  static constexpr uint32_t kVersionRch = 0;   // CXL 1.1 host bridge: Base is an RCRB (8 KiB)
  static constexpr uint32_t kVersionCxl2 = 1;  // CXL 2.0+ host bridge: Base is a CHBCR (64 KiB)

  uint32_t uid = 0;  // the host bridge's ACPI _UID
  uint32_t cxl_version = kVersionCxl2;
  Hpa base;  // component register block (CHBCR) or RCRB
  Bytes length = KiB(64);
  auto operator<=>(const Chbs&) const = default;
};

// Window Restrictions bits of a CFMWS (CXL 3.1 §9.18.3).
enum CfmwsRestriction : uint16_t {
  kCfmwsDeviceCoherent = 1u << 0,    // may map HDM-D / HDM-DB (type 2 style) memory
  kCfmwsHostOnlyCoherent = 1u << 1,  // may map HDM-H (type 3) memory
  kCfmwsVolatile = 1u << 2,
  kCfmwsPersistent = 1u << 3,
  kCfmwsFixedConfig = 1u << 4,
};

// CXL Fixed Memory Window Structure (CFMWS), CXL 3.1 §9.18.3: 0x24 bytes + 4 per target.
// Fields hold the encoded values as they appear in the table.
struct CedtCfmws {
  static constexpr uint8_t kType = 1;
  static constexpr uint16_t kFixedLength = 0x24;
  static constexpr uint8_t kArithmeticModulo = 0;     // standard modulo (incl. 3/6/12 ways)
  static constexpr uint8_t kArithmeticModuloXor = 1;  // modulo with XOR (needs CXIMS)

  Hpa base;          // 256 MiB aligned
  Bytes size;        // multiple of 256 MiB x interleave ways
  uint8_t eniw = 0;  // encoded number of interleave ways (0..4, 8..10)
  uint8_t interleave_arithmetic = kArithmeticModulo;
  uint32_t hbig = 0;  // host bridge interleave granularity, encoded (0: 256 B .. 6: 16 KiB)
  uint16_t restrictions = kCfmwsHostOnlyCoherent | kCfmwsVolatile | kCfmwsPersistent;
  uint16_t qtg_id = 0;
  std::vector<uint32_t> targets;  // CHBS UIDs, one per interleave way, in interleave order
  auto operator<=>(const CedtCfmws&) const = default;

  // Decoded interleave ways / granularity; throw ValidationError for invalid encodings.
  [[nodiscard]] unsigned ways() const;
  [[nodiscard]] Bytes granularity() const;
};

// A window from its natural parameters (ways = targets.size()); throws ValidationError when
// ways or granularity are not encodable or base/size are misaligned.
CedtCfmws make_cfmws(Hpa base, Bytes size, std::vector<uint32_t> targets, Bytes granularity,
                     uint16_t restrictions = kCfmwsHostOnlyCoherent | kCfmwsVolatile |
                                             kCfmwsPersistent,
                     uint16_t qtg_id = 0);

// Any other CEDT structure (CXIMS, RDPAS, ...), kept verbatim (type, length and body).
struct CedtRawStructure {
  uint8_t type = 0;
  std::vector<uint8_t> bytes;  // the whole structure, header included
  auto operator<=>(const CedtRawStructure&) const = default;
};

using CedtStructure = std::variant<Chbs, CedtCfmws, CedtRawStructure>;

struct Cedt {
  static constexpr uint8_t kRevision = 1;
  static constexpr uint32_t kHeaderLength = 36;  // ACPI System Description Table header

  uint8_t revision = kRevision;
  std::array<char, 6> oem_id{'C', 'X', 'L', 'S', 'I', 'M'};
  std::array<char, 8> oem_table_id{'C', 'X', 'L', 'S', 'I', 'M', 'C', 'E'};
  uint32_t oem_revision = 1;
  std::array<char, 4> creator_id{'C', 'X', 'L', 'S'};
  uint32_t creator_revision = 1;
  std::vector<CedtStructure> structures;
  bool operator==(const Cedt&) const = default;
};

// Single-structure encoders/decoders. Encoders validate (ValidationError naming the
// structure); decoders take exactly one structure's bytes and throw ParseError naming the
// field at fault (bad type, length, encoding).
std::vector<uint8_t> encode_chbs(const Chbs& c);
Chbs decode_chbs(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode_cfmws(const CedtCfmws& c);
CedtCfmws decode_cfmws(std::span<const uint8_t> bytes);

// The whole table: ACPI header ("CEDT", length, revision, checksum making the byte sum 0,
// OEM fields) followed by the structures in order.
std::vector<uint8_t> encode_cedt(const Cedt& t);
// Verifies signature, length and checksum, then decodes every structure (ParseError with the
// byte offset of the offending structure).
Cedt decode_cedt(std::span<const uint8_t> bytes);

// {"revision", "oem_id", "structures": [{"type": "CHBS", "uid", ...} | {"type": "CFMWS", ...}]}.
nlohmann::json to_json(const Cedt& t);

}  // namespace cxlsim
