// cxlsim: wiring only. Subcommands live in cmd_*.cc and register themselves here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_status.h"

namespace {

// Backing files are mapped: a write to a sparse page on a full filesystem (or to a file
// another process truncated) faults with SIGBUS. Say what happened instead of dying silently.
extern "C" void on_sigbus(int /*sig*/) {
  static constexpr char kMsg[] =
      "cxlsim: error: a memory-mapped backing file could not be written or read (SIGBUS): its "
      "filesystem is full, or the file was truncated; the command's effect is lost\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  ::_exit(1);
}

void register_commands(CLI::App& app) {
  app.require_subcommand(1);
  app.set_version_flag("--version", "cxlsim 0.1.0");
  cxlsim::cli::register_version(app);
  cxlsim::cli::register_topology(app);
  cxlsim::cli::register_mbox(app);
  cxlsim::cli::register_vm(app);
  cxlsim::cli::register_mlc(app);
  cxlsim::cli::register_replay(app);
  cxlsim::cli::register_run(app);
  cxlsim::cli::register_list(app);
  cxlsim::cli::register_decode(app);
  cxlsim::cli::register_map(app);
  cxlsim::cli::register_regs(app);
  cxlsim::cli::register_coherence(app);
  cxlsim::cli::register_accel(app);
  cxlsim::cli::register_fm(app);
}
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_sigbus;
  sigaction(SIGBUS, &sa, nullptr);
  // Everything, registration included, runs inside the try: no exception leaves main.
  try {
    CLI::App app{"cxlsim: a software platform for Compute Express Link (CXL)"};
    register_commands(app);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // --help and --version end with status 0; every usage error is bad input (exit_status.h).
      const int status = app.exit(e);
      return status == 0 ? 0 : cxlsim::cli::kExitBadInput;
    }
  } catch (const cxlsim::cli::ExitStatus& s) {
    return s.status;
  } catch (...) {
    const auto r = cxlsim::cli::classify(std::current_exception());
    return cxlsim::cli::fail(r.message, r.status);
  }
  return 0;
}
