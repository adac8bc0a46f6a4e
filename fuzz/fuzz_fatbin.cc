// libFuzzer harness for the module images a program hands the accelerator (docs/accel.md,
// src/accel/fatbin.h): the shim's sizing of an image in a buffer of the input's length
// (module_image_locate: it must never read past the buffer), then the device server's reader
// (fatbin_entries, every entry inflated, module_ptx for the device's arch). A malformed image must
// be refused with a CommandError (CUDA_ERROR_INVALID_IMAGE or NO_BINARY_FOR_GPU), never crash.
// Seeds: fatbins and a cubin made by tests/accel_programs/make_fatbin.
#include <cstddef>
#include <cstdint>
#include <span>

#include "accel/compute_backend.h"
#include "accel/fatbin_reader.h"
extern "C" {
#include "module_image.h"
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cxlsim::accel;
  module_image m{};
  (void)module_image_locate(data, size, &m);
  const auto image = std::as_bytes(std::span(data, size));
  try {
    if (image_kind(image) == ImageKind::kFatbin) {
      for (const FatbinEntry& e : fatbin_entries(image)) (void)entry_payload(e);
    }
  } catch (const CommandError&) {
  }
  try {
    (void)module_ptx(image, CXL2_DEVICE_SM_ARCH);
  } catch (const CommandError&) {
  }
  return 0;
}
