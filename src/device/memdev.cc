#include "device/memdev.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "device/memdev_state_file.h"
#include "spec/error.h"

namespace cxlsim {

// The memdev's backing memory as the command interface's Media.
class Memdev::MediaView final : public device::Media {
 public:
  explicit MediaView(Memdev& m) : m_(m) {}
  [[nodiscard]] Bytes capacity() const override { return m_.dpa_span(); }
  void read(Dpa dpa, std::span<uint8_t> out) const override {
    m_.media_read(dpa, std::as_writable_bytes(out));
  }
  void write(Dpa dpa, std::span<const uint8_t> in) override {
    m_.media_write(dpa, std::as_bytes(in));
  }

 private:
  Memdev& m_;
};

namespace {
// Topology-built devices are fully partitionable in 256 MiB steps, starting with the
// configured volatile share, unless the topology says they are not.
device::MemdevCciConfig cci_config(const MemdevConfig& c) {
  device::MemdevCciConfig d;
  d.serial = c.serial;
  if (c.partitionable) {
    d.partitionable = c.volatile_size + c.persistent_size;
    d.initial_partition_volatile = c.volatile_size;
  } else {
    d.volatile_only = c.volatile_size;
    d.persistent_only = c.persistent_size;
  }
  d.lsa_size = c.lsa_size;
  uint64_t base = c.volatile_size.value() + c.persistent_size.value();
  for (Bytes len : c.dc_regions) {
    d.dc_regions.push_back(
        {.base = base, .length = len.value(), .block_size = c.dc_block_size.value()});
    base += len.value();
  }
  return d;
}

BackingMemory make_backing(const std::string& path, Bytes size, bool map_files) {
  return path.empty() || !map_files ? BackingMemory::anonymous(size)
                                    : BackingMemory::file(path, size);
}
}  // namespace

Memdev::Memdev(MemdevConfig config)
    : config_(std::move(config)), hdm_(HdmKind::kEndpoint, config_.hdm_decoder_count, 0, this) {
  const uint64_t align = HdmDecoderCapability::kAlign.value();
  if (config_.volatile_size.value() % align || config_.persistent_size.value() % align) {
    throw ValidationError(
        fmt::format("memdev '{}': capacity must be a multiple of 256 MiB", config_.id));
  }
  if (capacity().value() == 0) {
    throw ValidationError(fmt::format("memdev '{}': has no capacity", config_.id));
  }
  if (is_type2() && (config_.persistent_size.value() || config_.lsa_size.value() ||
                     !config_.dc_regions.empty())) {
    throw ValidationError(fmt::format(
        "type2 '{}': device memory is volatile only (no persistent, LSA or DC capacity)",
        config_.id));
  }
  volatile_ = make_backing(config_.volatile_path, config_.volatile_size, config_.map_files);
  persistent_ = make_backing(config_.persistent_path, config_.persistent_size, config_.map_files);
  Bytes dc(0);
  for (Bytes r : config_.dc_regions) {
    if (r.value() % align || r == Bytes(0)) {
      throw ValidationError(
          fmt::format("memdev '{}': DC regions must be nonzero multiples of 256 MiB", config_.id));
    }
    dc = dc + r;
  }
  if (dc != Bytes(0)) dc_ = BackingMemory::anonymous(dc);
  media_ = std::make_unique<MediaView>(*this);
  cci_ = std::make_unique<device::MemdevCci>(cci_config(config_), *media_);
  // Labels live in the LSA file, else beside the kept state, else in RAM (label_storage.h).
  const std::string labels = !config_.lsa_path.empty() ? config_.lsa_path
                             : !config_.state_path.empty()
                                 ? device::label_path_beside(config_.state_path)
                                 : std::string();
  if (!labels.empty()) cci_->set_label_storage(device::LabelStorage(labels, config_.lsa_size));
}

bool Memdev::restore_state() {
  if (config_.state_path.empty()) return false;
  std::vector<uint8_t> legacy_lsa;
  auto s = device::load_state(config_.state_path, cci_->config(), &legacy_lsa);
  if (!s) return false;
  cci_->state() = std::move(*s);
  // Only the pages holding labels: the file stays sparse.
  constexpr size_t kPage = 4096;
  for (size_t off = 0; off < legacy_lsa.size(); off += kPage) {
    const auto page = std::span(legacy_lsa).subspan(off, std::min(kPage, legacy_lsa.size() - off));
    if (std::any_of(page.begin(), page.end(), [](uint8_t b) { return b != 0; })) {
      cci_->lsa().write(off, page);
    }
  }
  return true;
}

Memdev::~Memdev() = default;

void Memdev::sync_media() const {
  volatile_.sync();
  persistent_.sync();
  cci_->lsa().sync();
}

std::pair<const BackingMemory*, uint64_t> Memdev::locate(Dpa dpa, size_t len) const {
  const uint64_t vol = config_.volatile_size.value();
  const uint64_t end = dpa.value() + len;
  if (end < dpa.value() || end > dpa_span().value()) {
    throw std::out_of_range(fmt::format("memdev '{}': DPA {:#x}+{:#x} is beyond capacity {:#x}",
                                        config_.id, dpa.value(), len, dpa_span().value()));
  }
  if (dpa.value() < vol) return {&volatile_, dpa.value()};
  if (dpa.value() < capacity().value()) return {&persistent_, dpa.value() - vol};
  return {&dc_, dpa.value() - capacity().value()};
}

device::MediaAccess Memdev::read(Dpa dpa, std::span<std::byte> out) const {
  (void)locate(dpa, out.size());  // throws std::out_of_range beyond the DPA span
  const auto a = cci_->read(dpa, {reinterpret_cast<uint8_t*>(out.data()), out.size()});
  if (a != device::MediaAccess::kOk && a != device::MediaAccess::kPoisoned) {
    std::fill(out.begin(), out.end(), std::byte{0});
  }
  return a;
}

device::MediaAccess Memdev::write(Dpa dpa, std::span<const std::byte> in) {
  (void)locate(dpa, in.size());  // throws std::out_of_range beyond the DPA span
  return cci_->write(dpa, {reinterpret_cast<const uint8_t*>(in.data()), in.size()});
}

void Memdev::media_read(Dpa dpa, std::span<std::byte> out) const {
  while (!out.empty()) {
    auto [where, off] = locate(dpa, out.size());
    const BackingMemory& mem = *where;
    const size_t n = std::min<uint64_t>(out.size(), mem.size().value() - off);
    std::memcpy(out.data(), mem.bytes().data() + off, n);
    out = out.subspan(n);
    dpa = dpa + Bytes(n);
  }
}

void Memdev::media_write(Dpa dpa, std::span<const std::byte> in) {
  while (!in.empty()) {
    auto [where, off] = locate(dpa, in.size());
    BackingMemory& mem = where == &volatile_     ? volatile_
                         : where == &persistent_ ? persistent_
                                                 : dc_;
    const size_t n = std::min<uint64_t>(in.size(), mem.size().value() - off);
    std::memcpy(mem.bytes().data() + off, in.data(), n);
    in = in.subspan(n);
    dpa = dpa + Bytes(n);
  }
}

std::optional<FileLocation> Memdev::file_location(Dpa dpa) const {
  if (dpa.value() >= capacity().value()) return std::nullopt;
  const bool pmem = is_persistent(dpa);
  const std::string& path = pmem ? config_.persistent_path : config_.volatile_path;
  if (path.empty()) return std::nullopt;
  return FileLocation{path, pmem ? dpa.value() - config_.volatile_size.value() : dpa.value()};
}

}  // namespace cxlsim
