#include "cli/commands.h"
namespace cxlsim::cli {
void register_replay(CLI::App&) {}
}  // namespace cxlsim::cli
