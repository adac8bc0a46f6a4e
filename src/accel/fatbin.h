/* The module images CUDA's cuModuleLoadData / cuModuleLoadDataEx / cuModuleLoadFatBinary accept,
 * defined once here, in C, for the libcuda shim (which sizes an image before sending it) and the
 * device server (which picks what its backend runs): PTX text, a cubin (an ELF64 file of
 * machine EM_CUDA, <elf.h>), a fatbin container, and the wrapper nvcc's host code passes to
 * __cudaRegisterFatBinary. All fields little-endian. NVIDIA does not publish the fatbin layout;
 * the fields below are as public reverse-engineered descriptions give them (each cited at its
 * field), and every one that sizes or locates data is checked by its reader.
 *
 * Sources (read, not copied):
 *  [LLVM]  clang/lib/CodeGen/CGCUDANV.cpp and llvm/lib/Frontend/Offloading/OffloadWrapper.cpp:
 *          the wrapper's layout { int magic; int version; void* fatbin; void* unused } and its
 *          magic CudaFatMagic, as clang emits them for __cudaRegisterFatBinary.
 *  [EIL]   n-eiling/cuda-fatbin-decompression, fatbin-decompress.h/.c (2023): the container
 *          header, the entry header field by field, the flags, and the LZ4-style compression.
 *  [JIE]   jiegec/fatbinary, fatbinary/src/lib.rs (a Rust reader and writer derived from [EIL]):
 *          options_offset, the name offset/length pair, version 0x0101.
 *  [NVO]   GrigoryEvko/nvopen-tools, fatbin/FORMAT_SPECIFICATION.md (from cuobjdump, CUDA
 *          11-13): the container's 16-bit header-size field is the first entry's offset,
 *          entries follow each other with no terminator, entry headers of 64/80/112 bytes,
 *          payloads padded to 8 bytes, zstd-compressed payloads flagged by bit 15 (0x8000). */
#ifndef CXLSIM_ACCEL_FATBIN_H
#define CXLSIM_ACCEL_FATBIN_H

#include <stdint.h>  // NOLINT(modernize-deprecated-headers): a C header too

/* ---- the fatbin container ---------------------------------------------------------------- */

#define CUDA_FATBIN_MAGIC 0xBA55ED50u /* [EIL] FATBIN_TEXT_MAGIC, [NVO] */
#define CUDA_FATBIN_VERSION 1u        /* [JIE] checks version == 1, [NVO] "version_low" */

/* The container header: the entries start header_size bytes in (16 in every known producer:
 * [NVO]) and run for fat_size bytes, so the whole container is header_size + fat_size bytes. */
struct cuda_fatbin_header {  // NOLINT(readability-identifier-naming): a C struct
  uint32_t magic;            /* CUDA_FATBIN_MAGIC */
  uint16_t version;          /* CUDA_FATBIN_VERSION */
  uint16_t header_size;      /* bytes of this header ([EIL] header_size; [NVO] "version_high") */
  uint64_t fat_size;         /* bytes of the entries after it ([EIL] size, [NVO] "header_size") */
};

/* One entry: a header of header_size bytes (at least the 64 below; PTX entries of newer nvcc
 * carry their ptxas options and a name after them, [JIE] [NVO]), then payload_size bytes of
 * payload (the image, padded to 8 bytes; when compressed, compressed_size bytes of it are the
 * compressed image, which inflates to uncompressed_size bytes). The next entry follows. */
enum cuda_fatbin_kind {
  CUDA_FATBIN_KIND_PTX = 1, /* PTX text ([EIL] [JIE] [NVO]) */
  CUDA_FATBIN_KIND_ELF = 2  /* a cubin: machine code for one sm arch */
};

struct cuda_fatbin_entry {  // NOLINT(readability-identifier-naming): a C struct
  uint16_t kind;            /* enum cuda_fatbin_kind */
  uint16_t version;         /* 0x0101 ([JIE] __unknown1, [NVO] unknown_02) */
  uint32_t header_size;     /* bytes from this header's start to the payload */
  uint64_t payload_size;    /* bytes of payload, padding included ([EIL] size) */
  uint32_t compressed_size; /* compressed bytes at the payload's start ([EIL]) */
  uint32_t options_offset;  /* from this header's start: u32 offset, u32 size of the ptxas
                               options ([JIE]); 0 when none */
  uint16_t minor;           /* the producer's version ([EIL] [JIE]) */
  uint16_t major;
  uint32_t arch;              /* sm arch * 10 + minor: 70 = sm_70 ([EIL] arch, [NVO] sm_arch) */
  uint32_t name_offset;       /* from this header's start: the object's name ([JIE]); 0: none */
  uint32_t name_size;         /* its bytes */
  uint64_t flags;             /* CUDA_FATBIN_FLAG_* */
  uint64_t reserved;          /* 0 ([JIE] zero) */
  uint64_t uncompressed_size; /* bytes once inflated; 0 when not compressed ([EIL]) */
};

/* Entry flags ([EIL] FATBIN_FLAG_*, [JIE] FATBINARY_FLAG_*; 0x8000 from [NVO]). */
#define CUDA_FATBIN_FLAG_64BIT 0x0001u
#define CUDA_FATBIN_FLAG_DEBUG 0x0002u
#define CUDA_FATBIN_FLAG_HOST_LINUX 0x0010u
/* LZ4's block format, no frame ([EIL]'s decoder: a token byte of literal length (high nibble)
 * and match length - 4 (low nibble), 255-continued lengths, a 2-byte little-endian offset;
 * nvcc -Xfatbin --compress-all, CUDA 11 and 12). */
#define CUDA_FATBIN_FLAG_COMPRESSED_LZ4 0x2000u
/* A zstd frame (RFC 8878; the payload starts with the frame magic 0xFD2FB528: [NVO], CUDA
 * 12.4 and later). */
#define CUDA_FATBIN_FLAG_COMPRESSED_ZSTD 0x8000u
#define CUDA_ZSTD_FRAME_MAGIC 0xFD2FB528u

/* ---- the wrapper nvcc's host code registers ---------------------------------------------- */

/* What the CUDA runtime's __cudaRegisterFatBinary receives from nvcc's (and clang's) host code:
 * a pointer to the fatbin container in `data` ([LLVM] CGCUDANV.cpp: the struct of magic,
 * version 1, the .nv_fatbin section's address, a null pointer). The driver API does not take
 * it: CUDA 13's cuModuleLoadData and cuModuleLoadFatBinary refuse it with
 * CUDA_ERROR_INVALID_IMAGE (checked on an H200, docs/accel.md); the shim recognizes it to do
 * the same. */
#define CUDA_FATBIN_WRAPPER_MAGIC 0x466243B1u
struct cuda_fatbin_wrapper {  // NOLINT(readability-identifier-naming): a C struct
  uint32_t magic;             /* CUDA_FATBIN_WRAPPER_MAGIC */
  uint32_t version;           /* 1 as clang emits it ([LLVM]); not checked */
  const void* data;           /* a struct cuda_fatbin_header */
  const void* filename_or_fatbins;
};

/* ---- cubins ------------------------------------------------------------------------------ */

/* A cubin is an ELF64 little-endian file (<elf.h>'s Elf64_Ehdr, Elf64_Shdr, Elf64_Phdr) of
 * machine EM_CUDA (190); its size is the end of the furthest of its section header table,
 * program header table, and sections and segments with file contents. */

#endif
