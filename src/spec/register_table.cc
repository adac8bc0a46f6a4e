#include "spec/register_table.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cxlsim {

std::string_view access_name(Access a) {
  switch (a) {
    case Access::kRO:
      return "RO";
    case Access::kRW:
      return "RW";
    case Access::kRW1C:
      return "RW1C";
    case Access::kRW1S:
      return "RW1S";
    case Access::kHwInit:
      return "HwInit";
    case Access::kRsvdP:
      return "RsvdP";
    case Access::kRsvdZ:
      return "RsvdZ";
  }
  return "?";
}

namespace {

bool valid_width(uint8_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

// Absolute bit number (from the structure start) of bit `b` of the field's register.
uint64_t abs_bit(const FieldDesc& f, unsigned b) { return uint64_t{f.offset} * 8 + b; }

}  // namespace

std::vector<std::string> validate_table(std::span<const FieldDesc> fields,
                                        uint32_t structure_size) {
  std::vector<std::string> problems;
  std::vector<const FieldDesc*> owner(size_t{structure_size} * 8, nullptr);
  for (const FieldDesc& f : fields) {
    const std::string n = f.name.empty() ? std::string("<unnamed>") : std::string(f.name);
    if (f.name.empty()) {
      problems.push_back(fmt::format("field at offset {:#x} has no name", f.offset));
    }
    if (!valid_width(f.width)) {
      problems.push_back(fmt::format("{}: register width {} is not 1, 2, 4 or 8", n, f.width));
      continue;
    }
    if (f.offset % f.width != 0) {
      problems.push_back(fmt::format("{}: register offset {:#x} not aligned to its width {}", n,
                                     f.offset, f.width));
    }
    if (f.lsb > f.msb || f.msb >= f.width * 8) {
      problems.push_back(
          fmt::format("{}: bits {}:{} outside a {}-byte register", n, f.msb, f.lsb, f.width));
      continue;
    }
    if ((f.reset & ~f.mask()) != 0) {
      problems.push_back(
          fmt::format("{}: reset value {:#x} wider than {} bits", n, f.reset, f.bits()));
    }
    if (uint64_t{f.offset} + f.width > structure_size) {
      problems.push_back(fmt::format("{}: register at {:#x} ends beyond the structure size {:#x}",
                                     n, f.offset, structure_size));
      continue;
    }
    if (f.access == Access::kRsvdZ && f.reset != 0) {
      problems.push_back(fmt::format("{}: RsvdZ field with non-zero reset value", n));
    }
    for (unsigned b = f.lsb; b <= f.msb; ++b) {
      const FieldDesc*& o = owner[abs_bit(f, b)];
      if (o != nullptr) {
        problems.push_back(fmt::format("{}: bit {} of register {:#x} also belongs to {}", n, b,
                                       f.offset, o->name));
        break;
      }
      o = &f;
    }
  }
  return problems;
}

RegisterFile::RegisterFile(uint32_t size_bytes)
    : bytes_(size_bytes, 0),
      rw_(size_bytes, 0),
      rw1c_(size_bytes, 0),
      rw1s_(size_bytes, 0),
      owned_(size_bytes, 0) {}

void RegisterFile::add_structure(std::string name, uint32_t base, std::span<const FieldDesc> fields,
                                 uint32_t structure_size) {
  if (uint64_t{base} + structure_size > bytes_.size()) {
    throw std::invalid_argument(
        fmt::format("{}: structure at {:#x} of {:#x} bytes does not fit in "
                    "a {:#x}-byte register space",
                    name, base, structure_size, bytes_.size()));
  }
  auto problems = validate_table(fields, structure_size);
  if (!problems.empty()) throw std::invalid_argument(name + ": " + problems.front());
  // Check for bits already owned before changing anything.
  for (const FieldDesc& f : fields) {
    for (unsigned b = f.lsb; b <= f.msb; ++b) {
      const uint64_t bit = uint64_t{base} * 8 + abs_bit(f, b);
      if (owned_[bit / 8] & (1u << (bit % 8))) {
        throw std::invalid_argument(fmt::format("{}: field {} at {:#x} overlaps a placed field",
                                                name, f.name, base + f.offset));
      }
    }
  }
  for (const FieldDesc& f : fields) {
    for (unsigned b = f.lsb; b <= f.msb; ++b) {
      const uint64_t bit = uint64_t{base} * 8 + abs_bit(f, b);
      const auto m = static_cast<uint8_t>(1u << (bit % 8));
      owned_[bit / 8] |= m;
      if (f.access == Access::kRW) rw_[bit / 8] |= m;
      if (f.access == Access::kRW1C) rw1c_[bit / 8] |= m;
      if (f.access == Access::kRW1S) rw1s_[bit / 8] |= m;
    }
  }
  PlacedStructure& s = structures_.emplace_back(
      PlacedStructure{std::move(name), base, {fields.begin(), fields.end()}});
  for (const FieldDesc& f : s.fields) write_field(base, f, f.reset);
}

uint64_t RegisterFile::read(uint32_t off, unsigned size) const {
  if (!(size == 1 || size == 2 || size == 4 || size == 8) || uint64_t{off} + size > bytes_.size()) {
    throw std::out_of_range(fmt::format("register access of {} bytes at {:#x} outside {:#x} bytes",
                                        size, off, bytes_.size()));
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{bytes_[off + i]} << (8 * i);
  return v;
}

void RegisterFile::write(uint32_t off, unsigned size, uint64_t value) {
  (void)read(off, size);  // range check
  for (unsigned i = 0; i < size; ++i) {
    const uint32_t a = off + i;
    const auto w = static_cast<uint8_t>(value >> (8 * i));
    const uint8_t old = bytes_[a];
    const auto keep = static_cast<uint8_t>(~(rw_[a] | rw1c_[a] | rw1s_[a]));
    bytes_[a] = static_cast<uint8_t>((old & keep) | (w & rw_[a]) | (old & rw1c_[a] & ~w) |
                                     ((old | w) & rw1s_[a]));
  }
}

RegisterFile::Located RegisterFile::locate(uint32_t base, std::string_view name) const {
  for (const PlacedStructure& s : structures_) {
    if (s.base != base) continue;
    for (const FieldDesc& f : s.fields) {
      if (f.name == name) return {&f, base};
    }
  }
  throw std::invalid_argument(
      fmt::format("no register field '{}' in a structure at {:#x}", name, base));
}

bool RegisterFile::has_field(uint32_t base, std::string_view name) const {
  for (const PlacedStructure& s : structures_) {
    if (s.base == base) {
      for (const FieldDesc& f : s.fields) {
        if (f.name == name) return true;
      }
    }
  }
  return false;
}

uint64_t RegisterFile::read_field(uint32_t base, const FieldDesc& f) const {
  const uint64_t reg = read(base + f.offset, f.width);
  return (reg >> f.lsb) & f.mask();
}

void RegisterFile::write_field(uint32_t base, const FieldDesc& f, uint64_t value) {
  const uint32_t off = base + f.offset;
  uint64_t reg = read(off, f.width);
  reg = (reg & ~(f.mask() << f.lsb)) | ((value & f.mask()) << f.lsb);
  for (unsigned i = 0; i < f.width; ++i) bytes_[off + i] = static_cast<uint8_t>(reg >> (8 * i));
}

uint64_t RegisterFile::field(uint32_t base, std::string_view name) const {
  Located l = locate(base, name);
  return read_field(l.base, *l.desc);
}

void RegisterFile::set_field(uint32_t base, std::string_view name, uint64_t value) {
  Located l = locate(base, name);
  if ((value & ~l.desc->mask()) != 0) {
    throw std::invalid_argument(
        fmt::format("value {:#x} does not fit the {}-bit field '{}'", value, l.desc->bits(), name));
  }
  if (l.desc->access == Access::kRsvdZ && value != 0) {
    throw std::invalid_argument(fmt::format("reserved field '{}' must stay zero", name));
  }
  write_field(l.base, *l.desc, value);
}

FieldDesc& RegisterFile::locate_mutable(uint32_t base, std::string_view name) {
  for (PlacedStructure& s : structures_) {
    if (s.base != base) continue;
    for (FieldDesc& f : s.fields) {
      if (f.name == name) return f;
    }
  }
  throw std::invalid_argument(
      fmt::format("no register field '{}' in a structure at {:#x}", name, base));
}

void RegisterFile::init_field(uint32_t base, std::string_view name, uint64_t value) {
  set_field(base, name, value);
  locate_mutable(base, name).reset = value;
}

void RegisterFile::reset() {
  for (const PlacedStructure& s : structures_) {
    for (const FieldDesc& f : s.fields) write_field(s.base, f, f.reset);
  }
}

nlohmann::json RegisterFile::to_json() const {
  nlohmann::json structures = nlohmann::json::array();
  for (const PlacedStructure& s : structures_) {
    nlohmann::json fields = nlohmann::json::array();
    for (const FieldDesc& f : s.fields) {
      fields.push_back({{"field", f.name},
                        {"offset", s.base + f.offset},
                        {"width", f.width},
                        {"bits", fmt::format("{}:{}", f.msb, f.lsb)},
                        {"access", access_name(f.access)},
                        {"value", read_field(s.base, f)},
                        {"section", f.section}});
    }
    structures.push_back({{"name", s.name}, {"base", s.base}, {"fields", std::move(fields)}});
  }
  return {{"size", size_bytes()}, {"structures", std::move(structures)}};
}

}  // namespace cxlsim
