#include "accel/fatbin_reader.h"

#include <elf.h>
#include <fmt/format.h>
#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "accel/compute_backend.h"

namespace cxlsim::accel {

static_assert(sizeof(cuda_fatbin_header) == 16, "fatbin.h: container header layout");
static_assert(sizeof(cuda_fatbin_entry) == 64, "fatbin.h: entry header layout");

namespace {

[[noreturn]] void invalid(const std::string& why) {
  throw CommandError(CXL2_ERR_INVALID_IMAGE, "invalid fatbin: " + why);
}

template <class T>
T read_at(std::span<const std::byte> image, uint64_t offset) {
  T v{};
  std::memcpy(&v, image.data() + offset, sizeof v);
  return v;
}

std::string arch_list(const std::vector<FatbinEntry>& entries, uint16_t kind) {
  std::string s;
  for (const FatbinEntry& e : entries) {
    if (e.kind == kind) s += fmt::format("{}sm_{}", s.empty() ? "" : ", ", e.arch);
  }
  return s.empty() ? "none" : s;
}

}  // namespace

ImageKind image_kind(std::span<const std::byte> image) {
  if (image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0) {
    return ImageKind::kCubin;
  }
  if (image.size() >= 4 && read_at<uint32_t>(image, 0) == CUDA_FATBIN_MAGIC) {
    return ImageKind::kFatbin;
  }
  return ImageKind::kPtx;
}

std::vector<FatbinEntry> fatbin_entries(std::span<const std::byte> image) {
  if (image.size() < sizeof(cuda_fatbin_header)) invalid("shorter than its header");
  const auto h = read_at<cuda_fatbin_header>(image, 0);
  if (h.magic != CUDA_FATBIN_MAGIC) invalid(fmt::format("magic {:#x}", h.magic));
  if (h.version != CUDA_FATBIN_VERSION) invalid(fmt::format("version {}", h.version));
  if (h.header_size < sizeof h || h.header_size > image.size() ||
      h.fat_size > image.size() - h.header_size) {
    invalid(fmt::format("header {} + entries {} bytes, image {} bytes", h.header_size, h.fat_size,
                        image.size()));
  }
  const uint64_t end = h.header_size + h.fat_size;
  std::vector<FatbinEntry> entries;
  for (uint64_t at = h.header_size; at < end;) {
    if (end - at < sizeof(cuda_fatbin_entry)) invalid(fmt::format("entry at {} truncated", at));
    const auto e = read_at<cuda_fatbin_entry>(image, at);
    if (e.header_size < sizeof e || e.header_size > end - at ||
        e.payload_size > end - at - e.header_size) {
      invalid(fmt::format("entry at {}: header {} + payload {} bytes past the container's end {}",
                          at, e.header_size, e.payload_size, end));
    }
    FatbinEntry out;
    out.kind = e.kind;
    out.arch = e.arch;
    out.flags = e.flags;
    out.payload = image.subspan(at + e.header_size, e.payload_size);
    if (out.compressed()) {
      if (e.compressed_size == 0 || e.compressed_size > e.payload_size) {
        invalid(fmt::format("entry at {}: compressed size {} of a {}-byte payload", at,
                            e.compressed_size, e.payload_size));
      }
      out.payload = out.payload.first(e.compressed_size);
      out.uncompressed_size = e.uncompressed_size;
    }
    entries.push_back(out);
    at += e.header_size + e.payload_size;
  }
  return entries;
}

std::vector<std::byte> entry_payload(const FatbinEntry& e) {
  if (!e.compressed()) return {e.payload.begin(), e.payload.end()};
  if (e.uncompressed_size == 0 || e.uncompressed_size > kMaxInflatedBytes) {
    invalid(fmt::format("an entry inflating to {} bytes", e.uncompressed_size));
  }
  const bool zstd =
      e.payload.size() >= 4 && read_at<uint32_t>(e.payload, 0) == CUDA_ZSTD_FRAME_MAGIC;
  // Sizes no payload can inflate to are refused before anything is allocated: a zstd frame
  // names its content size (when it does, it must match), an LZ4 block grows at most 255-fold
  // (a match length byte of 255 per output run).
  if (zstd) {
    const auto n = ZSTD_getFrameContentSize(e.payload.data(), e.payload.size());
    if (n == ZSTD_CONTENTSIZE_ERROR ||
        (n != ZSTD_CONTENTSIZE_UNKNOWN && n != e.uncompressed_size)) {
      invalid(fmt::format("zstd frame of {} bytes for an entry of {}", n, e.uncompressed_size));
    }
  } else if (e.uncompressed_size > 255 * e.payload.size() + 255) {
    invalid(
        fmt::format("{} LZ4 bytes cannot inflate to {}", e.payload.size(), e.uncompressed_size));
  }
  std::vector<std::byte> out(e.uncompressed_size);
  if (zstd) {
    const size_t n = ZSTD_decompress(out.data(), out.size(), e.payload.data(), e.payload.size());
    if (ZSTD_isError(n) != 0 || n != out.size()) {
      invalid(fmt::format("zstd payload does not inflate to {} bytes", out.size()));
    }
    return out;
  }
  if ((e.flags & CUDA_FATBIN_FLAG_COMPRESSED_LZ4) == 0) {
    invalid("a zstd-flagged payload without a zstd frame");
  }
  if (e.payload.size() > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    invalid("an LZ4 payload over 2 GiB");
  }
  const int n = LZ4_decompress_safe(
      reinterpret_cast<const char*>(e.payload.data()), reinterpret_cast<char*>(out.data()),
      static_cast<int>(e.payload.size()), static_cast<int>(out.size()));
  if (n < 0 || static_cast<uint64_t>(n) != out.size()) {
    invalid(fmt::format("LZ4 payload does not inflate to {} bytes", out.size()));
  }
  return out;
}

std::string module_ptx(std::span<const std::byte> image, uint32_t arch) {
  switch (image_kind(image)) {
    case ImageKind::kCubin:
      throw CommandError(CXL2_ERR_NO_BINARY_FOR_GPU,
                         "a cubin is machine code for one GPU; the ptx backend runs PTX only");
    case ImageKind::kPtx: {
      const auto* p = reinterpret_cast<const char*>(image.data());
      std::string text(p, std::find(p, p + image.size(), '\0'));
      // As CUDA 13's driver answers an image whose first byte is NUL (docs/accel.md).
      if (text.empty()) throw CommandError(CXL2_ERR_INVALID_IMAGE, "an empty image");
      return text;
    }
    case ImageKind::kFatbin:
      break;
  }
  const std::vector<FatbinEntry> entries = fatbin_entries(image);
  const FatbinEntry* best = nullptr;
  for (const FatbinEntry& e : entries) {
    if (e.kind == CUDA_FATBIN_KIND_PTX && e.arch <= arch &&
        (best == nullptr || e.arch > best->arch)) {
      best = &e;
    }
  }
  if (best == nullptr) {
    throw CommandError(
        CXL2_ERR_NO_BINARY_FOR_GPU,
        fmt::format("the fatbin has no PTX for sm_{} or lower (PTX: {}; cubins: {}); "
                    "the ptx backend runs PTX only",
                    arch, arch_list(entries, CUDA_FATBIN_KIND_PTX),
                    arch_list(entries, CUDA_FATBIN_KIND_ELF)));
  }
  const std::vector<std::byte> text = entry_payload(*best);
  const auto* p = reinterpret_cast<const char*>(text.data());
  return {p, std::find(p, p + text.size(), '\0')};  // the payload is padded with NULs
}

}  // namespace cxlsim::accel
