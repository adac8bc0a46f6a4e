// Each subcommand family registers itself on the root CLI::App. main.cc only wires them.
// A handler returns the process exit status (cli/exit_status.h): 0 success, 1 a failed operation
// or check, 2 bad input, 70 an internal fault.
#pragma once

#include <CLI/CLI.hpp>

namespace cxlsim::cli {

// One line per family; each is defined in its own cmd_<family>.cc.
void register_version(CLI::App& app);
void register_topology(CLI::App& app);  // cmd_topology.cc
void register_mbox(CLI::App& app);      // cmd_mbox.cc
void register_vm(CLI::App& app);
void register_mlc(CLI::App& app);
void register_replay(CLI::App& app);
void register_run(CLI::App& app);        // cmd_run.cc
void register_list(CLI::App& app);       // cmd_list.cc
void register_decode(CLI::App& app);     // cmd_decode.cc
void register_map(CLI::App& app);        // cmd_map.cc
void register_regs(CLI::App& app);       // cmd_regs.cc
void register_coherence(CLI::App& app);  // cmd_coherence.cc
void register_accel(CLI::App& app);      // cmd_accel.cc
void register_fm(CLI::App& app);         // cmd_fm.cc

// Thrown from a subcommand callback to end the process with a non-zero status; main() catches
// it. Use finish(status) rather than throwing by hand.
struct ExitStatus {
  int status;
};
inline void finish(int status) {
  if (status != 0) throw ExitStatus{status};
}

// Called by every command's error path: prints "cxlsim: error: <message>" on stderr.
int fail(const std::string& message, int status = 2);

// Progress lines redraw themselves with '\r': only where a person watches stderr (a terminal),
// never into logs and pipes, and not with --quiet.
bool show_progress(bool quiet);

}  // namespace cxlsim::cli
