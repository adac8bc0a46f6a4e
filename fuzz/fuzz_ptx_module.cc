// libFuzzer harness for the PTX loader: any input is either loaded or refused with a LoadError.
// Anything else (a crash, a sanitizer report, another exception) is a bug. Seeds: nvcc's PTX of
// the test kernels (docs/ptx.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ptx/module.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto module = cxlsim::ptx::Module::load(text);
    (void)module.kernels();
  } catch (const cxlsim::ptx::LoadError&) {
  }
  return 0;
}
