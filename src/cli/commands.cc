#include "cli/commands.h"

#include <unistd.h>

#include <iostream>

namespace cxlsim::cli {

int fail(const std::string& message, int status) {
  std::cerr << "cxlsim: error: " << message << "\n";
  return status;
}

bool show_progress(bool quiet) { return !quiet && isatty(STDERR_FILENO) == 1; }

}  // namespace cxlsim::cli
