// libFuzzer harness: the Newick topology reader, then validation.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "fabric/newick.h"
#include "fabric/topology_validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto t =
        cxlsim::parse_newick(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)cxlsim::validate(t);
  } catch (const std::exception&) {
  }
  return 0;
}
