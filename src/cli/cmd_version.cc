#include <iostream>

#include "cli/commands.h"

namespace cxlsim::cli {

void register_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print cxlsim's version");
  cmd->callback([] { std::cout << "cxlsim 0.1.0\n"; });
}

}  // namespace cxlsim::cli
