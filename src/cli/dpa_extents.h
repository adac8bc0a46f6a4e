// The `--extent DPA:LENGTH` arguments of `fm dc-add|dc-release` and `vm dc-add|dc-release`,
// parsed in one place.
#pragma once

#include <string>
#include <vector>

#include "fm/pool.h"

namespace cxlsim::cli {

// "0:2M", "0x10000000:256M" -> {dpa, length}; throws ValidationError naming the text otherwise.
std::vector<fm::DpaRange> parse_extents(const std::vector<std::string>& texts);

}  // namespace cxlsim::cli
