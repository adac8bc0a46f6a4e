// Registers as data: field descriptors (CXL 3.1 §8.2.2 / PCIe 6.0 §7.4 access attributes) and a
// register file that honours the access types on bus writes. Every register structure in
// src/spec (config space headers, capabilities, DVSECs, component register capabilities) is a
// table of FieldDesc placed into a RegisterFile; the RegisterFile's bytes are the single source
// of truth for the register state.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxlsim {

// Access attribute of a register field as seen by software (bus writes). Sticky variants of the
// specification (RWS, RW1CS, ROS) map to their non-sticky kinds here: this model has no
// distinction between hot reset and power-on reset. RWL (RW until locked) maps to RW; the lock
// semantics live in the structures that define them (HDM decoders).
enum class Access : uint8_t {
  kRO,      // read-only; hardware may change it (RegisterFile::set_field)
  kRW,      // read-write
  kRW1C,    // status: writing 1 clears the bit, writing 0 has no effect
  kRW1S,    // writing 1 sets the bit (write-once locks), writing 0 has no effect
  kHwInit,  // initialised by hardware/firmware (set_field), read-only to software afterwards
  kRsvdP,   // reserved, software must preserve: writes do not change the stored value
  kRsvdZ,   // reserved, reads zero: writes ignored, value is always 0
};

std::string_view access_name(Access a);

// One field of one register. `offset` is the byte offset of the register relative to the
// structure the table describes; `width` is the register width in bytes (1, 2, 4 or 8); the
// field occupies bits [msb:lsb] of that register (little-endian, as on the bus).
struct FieldDesc {
  std::string_view name;  // the specification's field name
  uint32_t offset = 0;    // register byte offset within the structure
  uint8_t width = 4;      // register width in bytes
  uint8_t lsb = 0;        // lowest bit of the field within the register
  uint8_t msb = 31;       // highest bit of the field within the register
  Access access = Access::kRO;
  uint64_t reset = 0;        // value after reset, right-aligned (field units)
  std::string_view section;  // where the specification defines it ("CXL 3.1 §8.1.3.1")

  [[nodiscard]] constexpr unsigned bits() const { return static_cast<unsigned>(msb - lsb + 1); }
  [[nodiscard]] constexpr uint64_t mask() const {
    return bits() >= 64 ? ~0ull : ((1ull << bits()) - 1);
  }
};

// Problems with a table: empty name, bad width, misaligned register, bit range outside the
// register, reset value wider than the field, register beyond `structure_size`, two fields
// sharing a bit. Empty when the table is well-formed. Each message names the field.
std::vector<std::string> validate_table(std::span<const FieldDesc> fields, uint32_t structure_size);

// A structure (a table) placed at a byte offset inside a register file.
struct PlacedStructure {
  std::string name;               // "PCI Express Capability", "DVSEC: Register Locator", ...
  uint32_t base = 0;              // byte offset of the structure within the register file
  std::vector<FieldDesc> fields;  // offsets relative to `base`
};

// A contiguous register space (a 4 KiB config space, the 4 KiB CXL.cache/mem range) holding
// the state of all placed fields. Bus accesses (read/write) honour access types; hardware-side
// accesses (set_field) write any field. Bits that no field covers read zero and ignore writes.
class RegisterFile {
 public:
  explicit RegisterFile(uint32_t size_bytes);

  [[nodiscard]] uint32_t size_bytes() const { return static_cast<uint32_t>(bytes_.size()); }

  // Places `fields` (offsets relative to `base`) and loads their reset values. Throws
  // std::invalid_argument naming the field if the table is malformed, does not fit, or shares
  // a bit with an already placed field. Several structures may share a base (a capability
  // header and its body) as long as their bits are disjoint.
  void add_structure(std::string name, uint32_t base, std::span<const FieldDesc> fields,
                     uint32_t structure_size);

  // Bus view. `size` is 1, 2, 4 or 8 bytes; [off, off+size) must lie inside the file
  // (std::out_of_range otherwise). Reads return the stored bits; writes apply per bit:
  // RW takes the written value, RW1C clears written ones, RW1S sets written ones, all other
  // kinds keep their value.
  [[nodiscard]] uint64_t read(uint32_t off, unsigned size) const;
  void write(uint32_t off, unsigned size, uint64_t value);
  [[nodiscard]] uint32_t read32(uint32_t off) const { return static_cast<uint32_t>(read(off, 4)); }
  void write32(uint32_t off, uint32_t v) { write(off, 4, v); }

  // Hardware view: the field `name` of a structure placed at `base`. Throws
  // std::invalid_argument if there is no such field or the value does not fit.
  [[nodiscard]] uint64_t field(uint32_t base, std::string_view name) const;
  void set_field(uint32_t base, std::string_view name, uint64_t value);
  // Hardware/firmware initialisation (straps, HwInit values, identity): sets the field and makes
  // `value` its reset value, so reset() keeps it.
  void init_field(uint32_t base, std::string_view name, uint64_t value);
  [[nodiscard]] bool has_field(uint32_t base, std::string_view name) const;

  // Restores every field's reset value (fields set by set_field since are overwritten).
  void reset();

  [[nodiscard]] const std::vector<PlacedStructure>& structures() const { return structures_; }

  // {"size": N, "structures": [{"name", "base", "fields": [{"field", "offset", "width",
  //  "bits": "msb:lsb", "access", "value", "section"}]}]}; offsets are absolute in this file.
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  struct Located {
    const FieldDesc* desc;
    uint32_t base;
  };
  [[nodiscard]] Located locate(uint32_t base, std::string_view name) const;
  FieldDesc& locate_mutable(uint32_t base, std::string_view name);
  [[nodiscard]] uint64_t read_field(uint32_t base, const FieldDesc& f) const;
  void write_field(uint32_t base, const FieldDesc& f, uint64_t value);

  std::vector<uint8_t> bytes_;
  // Per-bit write behaviour, by byte: bits in rw_ take the written value, rw1c_ clear on 1,
  // rw1s_ set on 1; owned_ marks bits that belong to some field (overlap detection).
  std::vector<uint8_t> rw_, rw1c_, rw1s_, owned_;
  std::vector<PlacedStructure> structures_;
};

}  // namespace cxlsim
