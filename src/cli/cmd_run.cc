// cxlsim run: run an unmodified x86-64 program under QEMU user mode with cxlsim's plugin and
// predict its run time with its memory placed on the topology (docs/app_mode.md).
#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app_report.h"
#include "cli/commands.h"
#include "cli/profile_options.h"
#include "frontend/app_run.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

struct RunOptions {
  ProfileOptions profiles;
  std::string topology, placement = "all-cxl", plot, output, qemu = "qemu-x86_64", plugin;
  double epoch_us = 100;
  double sample = 1, sample_window_us = 20;
  bool json = false, quiet = false;
  std::vector<std::string> command;
};

// The plugin beside the cxlsim binary (the build tree and an installed tree alike).
std::string default_plugin() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "cxlsim-run-plugin.so";
  std::string dir(buf, static_cast<size_t>(n));
  dir = dir.substr(0, dir.rfind('/'));
  for (const char* rel : {"/cxlsim-run-plugin.so", "/../lib/cxlsim/cxlsim-run-plugin.so"}) {
    if (::access((dir + rel).c_str(), R_OK) == 0) return dir + rel;
  }
  return dir + "/cxlsim-run-plugin.so";
}

std::string signal_name(int sig) {
  const char* d = ::strsignal(sig);
  return fmt::format("signal {} ({})", sig, d ? d : "?");
}

struct Report {
  const RunOptions& o;
  const frontend::AppRunOutcome& r;
  std::string program;

  [[nodiscard]] nlohmann::json json() const {
    const AppReport a{r.predicted, r.baseline};
    nlohmann::json j;
    j["program"] = program;
    j["placement"] = o.placement;
    j.update(a.json());
    j["exit_status"] = r.status.exit_code;
    j["signal"] = r.status.signal;
    j["unobserved"] = {{"forked", r.predicted.forked}, {"execed", r.predicted.execed}};
    j["sampling"] = {{"fraction", o.sample},
                     {"window_us", o.sample_window_us},
                     {"sampled_instructions", r.predicted.sampled_instructions}};
    return j;
  }

  [[nodiscard]] std::string text() const {
    const auto& p = r.predicted;
    std::ostringstream s;
    s << fmt::format("cxlsim run: {} ({})\n", program, o.placement);
    if (r.status.signal) {
      s << fmt::format("Program killed by {}: the estimate covers the run up to then\n",
                       signal_name(r.status.signal));
    } else {
      s << fmt::format("Program exit status {}\n", r.status.exit_code);
    }
    if (p.forked) s << "Note: the program forked; its child processes ran unobserved\n";
    if (p.execed) s << "Note: the program called exec; the new program ran unobserved\n";
    if (o.sample < 1) {
      uint64_t insns = 0;
      for (const auto& t : p.threads) insns += t.instructions;
      s << fmt::format(
          "Sampled: {:.1f} % of the instructions ran between {} us detail windows (--sample {})\n",
          insns ? 100.0 * static_cast<double>(p.sampled_instructions) / static_cast<double>(insns)
                : 0.0,
          o.sample_window_us, o.sample);
    }
    s << AppReport{r.predicted, r.baseline}.text();
    return s.str();
  }
};

int run(const RunOptions& o) {
  if (o.command.empty()) {
    return fail("run needs a program: cxlsim run [OPTIONS] -- PROGRAM [ARGS...]");
  }
  if (!(o.epoch_us > 0)) return fail("--epoch-us must be positive");
  if (!(o.sample > 0 && o.sample <= 1)) return fail("--sample must lie in (0, 1]");
  if (!(o.sample_window_us > 0)) return fail("--sample-window-us must be positive");
  auto loaded = o.profiles.load();
  frontend::AppModelConfig c;
  o.profiles.configure(c, loaded, o.topology, o.placement, true);
  c.epoch = Duration::ns(o.epoch_us * 1000.0);
  c.sampling =
      frontend::AppSampling::of(o.sample, Duration::ns(o.sample_window_us * 1000.0).picoseconds());
  frontend::AppModelConfig base = c;
  base.placement = frontend::parse_placement("all-dram");
  frontend::AppModel predicted(c), baseline(base);

  frontend::AppRunSetup s;
  s.qemu = frontend::find_on_path(o.qemu);
  if (s.qemu.empty() || ::access(s.qemu.c_str(), X_OK) != 0) {
    return fail(fmt::format(
        "'{}' not found: cxlsim run needs QEMU user mode 7.2 (Debian: apt-get install qemu-user)",
        o.qemu));
  }
  s.plugin = o.plugin.empty() ? default_plugin() : o.plugin;
  if (::access(s.plugin.c_str(), R_OK) != 0) {
    return fail(fmt::format(
        "plugin '{}' not found (build the cxlsim_run_plugin target, or give --plugin)", s.plugin));
  }
  s.argv = o.command;
  s.argv[0] = frontend::resolve_program(o.command[0]);
  s.core = c.host.app;
  s.sampling = c.sampling;
  s.ps_per_insn = 1000.0 / c.host.app.insns_per_ns;
  const bool progress = show_progress(o.quiet);
  if (progress) {
    s.progress = [](double p, double b, bool running) {
      std::cerr << fmt::format("\rcxlsim run: {} simulated {:.3f} ms (baseline {:.3f} ms)   ",
                               running ? "program running," : "finishing model,", p / 1e6, b / 1e6)
                << std::flush;
    };
  }
  // Ctrl-C goes to the program (same process group); cxlsim waits for it and reports.
  std::signal(SIGINT, SIG_IGN);
  const auto r = frontend::run_app(s, predicted, baseline);
  std::signal(SIGINT, SIG_DFL);
  if (progress) std::cerr << "\r" << std::string(70, ' ') << "\r";
  Report rep{o, r, o.command[0]};
  const std::string text = o.json ? rep.json().dump(2) + "\n" : rep.text();
  if (!o.output.empty()) {
    std::ofstream f(o.output);
    if (!(f << text)) return fail(fmt::format("cannot write '{}'", o.output));
  } else if (o.json) {
    std::cout << text;
  } else {
    std::cerr << text;
  }
  if (!o.plot.empty()) {
    AppReport{r.predicted, r.baseline}.plot(
        o.plot, "cxlsim run: " + o.command[0] + " (" + o.placement + ")");
  }
  if (r.predicted.spilled_pages > 0 && (o.json || !o.output.empty())) {
    std::cerr << fmt::format(
        "cxlsim: warning: the CXL region is full: {} pages spilled to local DRAM\n",
        r.predicted.spilled_pages);
  }
  if (r.status.signal) {
    std::cerr << fmt::format("cxlsim: the program was killed by {}\n",
                             signal_name(r.status.signal));
  }
  return r.status.exit_code;
}

}  // namespace

void register_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand(
      "run",
      "Run an x86-64 program under QEMU and predict its run time with its memory on CXL "
      "(cxlsim run [OPTIONS] -- PROGRAM [ARGS...]; docs/app_mode.md)");
  o->profiles.add_to(*cmd);
  cmd->get_option("--host-cache")
      ->description(
          "The shared LLC below the cores' L2s: off, on or SIZE[:WAYS[:LATENCY]] (default: the "
          "host profile's "
          "[cache], on: spr-xeon 30M 15-way 33 ns)");
  cmd->add_option("--topology", o->topology,
                  "Topology: a file (TOML or QEMU command line), builtin:NAME or Newick (default "
                  "builtin:direct)");
  cmd->add_option(
      "--placement", o->placement,
      "all-dram | all-cxl | interleave:D:C | first-touch:BYTES (4 KiB pages at first touch; "
      "default all-cxl); CXL pages go to the first region, spilling to DRAM when it is full");
  cmd->add_option(
      "--epoch-us", o->epoch_us,
      "Width of the bandwidth time series' epochs in simulated microseconds (default 100)");
  cmd->add_option("--sample", o->sample,
                  "Fraction of simulated time run in detail (sampled simulation, "
                  "docs/app_mode.md#sampling; default 1: every access in detail)");
  cmd->add_option("--sample-window-us", o->sample_window_us,
                  "Length of one detail window in simulated microseconds (default 20)");
  cmd->add_option("--plot", o->plot,
                  "Write a PNG of bandwidth per memdev and DRAM over time (gnuplot)");
  cmd->add_option("--output", o->output,
                  "Write the report to FILE instead of stderr (stdout with --json)");
  cmd->add_option(
      "--qemu", o->qemu,
      "QEMU user-mode binary (default qemu-x86_64 on $PATH; QEMU 7.2 with plugin support)");
  cmd->add_option("--plugin", o->plugin,
                  "The cxlsim QEMU plugin (default: cxlsim-run-plugin.so beside cxlsim)");
  cmd->add_flag("--json", o->json, "JSON report on stdout (or --output)");
  cmd->add_flag("--quiet", o->quiet,
                "No progress on stderr (shown only when stderr is a terminal)");
  cmd->add_option("command", o->command, "-- PROGRAM [ARGS...]: the program and its arguments");
  // Errors reach main(), which gives them their exit status (cli/exit_status.h).
  cmd->callback([o] { finish(run(*o)); });
}

}  // namespace cxlsim::cli
