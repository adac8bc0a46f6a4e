// cxlsim mlc: Intel MLC-style measurements on the timing model.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/back_invalidation_report.h"
#include "cli/commands.h"
#include "cli/plot.h"
#include "cli/pool_topology.h"
#include "cli/profile_options.h"
#include "frontend/mlc.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

struct MlcOptions {
  bool idle = false, max_bw = false, loaded = false;
  ProfileOptions profiles;
  std::string topology, target;
  std::string fm_state;  // --fm-state: a pool topology's bindings
  unsigned threads = 16;
  std::string rw = "1:0";
  bool random = false;
  uint64_t seed = 1;
  bool json = false, quiet = false;
  std::string plot, compare;
  double window_us = 500;
  std::vector<unsigned> delays;           // --inject-delays; empty: MLC's
  unsigned hosts = 1;                     // --hosts: hosts running the threads at once
  std::vector<std::string> host_targets;  // --host-target HOST=TARGET
  bool same_lines = false;                // --same-lines
};

// MLC's bandwidth mixes (--max-bandwidth).
struct Mix {
  const char* name;
  unsigned r, w;
};
constexpr Mix kMixes[] = {{"ALL Reads", 1, 0},
                          {"3:1 Reads-Writes", 3, 1},
                          {"2:1 Reads-Writes", 2, 1},
                          {"1:1 Reads-Writes", 1, 1},
                          {"Stream-triad like (NT writes)", 0, 1}};

frontend::MlcSetup with_mix(const frontend::MlcSetup& s, const Mix& m) {
  frontend::MlcSetup sm = s;
  sm.reads = m.r;
  sm.writes = m.w;
  sm.lines_per_delay = frontend::mlc_lines_per_delay(m.r, m.w);
  return sm;
}

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

// The hosts of a --hosts run: named by the topology's [[host]] entries when it has them (in
// order), else h0, h1, ...; each measures --target unless --host-target names its own.
struct HostPlan {
  std::vector<std::string> names, targets;
};

HostPlan plan_hosts(const MlcOptions& o, const Topology& topo) {
  HostPlan p;
  if (!topo.hosts.empty() && o.hosts > topo.hosts.size()) {
    throw ValidationError(
        fmt::format("--hosts {}: the topology names {} host(s)", o.hosts, topo.hosts.size()));
  }
  for (unsigned i = 0; i < o.hosts; ++i) {
    p.names.push_back(topo.hosts.empty() ? fmt::format("h{}", i) : topo.hosts[i].id);
    p.targets.push_back(o.target);
  }
  std::vector<bool> named(o.hosts, false);
  for (const std::string& spec : o.host_targets) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw ParseError(fmt::format("--host-target '{}': expected HOST=TARGET", spec));
    }
    const std::string name = spec.substr(0, eq);
    const auto it = std::find(p.names.begin(), p.names.end(), name);
    if (it == p.names.end()) {
      throw ValidationError(fmt::format("--host-target {}: no host '{}' (hosts: {})", spec, name,
                                        fmt::join(p.names, ", ")));
    }
    const auto i = static_cast<size_t>(it - p.names.begin());
    if (named[i]) throw ParseError(fmt::format("--host-target: host '{}' given twice", name));
    named[i] = true;
    p.targets[i] = spec.substr(eq + 1);
  }
  return p;
}

// A pool: each host measures the first LD bound to it unless its target names another of its
// LDs (ValidationError for a host with none, or a target that is not its own).
void plan_pool_targets(const MlcOptions& o, const WorkloadTopology& w, HostPlan& p) {
  if (o.hosts == 1) p.names = {w.topology.hosts.front().id};
  for (size_t i = 0; i < p.names.size(); ++i) {
    if (p.targets[i].empty()) {
      p.targets[i] = w.memdevs_of(p.names[i]).front();
    } else {
      w.check_target(p.names[i], p.targets[i]);
    }
  }
}

// A --hosts run: every host runs the threads at once; per-host results and their total, human
// (stdout) and in `j`.
class HostsRun {
 public:
  HostsRun(const MlcOptions& o, std::vector<frontend::MlcHost> hosts,
           const std::vector<std::string>& targets, std::string label, nlohmann::json& j)
      : o_(o), hosts_(std::move(hosts)), targets_(targets), label_(std::move(label)), j_(j) {
    if (!o_.same_lines) frontend::split_shared_ranges(hosts_);
    bi_.resize(hosts_.size());
    const Topology& t = hosts_.front().setup.topology;
    shared_ =
        std::any_of(t.type3.begin(), t.type3.end(), [](const Type3Spec& d) { return d.shared; });
    j_["hosts"] = nlohmann::json::array();
    for (size_t i = 0; i < hosts_.size(); ++i) {
      j_["hosts"].push_back(
          {{"name", hosts_[i].name},
           {"target", targets_[i].empty() ? nlohmann::json() : nlohmann::json(targets_[i])}});
    }
    if (!o_.json) {
      std::cout << fmt::format("{} hosts over one fabric ({}), {} load threads each\n",
                               hosts_.size(), label_, o_.threads);
    }
  }

  void idle() {
    const auto pts = frontend::run_point_hosts(with([](frontend::MlcSetup& h) { h.threads = 0; }),
                                               0, true, &bi_);
    if (!o_.json) std::cout << "Idle latency (ns)\n";
    for (size_t i = 0; i < pts.size(); ++i) {
      j_["hosts"][i]["idle_latency_ns"] = pts[i].latency_ns;
      if (!o_.json) {
        std::cout << fmt::format("  {:<22}: {:8.1f}\n", hosts_[i].name, pts[i].latency_ns);
      }
    }
  }

  void max_bandwidth() {
    if (!o_.json) {
      std::string heads;
      for (size_t i = 0; i < hosts_.size(); ++i) heads += fmt::format("{:>{}}", name(i), width());
      std::cout << fmt::format("Maximum bandwidth, MB/sec\n{:<32}{}{:>12}\n", "", heads, "Total");
    }
    for (const Mix& m : kMixes) {
      const auto pts = frontend::run_point_hosts(
          with([&](frontend::MlcSetup& h) { h = with_mix(h, m); }), 0, false, &bi_);
      double total = 0;
      std::string row;
      for (size_t i = 0; i < pts.size(); ++i) {
        j_["hosts"][i]["max_bandwidth_mbps"][m.name] = pts[i].bandwidth_mbps;
        total += pts[i].bandwidth_mbps;
        row += fmt::format("{:{}.1f}", pts[i].bandwidth_mbps, width());
      }
      j_["total"]["max_bandwidth_mbps"][m.name] = total;
      if (!o_.json) std::cout << fmt::format("{:<32}{}{:12.1f}\n", m.name, row, total);
    }
  }

  void loaded(const std::vector<unsigned>& delays) {
    const bool progress = show_progress(o_.quiet);
    std::vector<std::vector<frontend::MlcPoint>> curves(hosts_.size());
    // Per inject delay: the hosts' latency threads' mean latency and the summed bandwidth.
    std::vector<frontend::MlcPoint> totals;
    for (size_t d = 0; d < delays.size(); ++d) {
      if (progress) {
        std::cerr << fmt::format("\rcxlsim mlc: {}/{} inject delays", d, delays.size())
                  << std::flush;
      }
      const auto pts = frontend::run_point_hosts(hosts_, delays[d], true, &bi_);
      frontend::MlcPoint& t = totals.emplace_back();
      t.inject_delay = delays[d];
      for (size_t i = 0; i < pts.size(); ++i) {
        curves[i].push_back(pts[i]);
        t.bandwidth_mbps += pts[i].bandwidth_mbps;
        t.latency_ns += pts[i].latency_ns / static_cast<double>(pts.size());
      }
      j_["total"]["points"].push_back({{"inject_delay", t.inject_delay},
                                       {"latency_ns", t.latency_ns},
                                       {"bandwidth_mbps", t.bandwidth_mbps}});
    }
    if (progress) std::cerr << fmt::format("\rcxlsim mlc: {0}/{0} inject delays\n", delays.size());
    for (size_t i = 0; i < curves.size(); ++i) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& p : curves[i]) {
        arr.push_back({{"inject_delay", p.inject_delay},
                       {"latency_ns", p.latency_ns},
                       {"bandwidth_mbps", p.bandwidth_mbps}});
      }
      j_["hosts"][i]["points"] = arr;
    }
    if (!o_.json) print_loaded(delays, curves, totals);
    if (!o_.plot.empty()) plot(curves);
  }

  // With a shared HDM-DB memdev: each host's back-invalidation traffic over every run.
  void back_invalidation() {
    if (!shared_) return;
    if (!o_.json) std::cout << "Back-invalidation (shared HDM-DB memory, all runs):\n";
    for (size_t i = 0; i < hosts_.size(); ++i) {
      j_["hosts"][i]["back_invalidation"] = back_invalidation_json(bi_[i]);
      if (!o_.json) std::cout << "  " << back_invalidation_line(hosts_[i].name, bi_[i]) << "\n";
    }
  }

 private:
  // The hosts with `f` applied to each one's setup.
  std::vector<frontend::MlcHost> with(const std::function<void(frontend::MlcSetup&)>& f) const {
    std::vector<frontend::MlcHost> v = hosts_;
    for (auto& h : v) f(h.setup);
    return v;
  }
  [[nodiscard]] std::string name(size_t i) const {
    const char* dflt = hosts_[i].setup.topology.empty() ? "local DRAM" : "first region";
    return fmt::format("{} ({})", hosts_[i].name, targets_[i].empty() ? dflt : targets_[i]);
  }
  // Width of a host's column: its name and a margin, at least 16.
  [[nodiscard]] size_t width() const {
    size_t w = 16;
    for (size_t i = 0; i < hosts_.size(); ++i) w = std::max(w, name(i).size() + 2);
    return w;
  }

  void print_loaded(const std::vector<unsigned>& delays,
                    const std::vector<std::vector<frontend::MlcPoint>>& curves,
                    const std::vector<frontend::MlcPoint>& totals) const {
    std::cout << fmt::format(
        "Loaded latency, R:W {}{}: latency (ns) and bandwidth (MB/sec) per host\nInject", o_.rw,
        o_.random ? ", random" : "");
    for (const auto& h : hosts_) std::cout << fmt::format("\t{0} lat\t{0} bw", h.name);
    std::cout << "\tMean lat\tTotal bw\n";
    for (size_t d = 0; d < delays.size(); ++d) {
      std::cout << fmt::format(" {:05d}", delays[d]);
      for (const auto& c : curves) {
        std::cout << fmt::format("\t{:.2f}\t{:9.1f}", c[d].latency_ns, c[d].bandwidth_mbps);
      }
      std::cout << fmt::format("\t{:.2f}\t{:9.1f}\n", totals[d].latency_ns,
                               totals[d].bandwidth_mbps);
    }
  }

  void plot(const std::vector<std::vector<frontend::MlcPoint>>& curves) const {
    std::vector<PlotSeries> series;
    for (size_t i = 0; i < curves.size(); ++i) {
      PlotSeries p{name(i), {}, {}, true};
      for (const auto& pt : curves[i]) {
        p.x.push_back(pt.bandwidth_mbps / 1000.0);
        p.y.push_back(pt.latency_ns);
      }
      series.push_back(p);
    }
    write_plot(
        o_.plot,
        fmt::format("Loaded latency per host: {} (host {}), {} hosts x {} threads, R:W {}", label_,
                    hosts_.front().setup.host.name, hosts_.size(), o_.threads, o_.rw),
        "Bandwidth (GB/s)", "Latency (ns)", series);
  }

  const MlcOptions& o_;
  std::vector<frontend::MlcHost> hosts_;
  std::vector<timing::BackInvalidationStats> bi_;
  bool shared_ = false;
  const std::vector<std::string>& targets_;
  std::string label_;
  nlohmann::json& j_;
};

// MLC's inject delays unless --inject-delays gives them.
std::vector<unsigned> inject_delays(const MlcOptions& o) {
  const auto mlc = frontend::mlc_inject_delays();
  return o.delays.empty() ? std::vector<unsigned>(mlc.begin(), mlc.end()) : o.delays;
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
  if (o.hosts == 0 || o.hosts > 64) return fail("--hosts must be 1..64");
  if (!o.host_targets.empty() && o.topology.empty()) return fail("--host-target needs --topology");
  if (!o.host_targets.empty() && o.hosts < 2) return fail("--host-target needs --hosts 2 or more");
  if (o.same_lines && o.hosts < 2) return fail("--same-lines needs --hosts 2 or more");
  if (o.hosts > 1 && !o.compare.empty()) {
    return fail("--compare scores one host's curve against a log: not with --hosts");
  }
  if (!o.fm_state.empty() && o.topology.empty()) return fail("--fm-state needs --topology");
  const WorkloadTopology wt =
      o.topology.empty() ? WorkloadTopology{} : resolve_workload_topology(o.topology, o.fm_state);
  const Topology& topo = wt.topology;
  HostPlan plan = o.hosts > 1 ? plan_hosts(o, topo) : HostPlan{{}, {o.target}};
  if (wt.pool) plan_pool_targets(o, wt, plan);
  // A memdev target gets its own 1-way region instead of the defaults.
  bool noted = false;
  auto setup = [&, &host = host, &local = local, &device = device](const std::string& target) {
    if (o.topology.empty()) return frontend::setup_for_device(host, local, device);
    const auto regions = loaded.regions_for(topo);
    if (!noted && topo.find_type3(target) == nullptr && topo.find_type2(target) == nullptr) {
      loaded.note_default_regions(topo);
      noted = true;
    }
    return frontend::setup_for_topology(host, local, device, topo, target, regions);
  };
  // Host i's setup; errors name the host in a --hosts run.
  auto host_setup = [&](size_t i) {
    try {
      return setup(plan.targets[i]);
    } catch (const ValidationError& e) {
      if (o.hosts < 2) throw;
      throw ValidationError(fmt::format("host {}: {}", plan.names[i], e.what()));
    }
  };
  frontend::MlcSetup s = host_setup(0);
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
  // Every host's setup as the first's, on its own target.
  std::vector<frontend::MlcHost> hosts;
  for (size_t i = 0; o.hosts > 1 && i < plan.names.size(); ++i) {
    frontend::MlcSetup h = s;
    if (i > 0 && plan.targets[i] != plan.targets[0]) {
      const frontend::MlcSetup own = host_setup(i);
      h.regions = own.regions;
      h.range_base = own.range_base;
      h.range_size = own.range_size;
    }
    hosts.push_back(frontend::MlcHost{plan.names[i], h});
  }
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
  if (o.hosts > 1) {
    HostsRun h(o, hosts, plan.targets, label, j);
    if (o.idle) h.idle();
    if (o.max_bw) h.max_bandwidth();
    if (o.loaded) h.loaded(inject_delays(o));
    h.back_invalidation();
    if (o.json) std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (o.idle) {
    double lat = frontend::idle_latency_ns(s);
    j["idle_latency_ns"] = lat;
    if (!o.json) std::cout << fmt::format("Idle latency ({}): {:.1f} ns\n", label, lat);
  }
  if (o.max_bw) {
    if (!o.json) {
      std::cout << fmt::format("Maximum bandwidth ({}), {} threads, MB/sec\n", label, o.threads);
    }
    for (const auto& m : kMixes) {
      double bw = frontend::max_bandwidth_mbps(with_mix(s, m));
      j["max_bandwidth_mbps"][m.name] = bw;
      if (!o.json) std::cout << fmt::format("{:<32}: {:10.1f}\n", m.name, bw);
    }
  }
  if (o.loaded) {
    const std::vector<unsigned> delays = inject_delays(o);
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
  cmd->add_option("--fm-state", o->fm_state,
                  "With a pool topology ([[mld]]): the fabric manager's state directory (fm serve "
                  "--state DIR) or file; each host measures an LD bound to it, an LD of a shared "
                  "MLD bound to several hosts as shared HDM-DB memory");
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
  cmd->add_option("--hosts", o->hosts,
                  "Hosts running the threads at once over one fabric, each with its own root-port "
                  "links; switch downstream links and devices are shared (default 1; names: the "
                  "topology's [[host]] ids, else h0, h1, ...)");
  cmd->add_option("--host-target", o->host_targets,
                  "HOST=TARGET: what this host measures (as --target; repeatable; default "
                  "--target), e.g. h1=mem1");
  cmd->add_flag("--same-lines", o->same_lines,
                "With --hosts: hosts measuring the same target use the same lines (shared "
                "memory: on a `shared = true` device they meet in its coherence engine) instead "
                "of disjoint parts");
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
