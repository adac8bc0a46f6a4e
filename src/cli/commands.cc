#include "cli/commands.h"

#include <iostream>

namespace cxlsim::cli {

int fail(const std::string& message, int status) {
  std::cerr << "cxlsim: error: " << message << "\n";
  return status;
}

}  // namespace cxlsim::cli
