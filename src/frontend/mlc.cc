#include "frontend/mlc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "spec/error.h"
#include "timing/chase_core.h"
#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::frontend {
using namespace cxlsim::timing;

namespace {
constexpr unsigned kDelays[] = {0, 2, 8, 15, 50, 100, 200, 300, 400, 500, 700, 1000, 1300,
                                1700, 2500, 3500, 5000, 9000, 20000};
constexpr uint64_t kLocalSize = uint64_t{64} << 30;
}  // namespace

std::span<const unsigned> mlc_inject_delays() { return kDelays; }

MlcSetup setup_for_device(const HostProfile& host, const DeviceProfile& local, const DeviceProfile& device) {
  MlcSetup s;
  s.host = host;
  s.local_dram = local;
  if (!device.cxl) {
    s.local_dram = device;
    s.range_base = 0;
    s.range_size = kLocalSize;
    return s;
  }
  Topology& t = s.topology;
  t.name = "single-" + device.name;
  t.host_bridges.push_back({"hb0", 0, 0x0c});
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  Type3Spec d;
  d.id = "mem0";
  d.parent = "rp0";
  d.volatile_size = GiB(64);
  t.type3.push_back(d);
  WindowSpec w;
  w.id = "cfmw0";
  w.base = kLocalSize;
  w.size = GiB(64);
  w.targets = {"hb0"};
  t.windows.push_back(w);
  s.device_for = [device](const std::string&) { return device; };
  s.range_base = kLocalSize;
  s.range_size = GiB(64).value();
  return s;
}

MlcSetup setup_for_topology(const HostProfile& host, const DeviceProfile& local, const DeviceProfile& device,
                            const Topology& topo, const std::string& target, const std::vector<RegionRequest>& regions) {
  MlcSetup s;
  s.host = host;
  s.local_dram = local;
  s.topology = topo;
  s.device_for = [device](const std::string&) { return device; };
  s.regions = regions;
  if (s.regions.empty() && (topo.find_type3(target) != nullptr || topo.find_type2(target) != nullptr)) {
    const auto fabric = Fabric::build(place_windows(topo, Bytes(kLocalSize)), FabricOptions{.map_backing_files = false});
    s.regions = {memdev_region(*fabric, target)};
  }
  System probe(host, local, Bytes(kLocalSize), topo, s.device_for, s.regions);
  const Window* chosen = nullptr;
  for (const auto& w : probe.windows()) {
    const bool on_memdev = w.memdevs.size() == 1 && probe.targets()[w.memdevs[0]].name == target;
    if (target.empty() || w.id == target || w.cfmws == target || on_memdev) {
      chosen = &w;
      break;
    }
  }
  if (chosen == nullptr) {
    if (probe.windows().empty()) throw ValidationError("topology has no CXL region to measure");
    throw ValidationError(fmt::format("--target '{}' is no region, window or memdev of the topology", target));
  }
  s.range_base = chosen->base;
  s.range_size = chosen->size;
  return s;
}

MlcPoint run_point(const MlcSetup& s, unsigned inject_delay, bool with_chaser) {
  auto dev_for = s.device_for ? s.device_for : [](const std::string&) -> DeviceProfile {
    throw ValidationError("topology has memory devices but no device profile");
  };
  System sys(s.host, s.local_dram, Bytes(kLocalSize), s.topology, dev_for, s.regions);
  const Duration end = s.warmup + s.window;
  const uint64_t buf = s.buffer.value();
  const uint64_t per_thread = buf * (s.writes > 0 ? 2 : 1);
  if ((s.threads + 1) * per_thread + buf > s.range_size) {
    throw ValidationError(fmt::format("target range of {} is too small for {} threads of {}",
                                      format_bytes(Bytes(s.range_size)), s.threads, format_bytes(s.buffer)));
  }
  std::vector<std::unique_ptr<StreamCore>> loads;
  for (unsigned i = 0; i < s.threads; ++i) {
    StreamCoreConfig c;
    c.read_base = s.range_base + i * per_thread;
    c.read_size = buf;
    c.write_base = c.read_base + buf;
    c.write_size = buf;
    c.reads = s.reads;
    c.writes = s.writes;
    c.random = s.random;
    c.compute = s.host.loop_overhead + s.host.inject_unit * inject_delay;
    c.max_outstanding = s.host.max_outstanding;
    c.prefetch_distance = s.host.prefetch_distance;
    c.lfb = s.host.lfb;
    c.ooo_window = s.host.ooo_window;
    c.jitter = s.host.loop_jitter;
    c.seed = s.seed * 1000003 + i;
    c.measure_from = s.warmup;
    loads.push_back(std::make_unique<StreamCore>(c));
    sys.add(loads.back().get());
  }
  std::unique_ptr<ChaseCore> chaser;
  if (with_chaser) {
    ChaseCoreConfig c;
    c.base = s.range_base + s.threads * per_thread;
    c.size = buf;
    c.think = s.host.chase_overhead;
    c.jitter = s.host.loop_jitter;
    c.seed = s.seed * 7919 + 17;
    c.measure_from = s.warmup;
    chaser = std::make_unique<ChaseCore>(c);
    sys.add(chaser.get());
  }
  sys.run_until(end);
  uint64_t bytes = chaser ? chaser->bytes() : 0;
  for (const auto& l : loads) bytes += l->bytes();
  MlcPoint p;
  p.inject_delay = inject_delay;
  p.latency_ns = chaser ? chaser->mean_latency_ns() : 0.0;
  p.bandwidth_mbps = static_cast<double>(bytes) / (s.window.nanoseconds() * 1e-9) / 1e6;
  return p;
}

std::vector<MlcPoint> loaded_latency(const MlcSetup& s, std::span<const unsigned> delays,
                                     const std::function<void(size_t, size_t)>& progress) {
  std::vector<MlcPoint> out;
  for (size_t i = 0; i < delays.size(); ++i) {
    if (progress) progress(i, delays.size());
    out.push_back(run_point(s, delays[i]));
  }
  if (progress) progress(delays.size(), delays.size());
  return out;
}

double idle_latency_ns(const MlcSetup& s) {
  MlcSetup idle = s;
  idle.threads = 0;
  return run_point(idle, 0).latency_ns;
}

double max_bandwidth_mbps(const MlcSetup& s) { return run_point(s, 0, false).bandwidth_mbps; }

std::vector<MlcPoint> parse_mlc_log(const std::string& text, const std::string& origin) {
  std::vector<MlcPoint> out;
  std::istringstream in(text);
  std::string line;
  bool table = false;
  while (std::getline(in, line)) {
    if (line.rfind("=====", 0) == 0) {
      table = true;
      continue;
    }
    if (!table) continue;
    std::istringstream ls(line);
    double d, l, b;
    if (!(ls >> d >> l >> b)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      break;
    }
    out.push_back(MlcPoint{static_cast<unsigned>(d), l, b});
  }
  if (out.empty()) throw ParseError(fmt::format("{}: no MLC loaded-latency table (Inject Delay / Latency / Bandwidth)", origin));
  return out;
}

namespace {

double peak_of(const std::vector<MlcPoint>& c) {
  double m = 0;
  for (const auto& p : c) m = std::max(m, p.bandwidth_mbps);
  return m;
}

const MlcPoint* at_delay(const std::vector<MlcPoint>& c, unsigned d) {
  for (const auto& p : c) {
    if (p.inject_delay == d) return &p;
  }
  return nullptr;
}

// Latency of the simulated load path (points in inject-delay order) where its bandwidth
// equals `bw`; of several crossings, the one nearest in inject delay to `delay`. Below the
// path's lightest load, its lightest point; with no crossing, the point nearest in delay.
double latency_at(const std::vector<MlcPoint>& path, double bw, unsigned delay) {
  double best = -1, best_dist = 1e300;
  for (size_t i = 1; i < path.size(); ++i) {
    const MlcPoint& a = path[i - 1];
    const MlcPoint& b = path[i];
    const double lo = std::min(a.bandwidth_mbps, b.bandwidth_mbps), hi = std::max(a.bandwidth_mbps, b.bandwidth_mbps);
    if (bw < lo || bw > hi) continue;
    const double f = hi > lo ? (bw - a.bandwidth_mbps) / (b.bandwidth_mbps - a.bandwidth_mbps) : 0.0;
    const double d = static_cast<double>(a.inject_delay) + f * (static_cast<double>(b.inject_delay) - a.inject_delay);
    const double dist = std::fabs(std::log((d + 1.0) / (delay + 1.0)));
    if (dist < best_dist) {
      best_dist = dist;
      best = a.latency_ns + f * (b.latency_ns - a.latency_ns);
    }
  }
  if (best >= 0) return best;
  const MlcPoint* lightest = &path.front();
  const MlcPoint* nearest = &path.front();
  for (const auto& p : path) {
    if (p.inject_delay > lightest->inject_delay) lightest = &p;
    if (std::fabs(std::log((p.inject_delay + 1.0) / (delay + 1.0))) < std::fabs(std::log((nearest->inject_delay + 1.0) / (delay + 1.0)))) nearest = &p;
  }
  if (bw <= lightest->bandwidth_mbps) return lightest->latency_ns;
  return nearest->latency_ns;
}

}  // namespace

CurveError compare_curves(const std::vector<MlcPoint>& sim, const std::vector<MlcPoint>& meas) {
  CurveError e;
  std::vector<MlcPoint> path = sim;
  std::sort(path.begin(), path.end(), [](const MlcPoint& a, const MlcPoint& b) { return a.inject_delay < b.inject_delay; });
  const double peak_s = peak_of(sim), peak_m = peak_of(meas);
  double sum = 0, sum_delay = 0;
  size_t n_delay = 0;
  for (const auto& m : meas) {
    const MlcPoint* same = at_delay(sim, m.inject_delay);
    double lat;
    if (m.bandwidth_mbps >= 0.99 * peak_m && same != nullptr) {
      lat = same->latency_ns;  // saturated plateau: latency is no function of bandwidth there
    } else {
      lat = latency_at(path, m.bandwidth_mbps * peak_s / peak_m, m.inject_delay);
    }
    sum += std::fabs(lat - m.latency_ns) / m.latency_ns;
    if (same != nullptr) {
      sum_delay += std::fabs(same->latency_ns - m.latency_ns) / m.latency_ns;
      ++n_delay;
    }
  }
  e.latency_mae_pct = 100.0 * sum / static_cast<double>(meas.size());
  e.same_delay_mae_pct = n_delay ? 100.0 * sum_delay / static_cast<double>(n_delay) : 0.0;
  e.peak_bw_err_pct = 100.0 * (peak_s - peak_m) / peak_m;
  auto lightest = [](const std::vector<MlcPoint>& c) {
    return *std::max_element(c.begin(), c.end(), [](const MlcPoint& a, const MlcPoint& b) { return a.inject_delay < b.inject_delay; });
  };
  e.idle_err_pct = 100.0 * (lightest(sim).latency_ns - lightest(meas).latency_ns) / lightest(meas).latency_ns;
  return e;
}

}  // namespace cxlsim::frontend
