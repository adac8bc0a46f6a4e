// cxlsim mlc: Intel MLC-style measurements on the timing model.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/plot.h"
#include "cli/profile_options.h"
#include "frontend/mlc.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

struct MlcOptions {
  bool idle = false, max_bw = false, loaded = false;
  ProfileOptions profiles;
  std::string topology, target;
  unsigned threads = 16;
  std::string rw = "1:0";
  bool random = false;
  uint64_t seed = 1;
  bool json = false, quiet = false;
  std::string plot, compare;
  double window_us = 500;
  std::vector<unsigned> delays;  // --inject-delays; empty: MLC's
};

std::pair<unsigned, unsigned> parse_rw(const std::string& s) {
  unsigned r = 0, w = 0;
  char colon = 0;
  std::istringstream in(s);
  if (!(in >> r >> colon >> w) || colon != ':' || r + w == 0 || !in.eof()) {
    throw ParseError(fmt::format("invalid --rw '{}': expected R:W such as 3:1", s));
  }
  return {r, w};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(fmt::format("cannot read '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void print_table(const std::vector<frontend::MlcPoint>& pts) {
  std::cout << "Inject\tLatency\tBandwidth\nDelay\t(ns)\tMB/sec\n==========================\n";
  for (const auto& p : pts) {
    std::cout << fmt::format(" {:05d}\t{:.2f}\t{:9.1f}\n", p.inject_delay, p.latency_ns,
                             p.bandwidth_mbps);
  }
}

int run(const MlcOptions& o) {
  if (!o.idle && !o.max_bw && !o.loaded) {
    return fail("choose --idle-latency, --max-bandwidth or --loaded-latency");
  }
  auto loaded = o.profiles.load();
  auto& [host, local, device, region_specs, device_of, expanders] = loaded;
  if (!device_of.empty() && o.topology.empty()) return fail("--device-of needs --topology");
  if (!o.target.empty() && o.topology.empty()) return fail("--target needs --topology");
  if (!region_specs.empty() && o.topology.empty()) return fail("--region needs --topology");
  if (!o.topology.empty() && !device.cxl) {
    return fail(fmt::format("--device '{}' is local DRAM; with --topology use a CXL device profile",
                            device.name));
  }
  // Structured bindings are named through init-captures (clang 14 cannot capture them).
  auto setup = [&, &host = host, &local = local, &device = device] {
    if (o.topology.empty()) return frontend::setup_for_device(host, local, device);
    Topology topo = frontend::resolve_topology(o.topology);
    const auto regions = loaded.regions_for(topo);
    // A memdev --target gets its own 1-way region instead of the defaults.
    if (topo.find_type3(o.target) == nullptr && topo.find_type2(o.target) == nullptr) {
      loaded.note_default_regions(topo);
    }
    return frontend::setup_for_topology(host, local, device, topo, o.target, regions);
  };
  frontend::MlcSetup s = setup();
  if (!device_of.empty()) loaded.check_ids(s.topology);
  loaded.tune_expanders(s.topology);
  if (!device_of.empty()) s.device_for = loaded.device_for();
  if (o.threads == 0 || o.threads > 256) return fail("--threads must be 1..256");
  if (!o.compare.empty() && !o.loaded) {
    return fail(
        "--compare scores a loaded-latency curve against an MLC --loaded_latency log: add "
        "--loaded-latency");
  }
  s.threads = o.threads;
  auto [r, w] = parse_rw(o.rw);
  s.reads = r;
  s.writes = w;
  s.random = o.random;
  s.lines_per_delay = frontend::mlc_lines_per_delay(r, w);
  s.seed = o.seed;
  // Checked before conversion: NaN, infinities and huge values are refused, not converted.
  if (!(o.window_us > 0 && o.window_us <= 1e6)) {
    return fail(
        fmt::format("--window-us {} is out of range (0, 1000000] microseconds", o.window_us));
  }
  s.window = Duration::ns(o.window_us * 1000.0);
  nlohmann::json j;
  j["device"] = device.name;
  // What the output names: --device, and each --device-of override after it.
  std::string label = device.name;
  for (const auto& [id, p] : device_of) {
    label += fmt::format(", {}: {}", id, p.name);
    j["device_of"][id] = p.name;
  }
  if (!o.topology.empty()) j["topology"] = o.topology;
  j["host"] = host.name;
  if (host.cache.enabled) {
    j["host_cache"] = timing::describe(host.cache);
    if (!o.json) std::cout << fmt::format("Host cache: {}\n", timing::describe(host.cache));
  }
  j["threads"] = o.threads;
  j["rw"] = o.rw;
  j["random"] = o.random;
  if (o.idle) {
    double lat = frontend::idle_latency_ns(s);
    j["idle_latency_ns"] = lat;
    if (!o.json) std::cout << fmt::format("Idle latency ({}): {:.1f} ns\n", label, lat);
  }
  if (o.max_bw) {
    struct Mix {
      const char* name;
      unsigned r, w;
    };
    const Mix mixes[] = {{"ALL Reads", 1, 0},
                         {"3:1 Reads-Writes", 3, 1},
                         {"2:1 Reads-Writes", 2, 1},
                         {"1:1 Reads-Writes", 1, 1},
                         {"Stream-triad like (NT writes)", 0, 1}};
    if (!o.json) {
      std::cout << fmt::format("Maximum bandwidth ({}), {} threads, MB/sec\n", label, o.threads);
    }
    for (const auto& m : mixes) {
      frontend::MlcSetup sm = s;
      sm.reads = m.r;
      sm.writes = m.w;
      sm.lines_per_delay = frontend::mlc_lines_per_delay(m.r, m.w);
      double bw = frontend::max_bandwidth_mbps(sm);
      j["max_bandwidth_mbps"][m.name] = bw;
      if (!o.json) std::cout << fmt::format("{:<32}: {:10.1f}\n", m.name, bw);
    }
  }
  if (o.loaded) {
    const auto mlc_delays = frontend::mlc_inject_delays();
    const std::vector<unsigned> delays =
        o.delays.empty() ? std::vector<unsigned>(mlc_delays.begin(), mlc_delays.end()) : o.delays;
    std::vector<frontend::MlcPoint> meas;
    frontend::CompareCheck check;
    if (!o.compare.empty()) {
      const std::string text = read_file(o.compare);
      meas = frontend::parse_mlc_log(text, o.compare);
      check =
          frontend::check_comparable(s, delays, frontend::parse_mlc_header(text, o.compare), meas);
      if (!check.errors.empty()) {
        std::string why;
        for (const auto& e : check.errors) why += "\n  " + e;
        return fail(fmt::format("cannot compare with {}:{}", o.compare, why));
      }
      for (const auto& warn : check.warnings) {
        std::cerr << fmt::format("cxlsim: warning: --compare {}: {}\n", o.compare, warn);
      }
    }
    const bool progress = show_progress(o.quiet);
    auto pts = frontend::loaded_latency(s, delays, [&](size_t i, size_t n) {
      if (progress && n > 0) {
        std::cerr << fmt::format("\rcxlsim mlc: {}/{} inject delays", i, n) << (i == n ? "\n" : "")
                  << std::flush;
      }
    });
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : pts) {
      arr.push_back({{"inject_delay", p.inject_delay},
                     {"latency_ns", p.latency_ns},
                     {"bandwidth_mbps", p.bandwidth_mbps}});
    }
    j["points"] = arr;
    if (!o.compare.empty()) {
      auto e = frontend::compare_curves(pts, meas);
      j["compare"] = {{"log", o.compare},
                      {"latency_mae_pct", e.latency_mae_pct},
                      {"peak_bw_err_pct", e.peak_bw_err_pct},
                      {"idle_err_pct", std::isnan(e.idle_err_pct) ? nlohmann::json()
                                                                  : nlohmann::json(e.idle_err_pct)},
                      {"same_delay_mae_pct", e.same_delay_mae_pct},
                      {"warnings", check.warnings}};
    }
    if (!o.json) {
      std::cout << fmt::format("Loaded latency ({}), {} load threads, R:W {}{}\n", label, o.threads,
                               o.rw, o.random ? ", random" : "");
      print_table(pts);
      if (j.contains("compare")) {
        const auto& c = j["compare"];
        std::cout << fmt::format(
            "vs {}: latency MAE at equal bandwidth {:.2f} %, peak bandwidth {:+.2f} %, idle "
            "latency {}\n",
            o.compare, c["latency_mae_pct"].get<double>(), c["peak_bw_err_pct"].get<double>(),
            c["idle_err_pct"].is_null()
                ? std::string("not compared (the log's lightest inject delay was not simulated)")
                : fmt::format("{:+.2f} %", c["idle_err_pct"].get<double>()));
      }
    }
    if (!o.plot.empty()) {
      std::vector<PlotSeries> series;
      PlotSeries sim{"cxlsim " + label, {}, {}, true};
      for (const auto& p : pts) {
        sim.x.push_back(p.bandwidth_mbps / 1000.0);
        sim.y.push_back(p.latency_ns);
      }
      series.push_back(sim);
      if (!meas.empty()) {
        PlotSeries m{"measured " + o.compare.substr(o.compare.find_last_of('/') + 1), {}, {}, true};
        for (const auto& p : meas) {
          m.x.push_back(p.bandwidth_mbps / 1000.0);
          m.y.push_back(p.latency_ns);
        }
        series.push_back(m);
      }
      std::string title = fmt::format("Loaded latency: {} (host {}), {} threads, R:W {}{}", label,
                                      host.name, o.threads, o.rw, o.random ? ", random" : "");
      if (j.contains("compare")) {
        title += fmt::format(" - MAE {:.2f} %, peak {:+.2f} %",
                             j["compare"]["latency_mae_pct"].get<double>(),
                             j["compare"]["peak_bw_err_pct"].get<double>());
        if (!j["compare"]["idle_err_pct"].is_null()) {
          title += fmt::format(", idle {:+.2f} %", j["compare"]["idle_err_pct"].get<double>());
        }
      }
      write_plot(o.plot, title, "Bandwidth (GB/s)", "Latency (ns)", series);
    }
  }
  if (o.json) std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

void register_mlc(CLI::App& app) {
  auto o = std::make_shared<MlcOptions>();
  auto* cmd = app.add_subcommand(
      "mlc", "Intel MLC-style latency/bandwidth measurements on the timing model");
  cmd->add_flag("--idle-latency", o->idle, "Latency of dependent loads on an idle system");
  cmd->add_flag("--max-bandwidth", o->max_bw,
                "Peak bandwidth for reads, 3:1, 2:1, 1:1 and non-temporal writes");
  cmd->add_flag("--loaded-latency", o->loaded,
                "Latency of a pointer chaser under N load threads, inject delays 0..20000");
  cmd->add_option("--topology", o->topology,
                  "Topology (builtin:NAME, TOML, QEMU command line, Newick); every memdev runs "
                  "--device unless --device-of names it");
  cmd->add_option(
      "--target", o->target,
      "Region (regionN), CFMWS window id or memdev to measure (default: the first region)");
  o->profiles.add_to(*cmd);
  cmd->add_option("--threads", o->threads, "Load threads (default 16)");
  cmd->add_option("--rw", o->rw, "Reads:writes of the load threads, e.g. 3:1 (default 1:0)");
  cmd->add_flag("--random", o->random, "Random instead of sequential access");
  cmd->add_option("--seed", o->seed, "Seed for addresses (default 1)");
  cmd->add_option("--window-us", o->window_us,
                  "Measured simulated time per point in microseconds (default 500)");
  cmd->add_option("--inject-delays", o->delays,
                  "Inject delays of --loaded-latency, e.g. 0,100,1000 (default MLC's 0..20000)")
      ->delimiter(',')
      ->type_name("D,D,...")
      ->check(CLI::Range(0u, 1000000u).description(""));
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_option("--plot", o->plot, "Write a PNG plot of the loaded-latency curve (gnuplot)");
  cmd->add_option(
      "--compare", o->compare,
      "Measured MLC --loaded_latency log to overlay and score against (needs --loaded-latency; "
      "refused when its -W mix or -U differ from the run, warned when its -k threads do)");
  cmd->add_flag("--quiet", o->quiet,
                "No progress on stderr (shown only when stderr is a terminal)");
  // Errors reach main(), which gives them their exit status (cli/exit_status.h).
  cmd->callback([o] { finish(run(*o)); });
}

}  // namespace cxlsim::cli
