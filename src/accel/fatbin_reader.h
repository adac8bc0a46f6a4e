// Reading the module images the device server receives (MODULE_LOAD; formats in fatbin.h):
// what kind an image is, the entries of a fatbin container, an entry's payload inflated, and
// the PTX the ptx backend runs from an image. Every size and offset is checked against the
// image: a malformed container (wrong magic, truncated, sizes past its end, a payload that does
// not inflate to its size) is a CommandError CUDA_ERROR_INVALID_IMAGE, never a read outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "accel/fatbin.h"

namespace cxlsim::accel {

enum class ImageKind { kPtx, kCubin, kFatbin };

// By the image's first bytes: ELF magic (a cubin), CUDA_FATBIN_MAGIC, otherwise PTX text.
ImageKind image_kind(std::span<const std::byte> image);

struct FatbinEntry {
  uint16_t kind = 0;                   // cuda_fatbin_kind (other kinds are listed too)
  uint32_t arch = 0;                   // sm arch * 10 + minor
  uint64_t flags = 0;                  // CUDA_FATBIN_FLAG_*
  std::span<const std::byte> payload;  // as stored: the compressed bytes when compressed
  uint64_t uncompressed_size = 0;      // when compressed
  [[nodiscard]] bool compressed() const {
    return (flags & (CUDA_FATBIN_FLAG_COMPRESSED_LZ4 | CUDA_FATBIN_FLAG_COMPRESSED_ZSTD)) != 0;
  }
};

// The entries of the fatbin container at the start of `image` (bytes after the container are
// ignored), in order.
std::vector<FatbinEntry> fatbin_entries(std::span<const std::byte> image);

// The most bytes an entry may inflate to (a bound for hostile sizes; real PTX is far smaller).
inline constexpr uint64_t kMaxInflatedBytes = uint64_t{256} << 20;

// An entry's payload, inflated when compressed (LZ4 block or zstd frame, fatbin.h).
std::vector<std::byte> entry_payload(const FatbinEntry& e);

// The PTX text the ptx backend runs for a device of `arch` (e.g. 75): the image itself when it
// is PTX (up to its first NUL; none: CUDA_ERROR_INVALID_IMAGE); from a fatbin, the PTX entry of the
// highest arch <= `arch`. A cubin, or a fatbin without such a PTX entry, is CommandError
// CUDA_ERROR_NO_BINARY_FOR_GPU.
std::string module_ptx(std::span<const std::byte> image, uint32_t arch);

}  // namespace cxlsim::accel
