// cxlsim replay: stream a memory trace through the timing model.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/plot.h"
#include "cli/profile_options.h"
#include "frontend/replay.h"
#include "frontend/topology_arg.h"

namespace cxlsim::cli {
namespace {

struct ReplayOptions {
  std::string trace;
  ProfileOptions profiles;
  std::string topology, placement = "all-cxl", plot;
  unsigned outstanding = 16;
  bool json = false, quiet = false, private_caches = false;
  std::string in, out;
};

int run(const ReplayOptions& o) {
  frontend::ReplayConfig c;
  auto loaded = o.profiles.load();
  auto& [host, local, dev, region_specs, device_of] = loaded;
  if (!dev.cxl) {
    return fail(fmt::format("--device '{}' is a local DRAM profile; use --local for that",
                            o.profiles.device));
  }
  c.host = std::move(host);
  c.local_dram = std::move(local);
  c.topology = frontend::resolve_topology(o.topology.empty() ? "builtin:direct" : o.topology);
  c.regions = loaded.regions_for(c.topology);
  loaded.note_default_regions(c.topology);
  loaded.check_ids(c.topology);
  c.device_for = loaded.device_for();
  c.placement = frontend::parse_placement(o.placement);
  if (o.outstanding == 0) return fail("--max-outstanding must be at least 1");
  c.max_outstanding = o.outstanding;
  c.private_caches = o.private_caches;
  if (show_progress(o.quiet)) {
    c.progress = [](uint64_t done, uint64_t total) {
      if (total == 0) return;
      const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      const auto bar = static_cast<size_t>(f * 30.0);
      std::cerr << fmt::format("\rcxlsim replay [{}{}] {:3.0f} %", std::string(bar, '#'),
                               std::string(30 - bar, '.'), 100.0 * f)
                << std::flush;
    };
  }
  auto reader = frontend::open_trace(o.trace);
  auto r = frontend::replay(*reader, c);
  if (c.progress) std::cerr << "\n";
  if (r.spilled_pages > 0) {
    std::cerr << fmt::format(
        "cxlsim: warning: the CXL region is full: {} pages ({}) spilled to local DRAM\n",
        r.spilled_pages, format_bytes(Bytes(r.spilled_pages * 4096)));
  }
  const double gbps = r.elapsed_ns > 0 ? static_cast<double>(r.requests * 64) / r.elapsed_ns : 0.0;
  if (o.json) {
    nlohmann::json j;
    j["trace"] = o.trace;
    j["records"] = r.records;
    j["requests"] = r.requests;
    j["reads"] = r.reads;
    j["writes"] = r.writes;
    if (o.private_caches) j["l2_hits"] = r.l2_hits;
    j["elapsed_ns"] = r.elapsed_ns;
    j["bandwidth_gbps"] = gbps;
    j["pages"] = {
        {"dram", r.dram_pages}, {"cxl", r.cxl_pages}, {"spilled_to_dram", r.spilled_pages}};
    j["latency_ns"] = {{"mean", r.latency.mean()},
                       {"p50", r.latency.quantile(0.5)},
                       {"p99", r.latency.quantile(0.99)},
                       {"p999", r.latency.quantile(0.999)},
                       {"max", r.latency.max()}};
    j["bandwidth_over_time"] = {{"bin_ns", r.bin_ns}, {"gbps", r.bandwidth_gbps}};
    nlohmann::json comps = nlohmann::json::array();
    for (const auto& s : r.components) {
      nlohmann::json comp{{"name", s.name},
                          {"kind", s.kind},
                          {"requests", s.requests},
                          {"bytes", s.bytes},
                          {"utilisation", s.utilisation},
                          {"queueing_ns", s.queueing_ns}};
      if (!s.link.empty()) comp["link"] = s.link;  // trained width and speed
      comps.push_back(comp);
    }
    j["components"] = comps;
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
    std::cout << fmt::format("{:<36} {:>10} {:>12} {:>8} {:>12}\n", "Component", "Requests",
                             "Bytes", "Util %", "Queue ns");
    for (const auto& s : r.components) {
      const std::string name = s.link.empty() ? s.name : s.name + " [" + s.link + "]";
      std::cout << fmt::format("{:<36} {:>10} {:>12} {:>8.2f} {:>12.2f}\n", name, s.requests,
                               s.bytes, 100.0 * s.utilisation, s.queueing_ns);
    }
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
  cmd->add_option("--max-outstanding", o->outstanding, "Line requests in flight (default 16)");
  cmd->add_flag(
      "--private-caches", o->private_caches,
      "Filter the trace through a core's L1D and L2 (the host "
      "profile's [app], as cxlsim run): only L2 misses and dirty L2 victims reach memory");
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
      if (o->trace.empty()) return fail("replay needs a trace file (see cxlsim replay --help)");
      return run(*o);
    });
  });
}

}  // namespace cxlsim::cli
