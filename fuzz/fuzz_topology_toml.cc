// libFuzzer harness: cxlsim's TOML topology reader, then validation of what it accepted.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto t = cxlsim::parse_topology_toml(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)cxlsim::validate(t);
  } catch (const std::exception&) {  // ParseError/ValidationError: refused input is fine
  }
  return 0;
}
