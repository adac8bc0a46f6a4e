// cxlsim replay: stream a memory trace through the timing model. By default (--model app) on
// `cxlsim run`'s front end (frontend/app_replay.h: private caches, core model, LLC, prefetcher,
// compute time, all-DRAM baseline); --model requests keeps the older path (frontend/replay.h:
// one requester, timestamps, per-component statistics).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/app_report.h"
#include "cli/back_invalidation_report.h"
#include "cli/commands.h"
#include "cli/plot.h"
#include "cli/pool_topology.h"
#include "cli/profile_options.h"
#include "cli/region_spec.h"
#include "frontend/app_replay.h"
#include "frontend/replay.h"
#include "frontend/topology_arg.h"

namespace cxlsim::cli {
namespace {

struct ReplayOptions {
  std::string trace;
  ProfileOptions profiles;
  std::string topology, placement = "all-cxl", plot, model = "app";
  unsigned outstanding = 16;
  double epoch_us = 100;
  bool json = false, quiet = false, private_caches = false, same_lines = false;
  bool outstanding_set = false;
  std::string in, out;
  std::vector<std::string> host_traces;   // --host-trace HOST=FILE
  std::vector<std::string> host_regions;  // --host-region HOST=SPEC
  std::string fm_state;                   // --fm-state: a pool topology's bindings
};

std::function<void(uint64_t, uint64_t)> progress_bar(bool quiet) {
  if (!show_progress(quiet)) return {};
  return [](uint64_t done, uint64_t total) {
    if (total == 0) return;
    const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const auto bar = static_cast<size_t>(f * 30.0);
    std::cerr << fmt::format("\rcxlsim replay [{}{}] {:3.0f} %", std::string(bar, '#'),
                             std::string(30 - bar, '.'), 100.0 * f)
              << std::flush;
  };
}

void warn_spilled(uint64_t pages) {
  if (pages == 0) return;
  std::cerr << fmt::format(
      "cxlsim: warning: the CXL region is full: {} pages ({}) spilled to local DRAM\n", pages,
      format_bytes(Bytes(pages * 4096)));
}

// --model app: run's front end and report (docs/app_mode.md), plus the trace's own counts.
int run_app(const ReplayOptions& o) {
  if (o.private_caches || o.outstanding_set) {
    return fail(
        "--private-caches and --max-outstanding belong to --model requests (the app model always "
        "has private caches; its core sets what is in flight)");
  }
  if (!(o.epoch_us > 0)) return fail("--epoch-us must be positive");
  auto loaded = o.profiles.load();
  frontend::AppModelConfig c;
  o.profiles.configure(c, loaded, o.topology, o.placement, true);
  c.epoch = Duration::ns(o.epoch_us * 1000.0);
  c.max_threads = 1;
  frontend::AppModelConfig base = c;
  base.placement = frontend::parse_placement("all-dram");
  frontend::AppModel predicted(c), baseline(base);
  const auto progress = progress_bar(o.quiet);
  auto reader = frontend::open_trace(o.trace);
  const auto r = frontend::run_trace(*reader, c.host.app, predicted, baseline, progress);
  if (progress) std::cerr << "\n";
  warn_spilled(r.predicted.spilled_pages);
  const AppReport rep{r.predicted, r.baseline};
  const auto& st = r.stats;
  uint64_t mem_requests = 0;
  for (const auto& t : r.predicted.targets) mem_requests += t.reads + t.writes;
  const auto bytes = static_cast<double>(mem_requests * 64);
  const double gbps = r.predicted.predicted_ns > 0 ? bytes / r.predicted.predicted_ns : 0.0;
  if (o.json) {
    nlohmann::json j = rep.json();
    j["trace"] = o.trace;
    j["model"] = "app";
    j["placement"] = o.placement;
    j["records"] = st.records;
    j["requests"] = st.reads + st.ownership + st.writebacks;
    j["reads"] = st.reads + st.ownership;
    j["writes"] = st.writebacks;
    j["l2_hits"] = st.l2_hits;
    j["dependent_loads"] = st.dependent;
    j["trace_has_instructions"] = st.has_instructions;
    j["elapsed_ns"] = r.predicted.predicted_ns;
    j["bandwidth_gbps"] = gbps;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format(
        "Trace {} ({}): {} records, {} line requests below the L2 ({} reads, {} write-backs); "
        "private L1D/L2 served {} line accesses\n",
        o.trace, o.placement, st.records, st.reads + st.ownership + st.writebacks,
        st.reads + st.ownership, st.writebacks, st.l2_hits);
    if (!st.has_instructions) {
      std::cout << "Note: this trace format has no instruction counts: no compute time is "
                   "modelled (memory time only)\n";
    } else {
      std::cout << fmt::format(
          "{} loads marked dependent (same instruction as the previous load)\n", st.dependent);
    }
    std::cout << rep.text();
  }
  if (!o.plot.empty()) rep.plot(o.plot, "cxlsim replay: " + o.trace + " (" + o.placement + ")");
  return 0;
}

nlohmann::json latency_json(const frontend::LatencyHistogram& h) {
  return {{"mean", h.mean()},
          {"p50", h.quantile(0.5)},
          {"p99", h.quantile(0.99)},
          {"p999", h.quantile(0.999)},
          {"max", h.max()}};
}

nlohmann::json components_json(const std::vector<frontend::ComponentStat>& cs) {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& s : cs) {
    nlohmann::json comp{{"name", s.name},
                        {"kind", s.kind},
                        {"requests", s.requests},
                        {"bytes", s.bytes},
                        {"utilisation", s.utilisation},
                        {"queueing_ns", s.queueing_ns}};
    if (!s.link.empty()) comp["link"] = s.link;  // trained width and speed
    comps.push_back(comp);
  }
  return comps;
}

void print_components(const std::vector<frontend::ComponentStat>& cs) {
  std::cout << fmt::format("{:<36} {:>10} {:>12} {:>8} {:>12}\n", "Component", "Requests", "Bytes",
                           "Util %", "Queue ns");
  for (const auto& s : cs) {
    const std::string name = s.link.empty() ? s.name : s.name + " [" + s.link + "]";
    std::cout << fmt::format("{:<36} {:>10} {:>12} {:>8.2f} {:>12.2f}\n", name, s.requests, s.bytes,
                             100.0 * s.utilisation, s.queueing_ns);
  }
}

double gbps_of(const frontend::ReplayResult& r) {
  return r.elapsed_ns > 0 ? static_cast<double>(r.requests * 64) / r.elapsed_ns : 0.0;
}

// --topology (default builtin:direct) with --fm-state's bindings when it is a pool.
WorkloadTopology workload_topology(const ReplayOptions& o) {
  return resolve_workload_topology(o.topology.empty() ? "builtin:direct" : o.topology, o.fm_state);
}

// The request model's configuration: the profiles, topology and placement, the requester's
// outstanding requests and private caches (one place for one host and for --host-trace).
frontend::ReplayConfig requests_config(const ReplayOptions& o, const Topology& topology) {
  frontend::ReplayConfig c;
  auto loaded = o.profiles.load();
  o.profiles.configure(c, loaded, topology, o.placement, false);
  c.max_outstanding = o.outstanding;
  c.private_caches = o.private_caches;
  return c;
}

// A pool: a 1-way region on each LD bound to `host`, in vPPB order (ValidationError for a host
// with none).
std::vector<RegionRequest> pool_regions(const WorkloadTopology& w, const std::string& host) {
  std::vector<RegionRequest> out;
  for (const std::string& m : w.memdevs_of(host)) {
    out.push_back(parse_region_spec(
        fmt::format("window=0,ways=1,granularity=256,targets={},mode=ram", m), w.topology));
  }
  return out;
}

// A pool: each host without --host-region gets pool_regions.
void add_pool_regions(const WorkloadTopology& w, std::vector<frontend::HostTrace>& traces) {
  for (auto& t : traces) {
    auto own = pool_regions(w, t.name);
    if (t.regions.empty()) t.regions = std::move(own);
  }
}

// --host-trace: one trace per host at once over one fabric (frontend::replay_hosts).
int run_hosts(const ReplayOptions& o) {
  if (!o.trace.empty()) return fail("give either a trace or --host-trace HOST=FILE, not both");
  if (o.outstanding == 0) return fail("--max-outstanding must be at least 1");
  const WorkloadTopology w = workload_topology(o);
  frontend::ReplayConfig c = requests_config(o, w.topology);
  c.same_lines = o.same_lines;
  std::vector<std::string> names, files;
  for (const std::string& spec : o.host_traces) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return fail(fmt::format("--host-trace '{}': expected HOST=FILE", spec));
    }
    names.push_back(spec.substr(0, eq));
    files.push_back(spec.substr(eq + 1));
    if (std::count(names.begin(), names.end(), names.back()) > 1) {
      return fail(fmt::format("--host-trace: host '{}' given twice", names.back()));
    }
  }
  std::vector<std::unique_ptr<frontend::TraceReader>> readers;
  std::vector<frontend::HostTrace> traces;
  for (size_t i = 0; i < names.size(); ++i) {
    readers.push_back(frontend::open_trace(files[i]));
    traces.push_back({names[i], readers.back().get(), {}});
  }
  for (const std::string& spec : o.host_regions) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return fail(fmt::format("--host-region '{}': expected HOST=SPEC", spec));
    }
    const auto it = std::find(names.begin(), names.end(), spec.substr(0, eq));
    if (it == names.end()) {
      return fail(
          fmt::format("--host-region {}: no --host-trace for host '{}'", spec, spec.substr(0, eq)));
    }
    traces[static_cast<size_t>(it - names.begin())].regions.push_back(
        parse_region_spec(spec.substr(eq + 1), c.topology));
  }
  if (w.pool) add_pool_regions(w, traces);
  const auto r = frontend::replay_hosts(traces, c);
  uint64_t requests = 0;
  double latency_sum = 0;  // ns, over every host's requests
  for (const auto& h : r.hosts) {
    requests += h.requests;
    latency_sum += h.latency.mean() * static_cast<double>(h.requests);
    warn_spilled(h.spilled_pages);
  }
  const double mean_latency = requests > 0 ? latency_sum / static_cast<double>(requests) : 0.0;
  const double total_gbps =
      r.elapsed_ns > 0 ? static_cast<double>(requests * 64) / r.elapsed_ns : 0;
  if (o.json) {
    nlohmann::json j;
    j["model"] = "requests";
    j["placement"] = o.placement;
    j["hosts"] = nlohmann::json::array();
    for (size_t i = 0; i < r.hosts.size(); ++i) {
      const auto& h = r.hosts[i];
      j["hosts"].push_back(
          {{"name", names[i]},
           {"trace", files[i]},
           {"records", h.records},
           {"requests", h.requests},
           {"reads", h.reads},
           {"writes", h.writes},
           {"elapsed_ns", h.elapsed_ns},
           {"bandwidth_gbps", gbps_of(h)},
           {"latency_ns", latency_json(h.latency)},
           {"pages",
            {{"dram", h.dram_pages}, {"cxl", h.cxl_pages}, {"spilled_to_dram", h.spilled_pages}}},
           {"components", components_json(h.components)}});
      if (!r.back_invalidation.empty()) {
        j["hosts"][i]["back_invalidation"] = back_invalidation_json(r.back_invalidation[i]);
      }
    }
    j["shared_components"] = components_json(r.shared);
    j["elapsed_ns"] = r.elapsed_ns;
    j["total"] = {{"requests", requests},
                  {"bandwidth_gbps", total_gbps},
                  {"latency_ns", {{"mean", mean_latency}}}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "{} hosts over one fabric ({}; each host's CXL pages in its first region, "
      "{} where hosts share it)\n{:<12} {:>10} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9}\n",
      r.hosts.size(), o.placement, o.same_lines ? "the same lines" : "disjoint parts", "Host",
      "Requests", "Time us", "GB/s", "Lat mean", "p50", "p99", "max");
  for (size_t i = 0; i < r.hosts.size(); ++i) {
    const auto& h = r.hosts[i];
    std::cout << fmt::format(
        "{:<12} {:>10} {:>10.3f} {:>10.2f} {:>8.1f} {:>9.1f} {:>9.1f} {:>9.1f}\n", names[i],
        h.requests, h.elapsed_ns / 1000.0, gbps_of(h), h.latency.mean(), h.latency.quantile(0.5),
        h.latency.quantile(0.99), h.latency.max());
  }
  std::cout << fmt::format("{:<12} {:>10} {:>10.3f} {:>10.2f} {:>8.1f}\n\nShared by the hosts:\n",
                           "Total", requests, r.elapsed_ns / 1000.0, total_gbps, mean_latency);
  print_components(r.shared);
  if (!r.back_invalidation.empty()) std::cout << "\nBack-invalidation (shared HDM-DB memory):\n";
  for (size_t i = 0; i < r.back_invalidation.size(); ++i) {
    std::cout << "  " << back_invalidation_line(names[i], r.back_invalidation[i]) << "\n";
  }
  return 0;
}

// --model requests: one requester, timestamps honoured (frontend/replay.h).
int run_requests(const ReplayOptions& o) {
  if (o.outstanding == 0) return fail("--max-outstanding must be at least 1");
  const WorkloadTopology w = workload_topology(o);
  frontend::ReplayConfig c = requests_config(o, w.topology);
  // A pool: one host, the first of the pool, on its LDs unless --region says otherwise.
  if (w.pool && c.regions.empty()) c.regions = pool_regions(w, w.topology.hosts.front().id);
  c.progress = progress_bar(o.quiet);
  auto reader = frontend::open_trace(o.trace);
  auto r = frontend::replay(*reader, c);
  if (c.progress) std::cerr << "\n";
  warn_spilled(r.spilled_pages);
  const double gbps = gbps_of(r);
  if (o.json) {
    nlohmann::json j;
    j["trace"] = o.trace;
    j["model"] = "requests";
    j["records"] = r.records;
    j["requests"] = r.requests;
    j["reads"] = r.reads;
    j["writes"] = r.writes;
    if (o.private_caches) j["l2_hits"] = r.l2_hits;
    j["elapsed_ns"] = r.elapsed_ns;
    j["bandwidth_gbps"] = gbps;
    j["pages"] = {
        {"dram", r.dram_pages}, {"cxl", r.cxl_pages}, {"spilled_to_dram", r.spilled_pages}};
    j["latency_ns"] = latency_json(r.latency);
    j["bandwidth_over_time"] = {{"bin_ns", r.bin_ns}, {"gbps", r.bandwidth_gbps}};
    j["components"] = components_json(r.components);
    if (r.cache.enabled) {
      const auto& cs = r.cache_stats;
      j["host_cache"] = {{"size_bytes", r.cache.size.value()},
                         {"ways", r.cache.ways},
                         {"hit_latency_ns", r.cache.hit_latency.nanoseconds()},
                         {"hits", cs.hits()},
                         {"misses", cs.misses()},
                         {"hit_rate", cs.hit_rate()},
                         {"read_hits", cs.read_hits},
                         {"write_hits", cs.write_hits},
                         {"read_misses", cs.read_misses},
                         {"write_misses", cs.write_misses},
                         {"writebacks", cs.writebacks}};
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("Trace {}: {} records, {} line requests ({} reads, {} writes)\n",
                             o.trace, r.records, r.requests, r.reads, r.writes);
    if (o.private_caches) {
      std::cout << fmt::format("Private L1D/L2 served {} line accesses\n", r.l2_hits);
    }
    std::cout << fmt::format("Pages: {} in local DRAM, {} in CXL memory (4 KiB)\n", r.dram_pages,
                             r.cxl_pages);
    std::cout << fmt::format("Simulated time {:.3f} us, bandwidth {:.2f} GB/s\n",
                             r.elapsed_ns / 1000.0, gbps);
    std::cout << fmt::format(
        "Latency ns: mean {:.1f}  p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}\n",
        r.latency.mean(), r.latency.quantile(0.5), r.latency.quantile(0.99),
        r.latency.quantile(0.999), r.latency.max());
    if (r.cache.enabled) {
      const auto& cs = r.cache_stats;
      std::cout << fmt::format(
          "Host cache {}: {} hits, {} misses ({:.1f} % hit rate), {} write-backs\n",
          timing::describe(r.cache), cs.hits(), cs.misses(), 100.0 * cs.hit_rate(), cs.writebacks);
    }
    std::cout << "\n";
    print_components(r.components);
  }
  if (!o.plot.empty()) {
    PlotSeries s{"bandwidth", {}, {}, false};
    for (size_t i = 0; i < r.bandwidth_gbps.size(); ++i) {
      s.x.push_back((static_cast<double>(i) + 0.5) * r.bin_ns / 1000.0);
      s.y.push_back(r.bandwidth_gbps[i]);
    }
    write_plot(o.plot, "Replay bandwidth over time: " + o.trace, "Time (us)", "Bandwidth (GB/s)",
               {s});
  }
  return 0;
}

int convert(const ReplayOptions& o) {
  auto reader = frontend::open_trace(o.in);
  frontend::TraceWriter w(o.out);
  frontend::TraceRecord rec;
  while (reader->next(rec)) w.write(rec);
  w.close();
  if (!o.quiet) {
    std::cerr << fmt::format("cxlsim replay convert: {} records -> {}\n", w.records(), o.out);
  }
  return 0;
}

// Errors reach main(), which gives them their exit status (cli/exit_status.h).
template <typename F>
void guarded(F f) {
  finish(f());
}

}  // namespace

void register_replay(CLI::App& app) {
  auto o = std::make_shared<ReplayOptions>();
  auto* cmd = app.add_subcommand(
      "replay", "Replay a memory trace (text, Valgrind lackey, cxlsim binary) on the timing model");
  cmd->add_option("trace", o->trace, "Trace file ('-' for standard input)");
  o->profiles.add_to(*cmd);
  cmd->add_option("--topology", o->topology,
                  "Topology: a file (TOML or QEMU command line) or builtin:NAME (cxlsim topology "
                  "--help lists them; default builtin:direct)");
  cmd->add_option("--placement", o->placement,
                  "all-dram | all-cxl | interleave:D:C | first-touch:BYTES (4 KiB pages; default "
                  "all-cxl); CXL pages go to the first region");
  cmd->add_option("--model", o->model,
                  "app (default): cxlsim run's front end (private caches, core model, LLC, "
                  "prefetcher, compute time from lackey's instruction counts, all-DRAM baseline); "
                  "requests: one requester issuing every line, honouring timestamps")
      ->check(CLI::IsMember({"app", "requests"}));
  cmd->add_option("--epoch-us", o->epoch_us,
                  "--model app: width of the bandwidth time series' epochs in simulated "
                  "microseconds (default 100)");
  cmd->add_option("--max-outstanding", o->outstanding,
                  "--model requests: line requests in flight (default 16)")
      ->each([o](const std::string&) { o->outstanding_set = true; });
  cmd->add_flag(
      "--private-caches", o->private_caches,
      "--model requests: filter the trace through a core's L1D and L2 (the host "
      "profile's [app], as cxlsim run): only L2 misses and dirty L2 victims reach memory");
  cmd->add_option("--host-trace", o->host_traces,
                  "HOST=FILE: with --model requests, one trace per host (repeatable), replayed at "
                  "once over one fabric: each host its own root-port links, switch downstream "
                  "links and devices shared; per-host report (instead of the trace argument)");
  cmd->add_option("--fm-state", o->fm_state,
                  "With --model requests and a pool topology ([[mld]]): the fabric manager's state "
                  "directory (fm serve --state DIR) or file; each host's regions are the LDs "
                  "bound to it (without --host-trace: the pool's first host's), an LD of a shared "
                  "MLD bound to several hosts shared HDM-DB memory");
  cmd->add_option("--host-region", o->host_regions,
                  "HOST=SPEC: with --host-trace, a region this host creates (as --region; "
                  "repeatable); a host with none creates --region's or the default ones; CXL "
                  "pages go to the host's first region");
  cmd->add_flag("--same-lines", o->same_lines,
                "With --host-trace: hosts with the same first region place their pages in all "
                "of it (shared memory: on a `shared = true` device they meet in its coherence "
                "engine) instead of each in a disjoint part");
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--quiet", o->quiet,
                "No progress on stderr (shown only when stderr is a terminal)");
  cmd->add_option("--plot", o->plot, "Write a PNG of bandwidth over time (gnuplot)");
  auto* conv =
      cmd->add_subcommand("convert", "Convert a text or lackey trace to the cxlsim binary format");
  conv->add_option("in", o->in, "Input trace")->required();
  conv->add_option("out", o->out, "Output binary trace")->required();
  conv->callback([o] { guarded([&] { return convert(*o); }); });
  cmd->callback([o, cmd] {
    if (cmd->got_subcommand("convert")) return;
    guarded([&] {
      if (!o->host_regions.empty() && o->host_traces.empty()) {
        return fail("--host-region needs --host-trace");
      }
      if (o->same_lines && o->host_traces.empty()) return fail("--same-lines needs --host-trace");
      if (!o->fm_state.empty() && o->model != "requests") {
        return fail("--fm-state needs --model requests (the app model runs no pool)");
      }
      if (!o->host_traces.empty()) {
        if (o->model != "requests") {
          return fail("--host-trace runs on --model requests (the app model runs one host)");
        }
        return run_hosts(*o);
      }
      if (o->trace.empty()) return fail("replay needs a trace file (see cxlsim replay --help)");
      return o->model == "app" ? run_app(*o) : run_requests(*o);
    });
  });
}

}  // namespace cxlsim::cli
