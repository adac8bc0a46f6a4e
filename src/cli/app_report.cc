#include "cli/app_report.h"

#include <fmt/format.h>

#include <sstream>

#include "cli/plot.h"

namespace cxlsim::cli {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

const frontend::AppThreadResult* AppReport::baseline_of(uint32_t thread) const {
  for (const auto& t : baseline.threads) {
    if (t.thread == thread) return &t;
  }
  return nullptr;
}

uint64_t AppReport::instructions() const {
  uint64_t n = 0;
  for (const auto& t : predicted.threads) n += t.instructions;
  return n;
}

uint64_t AppReport::accesses() const {
  uint64_t n = 0;
  for (const auto& t : predicted.threads) n += t.accesses;
  return n;
}

double AppReport::slowdown() const { return ratio(predicted.predicted_ns, baseline.predicted_ns); }

// Bandwidth of target `t` in epoch `e`, GB/s.
double AppReport::gbps(size_t e, size_t t) const {
  return static_cast<double>(predicted.epoch_bytes[e][t]) / predicted.epoch_ns;
}

nlohmann::json AppReport::json() const {
  const auto& p = predicted;
  nlohmann::json j;
  j["predicted_ns"] = p.predicted_ns;
  j["baseline_ns"] = baseline.predicted_ns;
  j["slowdown"] = slowdown();
  j["instructions"] = instructions();
  j["memory_accesses"] = accesses();
  j["llc_misses"] = p.llc_misses;
  j["llc_hits"] = p.llc_hits;
  j["llc_hit_rate"] =
      ratio(static_cast<double>(p.llc_hits), static_cast<double>(p.llc_hits + p.llc_misses));
  j["pages"] = {{"dram", p.dram_pages}, {"cxl", p.cxl_pages}, {"spilled_to_dram", p.spilled_pages}};
  j["latency_ns"] = {{"mean", p.latency.mean()},        {"p50", p.latency.quantile(0.5)},
                     {"p99", p.latency.quantile(0.99)}, {"p999", p.latency.quantile(0.999)},
                     {"max", p.latency.max()},          {"count", p.latency.count()}};
  j["prefetches"] = p.prefetches;
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

std::string AppReport::text() const {
  const auto& p = predicted;
  std::ostringstream s;
  s << fmt::format("Predicted {:.3f} ms, all-DRAM baseline {:.3f} ms, slowdown {:.3f}x\n",
                   p.predicted_ns / 1e6, baseline.predicted_ns / 1e6, slowdown());
  s << fmt::format(
      "Instructions {}, memory accesses {}, LLC {} hits / {} misses ({:.1f} % hit rate)\n",
      instructions(), accesses(), p.llc_hits, p.llc_misses,
      100.0 *
          ratio(static_cast<double>(p.llc_hits), static_cast<double>(p.llc_hits + p.llc_misses)));
  s << fmt::format(
      "Pages: {} in local DRAM, {} in CXL memory (4 KiB){}\n", p.dram_pages, p.cxl_pages,
      p.spilled_pages ? fmt::format("; {} spilled to DRAM: the CXL region is full", p.spilled_pages)
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

void AppReport::plot(const std::string& png, const std::string& title) const {
  const auto& p = predicted;
  std::vector<PlotSeries> series;
  for (size_t t = 0; t < p.targets.size(); ++t) {
    PlotSeries s{p.targets[t].name, {}, {}, false};
    for (size_t e = 0; e < p.epoch_bytes.size(); ++e) {
      s.x.push_back((static_cast<double>(e) + 0.5) * p.epoch_ns / 1000.0);
      s.y.push_back(static_cast<double>(p.epoch_bytes[e][t]) / p.epoch_ns);
    }
    series.push_back(std::move(s));
  }
  write_plot(png, title, "Simulated time (us)", "Bandwidth (GB/s)", series);
}

}  // namespace cxlsim::cli
