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

#include "cli/commands.h"
#include "cli/plot.h"
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

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

std::string signal_name(int sig) {
  const char* d = ::strsignal(sig);
  return fmt::format("signal {} ({})", sig, d ? d : "?");
}

struct Report {
  const RunOptions& o;
  const frontend::AppRunOutcome& r;
  std::string program;

  [[nodiscard]] const frontend::AppThreadResult* baseline_of(uint32_t thread) const {
    for (const auto& t : r.baseline.threads) {
      if (t.thread == thread) return &t;
    }
    return nullptr;
  }
  [[nodiscard]] uint64_t instructions() const {
    uint64_t n = 0;
    for (const auto& t : r.predicted.threads) n += t.instructions;
    return n;
  }
  [[nodiscard]] uint64_t accesses() const {
    uint64_t n = 0;
    for (const auto& t : r.predicted.threads) n += t.accesses;
    return n;
  }
  // Bandwidth of target `t` in epoch `e`, GB/s.
  [[nodiscard]] double gbps(size_t e, size_t t) const {
    return static_cast<double>(r.predicted.epoch_bytes[e][t]) / r.predicted.epoch_ns;
  }

  [[nodiscard]] nlohmann::json json() const {
    const auto& p = r.predicted;
    nlohmann::json j;
    j["program"] = program;
    j["placement"] = o.placement;
    j["predicted_ns"] = p.predicted_ns;
    j["baseline_ns"] = r.baseline.predicted_ns;
    j["slowdown"] = ratio(p.predicted_ns, r.baseline.predicted_ns);
    j["instructions"] = instructions();
    j["memory_accesses"] = accesses();
    j["llc_misses"] = p.llc_misses;
    j["llc_hits"] = p.llc_hits;
    j["llc_hit_rate"] =
        ratio(static_cast<double>(p.llc_hits), static_cast<double>(p.llc_hits + p.llc_misses));
    j["exit_status"] = r.status.exit_code;
    j["signal"] = r.status.signal;
    j["pages"] = {
        {"dram", p.dram_pages}, {"cxl", p.cxl_pages}, {"spilled_to_dram", p.spilled_pages}};
    j["latency_ns"] = {{"mean", p.latency.mean()},        {"p50", p.latency.quantile(0.5)},
                       {"p99", p.latency.quantile(0.99)}, {"p999", p.latency.quantile(0.999)},
                       {"max", p.latency.max()},          {"count", p.latency.count()}};
    j["prefetches"] = p.prefetches;
    j["unobserved"] = {{"forked", p.forked}, {"execed", p.execed}};
    nlohmann::json th = nlohmann::json::array();
    for (const auto& t : p.threads) {
      const auto* b = baseline_of(t.thread);
      const double bns = b ? b->end_ns - b->start_ns : 0.0;
      th.push_back({{"thread", t.thread},
                    {"predicted_ns", t.end_ns - t.start_ns},
                    {"baseline_ns", bns},
                    {"slowdown", ratio(t.end_ns - t.start_ns, bns)},
                    {"start_ns", t.start_ns},
                    {"instructions", t.instructions},
                    {"memory_accesses", t.accesses},
                    {"l2_misses", t.reads + t.ownership},
                    {"l2_writebacks", t.writebacks},
                    {"stall_ns", t.stall_ns}});
    }
    j["threads"] = th;
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& t : p.targets) {
      nlohmann::json d{{"name", t.name},
                       {"requests", t.reads + t.writes},
                       {"reads", t.reads},
                       {"writes", t.writes},
                       {"bytes", (t.reads + t.writes) * 64}};
      if (t.cxl) {
        devs.push_back(d);
      } else {
        j["dram"] = d;
      }
    }
    j["memdevs"] = devs;
    nlohmann::json ep = nlohmann::json::array();
    for (size_t e = 0; e < p.epoch_bytes.size(); ++e) {
      nlohmann::json m = nlohmann::json::object();
      for (size_t t = 1; t < p.targets.size(); ++t) m[p.targets[t].name] = gbps(e, t);
      ep.push_back({{"start_us", static_cast<double>(e) * p.epoch_ns / 1000.0},
                    {"dram_gbps", gbps(e, 0)},
                    {"memdev_gbps", m}});
    }
    j["epoch_us"] = p.epoch_ns / 1000.0;
    j["epochs"] = ep;
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
    s << fmt::format("Predicted {:.3f} ms, all-DRAM baseline {:.3f} ms, slowdown {:.3f}x\n",
                     p.predicted_ns / 1e6, r.baseline.predicted_ns / 1e6,
                     ratio(p.predicted_ns, r.baseline.predicted_ns));
    s << fmt::format(
        "Instructions {}, memory accesses {}, LLC {} hits / {} misses ({:.1f} % hit rate)\n",
        instructions(), accesses(), p.llc_hits, p.llc_misses,
        100.0 *
            ratio(static_cast<double>(p.llc_hits), static_cast<double>(p.llc_hits + p.llc_misses)));
    s << fmt::format(
        "Pages: {} in local DRAM, {} in CXL memory (4 KiB){}\n", p.dram_pages, p.cxl_pages,
        p.spilled_pages
            ? fmt::format("; {} spilled to DRAM: the CXL region is full", p.spilled_pages)
            : "");
    s << fmt::format(
        "Load latency below L2 ns: mean {:.1f}  p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}\n",
        p.latency.mean(), p.latency.quantile(0.5), p.latency.quantile(0.99),
        p.latency.quantile(0.999), p.latency.max());
    s << fmt::format("\n{:<8} {:>14} {:>14} {:>9} {:>14} {:>12}\n", "Thread", "Predicted ms",
                     "Baseline ms", "Slowdown", "Instructions", "L2 misses");
    for (const auto& t : p.threads) {
      const auto* b = baseline_of(t.thread);
      const double pn = t.end_ns - t.start_ns, bn = b ? b->end_ns - b->start_ns : 0.0;
      s << fmt::format("{:<8} {:>14.3f} {:>14.3f} {:>9.3f} {:>14} {:>12}\n", t.thread, pn / 1e6,
                       bn / 1e6, ratio(pn, bn), t.instructions, t.reads + t.ownership);
    }
    s << fmt::format("\n{:<24} {:>12} {:>12} {:>14} {:>10}\n", "Memory", "Reads", "Writes", "Bytes",
                     "GB/s");
    for (const auto& t : p.targets) {
      const uint64_t n = t.reads + t.writes;
      s << fmt::format("{:<24} {:>12} {:>12} {:>14} {:>10.2f}\n", t.name, t.reads, t.writes, n * 64,
                       ratio(static_cast<double>(n * 64), p.predicted_ns));
    }
    return s.str();
  }
};

void plot(const RunOptions& o, const frontend::AppResult& p, const std::string& program) {
  std::vector<PlotSeries> series;
  for (size_t t = 0; t < p.targets.size(); ++t) {
    PlotSeries s{p.targets[t].name, {}, {}, false};
    for (size_t e = 0; e < p.epoch_bytes.size(); ++e) {
      s.x.push_back((static_cast<double>(e) + 0.5) * p.epoch_ns / 1000.0);
      s.y.push_back(static_cast<double>(p.epoch_bytes[e][t]) / p.epoch_ns);
    }
    series.push_back(std::move(s));
  }
  write_plot(o.plot, "cxlsim run: " + program + " (" + o.placement + ")", "Simulated time (us)",
             "Bandwidth (GB/s)", series);
}

int run(const RunOptions& o) {
  if (o.command.empty()) {
    return fail("run needs a program: cxlsim run [OPTIONS] -- PROGRAM [ARGS...]");
  }
  if (!(o.epoch_us > 0)) return fail("--epoch-us must be positive");
  auto loaded = o.profiles.load();
  auto& [host, local, dev, region_specs, device_of] = loaded;
  if (!dev.cxl) {
    return fail(fmt::format("--device '{}' is a local DRAM profile; use --local for that",
                            o.profiles.device));
  }
  // The LLC is part of a run's host unless --host-cache says otherwise.
  if (o.profiles.host_cache.empty() && host.cache.size.value() > 0) host.cache.enabled = true;
  frontend::AppModelConfig c;
  c.host = host;
  c.local_dram = local;
  c.topology = frontend::resolve_topology(o.topology.empty() ? "builtin:direct" : o.topology);
  c.regions = loaded.regions_for(c.topology);
  loaded.note_default_regions(c.topology);
  loaded.check_ids(c.topology);
  c.device_for = loaded.device_for();
  c.placement = frontend::parse_placement(o.placement);
  c.epoch = Duration::ns(o.epoch_us * 1000.0);
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
  s.core = host.app;
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
  if (!o.plot.empty()) plot(o, r.predicted, o.command[0]);
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
