// Runs a program under QEMU user mode with cxlsim's plugin (src/run_plugin) and feeds what the
// plugin sends to two predictions at once (docs/app_mode.md). The program keeps its standard
// input, output and error; its exit status (or the signal that ended it) is returned.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "frontend/app_model.h"
#include "timing/profile.h"

namespace cxlsim::frontend {

// The program's path: `name` itself when it has a '/', else the first match on $PATH. Throws
// ValidationError when it is missing, not executable, or not an x86-64 Linux ELF executable.
std::string resolve_program(const std::string& name);
// The first executable `name` on $PATH (or `name` itself when it has a '/'); empty if none.
std::string find_on_path(const std::string& name);

struct AppRunSetup {
  std::string qemu;               // qemu-x86_64 (7.2, with TCG plugin support)
  std::string plugin;             // cxlsim-run-plugin.so
  std::vector<std::string> argv;  // program (resolved) and its arguments
  timing::AppCoreConfig core;     // private caches the plugin filters with
  // Sampled simulation: the schedule (not enabled: every access observed) and the profile's
  // time per instruction, the clocks' rate until the model measured one.
  AppSampling sampling;
  double ps_per_insn = 0;
  // Called about every 200 ms with the simulated time each model reached (ns) and whether the
  // program still runs.
  std::function<void(double predicted_ns, double baseline_ns, bool running)> progress;
};

struct ProgramStatus {
  int exit_code = 0;  // when it exited
  int signal = 0;     // when a signal ended it (then exit_code is 128 + signal)
};

struct AppRunOutcome {
  ProgramStatus status;
  AppResult predicted, baseline;
};

// Throws ValidationError when QEMU cannot be started; the models' errors are rethrown after
// the program ended.
AppRunOutcome run_app(const AppRunSetup& s, AppModel& predicted, AppModel& baseline);

}  // namespace cxlsim::frontend
