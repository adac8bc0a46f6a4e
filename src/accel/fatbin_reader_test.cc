// The device server's reader of module images (fatbin_reader.h): which PTX a fatbin gives the
// ptx backend, inflation of compressed entries, and malformed containers refused with
// CUDA_ERROR_INVALID_IMAGE. Fatbins are built here from fatbin.h's layout.
#include "accel/fatbin_reader.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <rapidcheck/gtest.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "accel/compute_backend.h"
extern "C" {
#include "module_image.h"
}

namespace cxlsim::accel {
namespace {

enum class Pack { kNone, kLz4, kZstd };

struct Entry {
  uint16_t kind;
  uint32_t arch;
  std::string payload;
  Pack pack = Pack::kNone;
};

std::vector<std::byte> fatbin(const std::vector<Entry>& entries) {
  std::vector<std::byte> out(sizeof(cuda_fatbin_header));
  for (const Entry& e : entries) {
    std::string stored = e.payload;
    cuda_fatbin_entry h{};
    h.kind = e.kind;
    h.version = 0x0101;
    h.header_size = sizeof h + 8;  // nvcc's PTX entries: an options pair after the 64 bytes
    h.arch = e.arch;
    h.flags = CUDA_FATBIN_FLAG_64BIT;
    if (e.pack == Pack::kLz4) {
      stored.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(e.payload.size()))));
      stored.resize(static_cast<size_t>(LZ4_compress_default(e.payload.data(), stored.data(),
                                                             static_cast<int>(e.payload.size()),
                                                             static_cast<int>(stored.size()))));
      h.flags |= CUDA_FATBIN_FLAG_COMPRESSED_LZ4;
    } else if (e.pack == Pack::kZstd) {
      stored.resize(ZSTD_compressBound(e.payload.size()));
      stored.resize(
          ZSTD_compress(stored.data(), stored.size(), e.payload.data(), e.payload.size(), 3));
      h.flags |= CUDA_FATBIN_FLAG_COMPRESSED_ZSTD;
    }
    if (e.pack != Pack::kNone) {
      h.compressed_size = static_cast<uint32_t>(stored.size());
      h.uncompressed_size = e.payload.size();
    }
    h.payload_size = (stored.size() + 7) & ~uint64_t{7};
    const size_t at = out.size();
    out.resize(at + h.header_size + h.payload_size);
    std::memcpy(out.data() + at, &h, sizeof h);
    std::memcpy(out.data() + at + h.header_size, stored.data(), stored.size());
  }
  const cuda_fatbin_header h{CUDA_FATBIN_MAGIC, CUDA_FATBIN_VERSION, sizeof h,
                             out.size() - sizeof h};
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

uint32_t result_of(std::span<const std::byte> image, uint32_t arch = 70) {
  try {
    module_ptx(image, arch);
    return CXL2_OK;
  } catch (const CommandError& e) {
    return e.result();
  }
}

std::string ptx(const char* name) { return std::string(".version 7.0 // ") + name + "\n"; }

TEST(FatbinReader, PicksThePtxOfTheHighestArchNotAboveTheDevice) {
  const auto image = fatbin({{CUDA_FATBIN_KIND_PTX, 52, ptx("sm52")},
                             {CUDA_FATBIN_KIND_ELF, 70,
                              "\x7f"
                              "ELF"},
                             {CUDA_FATBIN_KIND_PTX, 80, ptx("sm80")},
                             {CUDA_FATBIN_KIND_PTX, 61, ptx("sm61")},
                             {CUDA_FATBIN_KIND_PTX, 75, ptx("sm75")}});
  EXPECT_EQ(module_ptx(image, 70), ptx("sm61"));
  EXPECT_EQ(module_ptx(image, 75), ptx("sm75"));
  EXPECT_EQ(module_ptx(image, 90), ptx("sm80"));
  EXPECT_EQ(module_ptx(image, 52), ptx("sm52"));
  EXPECT_EQ(result_of(image, 50), CXL2_ERR_NO_BINARY_FOR_GPU);
  const auto entries = fatbin_entries(image);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[1].kind, CUDA_FATBIN_KIND_ELF);
  EXPECT_EQ(entries[4].arch, 75u);
}

TEST(FatbinReader, InflatesLz4AndZstdEntries) {
  std::string big = ptx("big");
  for (int i = 0; i < 2000; ++i) big += "  add.s32 %r" + std::to_string(i % 7) + ", %r1, 1;\n";
  EXPECT_EQ(module_ptx(fatbin({{CUDA_FATBIN_KIND_PTX, 70, big, Pack::kLz4}}), 70), big);
  EXPECT_EQ(module_ptx(fatbin({{CUDA_FATBIN_KIND_PTX, 70, big, Pack::kZstd}}), 70), big);
  const auto entries = fatbin_entries(fatbin({{CUDA_FATBIN_KIND_PTX, 70, big, Pack::kLz4}}));
  EXPECT_LT(entries[0].payload.size(), big.size() / 4);  // it really is compressed
}

TEST(FatbinReader, PlainPtxIsTakenUpToItsNul) {
  const std::string text = ptx("plain") + std::string(1, '\0') + "junk";
  EXPECT_EQ(module_ptx(std::as_bytes(std::span(text)), 70), ptx("plain"));
  const std::string empty(8, '\0');  // e.g. a fatbin whose magic's first byte was lost
  EXPECT_EQ(result_of(std::as_bytes(std::span(empty))), CXL2_ERR_INVALID_IMAGE);
}

TEST(FatbinReader, CubinsAndFatbinsWithoutPtxHaveNoBinaryForThePtxBackend) {
  const std::string elf =
      "\x7f"
      "ELF\x02\x01\x01 machine code";
  EXPECT_EQ(result_of(std::as_bytes(std::span(elf))), CXL2_ERR_NO_BINARY_FOR_GPU);
  EXPECT_EQ(result_of(fatbin({{CUDA_FATBIN_KIND_ELF, 70, elf}, {CUDA_FATBIN_KIND_ELF, 52, elf}})),
            CXL2_ERR_NO_BINARY_FOR_GPU);
  EXPECT_EQ(result_of(fatbin({{CUDA_FATBIN_KIND_PTX, 80, ptx("sm80")}})),
            CXL2_ERR_NO_BINARY_FOR_GPU);
  EXPECT_EQ(result_of(fatbin({})), CXL2_ERR_NO_BINARY_FOR_GPU);
}

// Writes a field of the first entry's header (after the 16-byte container header).
template <class T>
std::vector<std::byte> patched(std::vector<std::byte> image, size_t offset, T value) {
  std::memcpy(image.data() + offset, &value, sizeof value);
  return image;
}

TEST(FatbinReader, MalformedContainersAreInvalidImages) {
  const auto good = fatbin(
      {{CUDA_FATBIN_KIND_PTX, 70, ptx("a"), Pack::kLz4}, {CUDA_FATBIN_KIND_PTX, 61, ptx("b")}});
  ASSERT_EQ(result_of(good), CXL2_OK);
  const size_t entry = sizeof(cuda_fatbin_header);
  const auto field = [&](size_t offset) { return entry + offset; };
  EXPECT_EQ(result_of(patched(good, 4, uint16_t{2})), CXL2_ERR_INVALID_IMAGE);  // version
  EXPECT_EQ(result_of(patched(good, 6, uint16_t{8})), CXL2_ERR_INVALID_IMAGE);  // header size
  EXPECT_EQ(result_of(patched(good, 6, uint16_t{60000})), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, 8, uint64_t{good.size()})), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, 8, ~uint64_t{0})), CXL2_ERR_INVALID_IMAGE);  // fat size
  EXPECT_EQ(result_of(patched(good, field(4), uint32_t{32})), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(4), ~uint32_t{0})), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(8), uint64_t{1} << 40)), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(8), ~uint64_t{0} - 8)), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(16), uint32_t{1} << 30)), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(56), uint64_t{1} << 40)), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(56), uint64_t{3})), CXL2_ERR_INVALID_IMAGE);
  EXPECT_EQ(result_of(patched(good, field(72), uint64_t{0xdeadbeefdeadbeef})),
            CXL2_ERR_INVALID_IMAGE);  // the compressed bytes
  // zstd flagged, no zstd frame
  EXPECT_EQ(result_of(patched(good, field(40), uint64_t{CUDA_FATBIN_FLAG_COMPRESSED_ZSTD})),
            CXL2_ERR_INVALID_IMAGE);
  // Every truncation of the container is refused: the last entry never fits.
  for (size_t n = 4; n < good.size(); ++n) {
    ASSERT_EQ(result_of(std::span(good).first(n)), CXL2_ERR_INVALID_IMAGE) << n << " bytes";
  }
}

// A real peer: kernels.cu as nvcc 13.0 packed it (src/ptx/testdata/README.md): PTX for
// compute_75 and compute_90, cubins for sm_80 and sm_90, every entry zstd-compressed by nvcc.
TEST(FatbinReader, ReadsNvccsOwnFatbin) {
  std::ifstream f(CXLSIM_PTX_TESTDATA "/kernels.nvcc.fatbin", std::ios::binary);
  const std::vector<char> file{std::istreambuf_iterator<char>(f), {}};
  ASSERT_GT(file.size(), 1000u);
  const auto image = std::as_bytes(std::span(file));
  module_image m{};  // the shim's sizing: header + fat size is the whole file
  ASSERT_EQ(module_image_locate(file.data(), file.size(), &m), CXL2_OK);
  EXPECT_EQ(m.kind, MODULE_IMAGE_FATBIN);
  EXPECT_EQ(m.size, file.size());
  const auto entries = fatbin_entries(image);
  ASSERT_EQ(entries.size(), 4u);
  int cubins = 0;
  for (const FatbinEntry& e : entries) {
    EXPECT_TRUE(e.flags & CUDA_FATBIN_FLAG_COMPRESSED_ZSTD);
    const std::vector<std::byte> payload = entry_payload(e);
    EXPECT_EQ(payload.size(), e.uncompressed_size);
    if (e.kind != CUDA_FATBIN_KIND_ELF) continue;
    ++cubins;
    // nvcc's cubin, inflated: the shim sizes it from its ELF tables to exactly its bytes
    module_image c{};
    ASSERT_EQ(module_image_locate(payload.data(), payload.size(), &c), CXL2_OK);
    EXPECT_EQ(c.kind, MODULE_IMAGE_CUBIN);
    EXPECT_EQ(c.size, payload.size()) << "sm_" << e.arch;
  }
  EXPECT_EQ(cubins, 2);
  const std::string sm75 = module_ptx(image, 75), sm90 = module_ptx(image, 90);
  EXPECT_NE(sm75.find(".target sm_75"), std::string::npos);
  EXPECT_NE(sm75.find(".entry vector_add"), std::string::npos);
  EXPECT_NE(sm90.find(".target sm_90"), std::string::npos);
  EXPECT_EQ(module_ptx(image, 86), sm75);  // compute_75 is the highest PTX <= sm_86
  EXPECT_EQ(result_of(image, 70), CXL2_ERR_NO_BINARY_FOR_GPU);
}

// Whatever follows a fatbin header, the reader answers with PTX or a CommandError.
RC_GTEST_PROP(FatbinReader, AnyBytesAreReadOrRefused, (const std::vector<uint8_t>& tail)) {
  std::vector<std::byte> image = fatbin({{CUDA_FATBIN_KIND_PTX, 70, ptx("x"), Pack::kLz4}});
  const size_t keep = *rc::gen::inRange<size_t>(16, image.size());
  image.resize(keep);
  for (const uint8_t b : tail) image.push_back(static_cast<std::byte>(b));
  if (image.size() > 16) {
    const size_t at = *rc::gen::inRange<size_t>(16, image.size());
    image[at] = static_cast<std::byte>(*rc::gen::arbitrary<uint8_t>());
  }
  const uint32_t r = result_of(image);
  RC_ASSERT(r == CXL2_OK || r == CXL2_ERR_INVALID_IMAGE || r == CXL2_ERR_NO_BINARY_FOR_GPU);
}

}  // namespace
}  // namespace cxlsim::accel
