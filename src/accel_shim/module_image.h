/* The extent of a module image a program hands the shim (cuModuleLoadData, cuModuleLoadDataEx,
 * cuModuleLoadFatBinary, cuModuleLoad's file): where it starts and how many bytes it has, from
 * its own headers (src/accel/fatbin.h has the formats), so the shim sends the whole image and
 * never takes strlen of a binary. The device server picks from it what its backend runs. */
#ifndef CXLSIM_ACCEL_SHIM_MODULE_IMAGE_H
#define CXLSIM_ACCEL_SHIM_MODULE_IMAGE_H

#include <stddef.h>  // NOLINT(modernize-deprecated-headers): a C header too

#include "accel/gpu_interface.h"

enum module_image_kind {  // NOLINT(readability-identifier-naming): a C enum
  MODULE_IMAGE_PTX,
  MODULE_IMAGE_CUBIN,
  MODULE_IMAGE_FATBIN
};

struct module_image {  // NOLINT(readability-identifier-naming): a C struct
  const void* data;    /* the image's first byte */
  size_t size;         /* its bytes: PTX strlen + 1, a cubin's ELF extent, a fatbin's header +
                          fat size; may exceed the limit (the caller refuses it then) */
  enum module_image_kind kind;
};

/* Sizes the image at `image`, of which at most `limit` bytes may be read (a file's size, or
 * the most the device takes for an image in memory). nvcc's wrapper (CUDA_FATBIN_WRAPPER_MAGIC)
 * is not an image: CUDA 13's driver refuses it in cuModuleLoadData and cuModuleLoadFatBinary
 * with CUDA_ERROR_INVALID_IMAGE (checked on an H200, docs/accel.md), and so does the shim. An
 * image in memory is trusted to hold the bytes its headers name (as CUDA's own loader does); only
 * what lies within `limit` is read. Returns a CUresult value (gpu_interface.h's cxl2_result):
 * CXL2_OK, or CXL2_ERR_INVALID_IMAGE for a malformed header (an ELF that is not a
 * little-endian ELF64, sizes that overflow, a wrapper). */
enum cxl2_result module_image_locate(const void* image, size_t limit, struct module_image* out);

#endif
