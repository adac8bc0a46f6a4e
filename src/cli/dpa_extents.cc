#include "cli/dpa_extents.h"

#include <fmt/format.h>

#include "spec/error.h"
#include "spec/units.h"

namespace cxlsim::cli {

std::vector<fm::DpaRange> parse_extents(const std::vector<std::string>& texts) {
  std::vector<fm::DpaRange> out;
  for (const auto& t : texts) {
    const auto colon = t.find(':');
    if (colon == std::string::npos) {
      throw ValidationError(fmt::format("extent '{}': expected DPA:LENGTH (e.g. 0:2M)", t));
    }
    out.push_back(
        {parse_bytes(t.substr(0, colon)).value(), parse_bytes(t.substr(colon + 1)).value()});
  }
  return out;
}

}  // namespace cxlsim::cli
