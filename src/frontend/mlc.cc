#include "frontend/mlc.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <tuple>

#include "spec/error.h"
#include "timing/chase_core.h"
#include "timing/multi_host.h"
#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::frontend {
using namespace cxlsim::timing;

namespace {
constexpr unsigned kDelays[] = {0,   2,    8,    15,   50,   100,  200,  300,  400,  500,
                                700, 1000, 1300, 1700, 2500, 3500, 5000, 9000, 20000};
constexpr uint64_t kLocalSize = uint64_t{64} << 30;
}  // namespace

std::span<const unsigned> mlc_inject_delays() { return kDelays; }

double mlc_lines_per_delay(unsigned reads, unsigned writes) {
  struct Kernel {
    unsigned reads, writes;
    double lines;
  };
  // Slopes of the artifact's 16-thread logs relative to all reads (CXL server / DDR5 server):
  // -W2 2.95 / 3.08, -W3 3.95 / 4.27, -W5 0.99 / 1.00, -W12 1.18 / 1.25, -W6 0.25 / 0.26.
  constexpr Kernel kKernels[] = {{2, 1, 3.0}, {3, 1, 4.0}, {1, 1, 1.0}, {4, 1, 1.2}, {0, 1, 0.25}};
  for (const Kernel& k : kKernels) {
    if (reads * k.writes == writes * k.reads && reads + writes > 0) return k.lines;
  }
  return 1.0;
}

MlcSetup setup_for_device(const HostProfile& host, const DeviceProfile& local,
                          const DeviceProfile& device) {
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

namespace {
// What a host load at the fault would meet, as Linux reports it.
std::string fault_text(const Fabric& f, const MediaFault& e) {
  const std::string where = fmt::format("memdev '{}' DPA {:#x} (HPA {:#x})",
                                        f.memdev(e.memdev).id(), e.dpa.value(), e.hpa.value());
  switch (e.what) {
    case device::MediaAccess::kPoisoned:
      return fmt::format(
          "{} holds poison ({:#x} bytes): a load there is a memory failure, for which Linux "
          "kills the reader with SIGBUS (clear it: cxlsim mbox FILE --memdev {} poison clear "
          "{:#x})",
          where, e.length.value(), f.memdev(e.memdev).id(), e.dpa.value());
    case device::MediaAccess::kNoCapacity:
      return fmt::format(
          "{} is dynamic capacity outside every accepted extent ({:#x} bytes): no memory is "
          "there (accept an extent: cxlsim mbox FILE --memdev {} dc accept)",
          where, e.length.value(), f.memdev(e.memdev).id());
    default:
      return fmt::format("{} is {}: the device refuses media access", where,
                         device::media_access_name(e.what));
  }
}

// MLC reads every line of its range: memory the devices would not serve there (poison, an
// unaccepted DC range, a locked device) ends the measurement before it starts, as a poisoned
// line would end the real MLC with SIGBUS. The devices' command state says where.
void refuse_media_faults(const System& probe, const CommittedRegion& r) {
  const auto faults = probe.fabric().media_faults(Hpa(r.base), Bytes(r.size));
  if (faults.empty()) return;
  std::string more;
  if (faults.size() > 1) more = fmt::format(" (and {} more)", faults.size() - 1);
  throw OperationError(
      fmt::format("{}: {}{}", r.id, fault_text(probe.fabric(), faults.front()), more));
}
}  // namespace

MlcSetup setup_for_topology(const HostProfile& host, const DeviceProfile& local,
                            const DeviceProfile& device, const Topology& topo,
                            const std::string& target, const std::vector<RegionRequest>& regions) {
  MlcSetup s;
  s.host = host;
  s.local_dram = local;
  s.topology = topo;
  s.device_for = [device](const std::string&) { return device; };
  s.regions = regions;
  if (s.regions.empty() &&
      (topo.find_type3(target) != nullptr || topo.find_type2(target) != nullptr)) {
    const auto fabric = Fabric::build(place_windows(topo, Bytes(kLocalSize)),
                                      FabricOptions{.map_backing_files = false});
    s.regions = {memdev_region(*fabric, target)};
  }
  System probe(host, local, Bytes(kLocalSize), topo, s.device_for, s.regions);
  const CommittedRegion* chosen = nullptr;
  for (const auto& w : probe.regions()) {
    const bool on_memdev = w.memdevs.size() == 1 && probe.targets()[w.memdevs[0]].name == target;
    if (target.empty() || w.id == target || w.cfmws == target || on_memdev) {
      chosen = &w;
      break;
    }
  }
  if (chosen == nullptr) {
    if (probe.regions().empty()) throw ValidationError("topology has no CXL region to measure");
    throw ValidationError(
        fmt::format("--target '{}' is no region, window or memdev of the topology", target));
  }
  refuse_media_faults(probe, *chosen);
  s.range_base = chosen->base;
  s.range_size = chosen->size;
  return s;
}

namespace {

std::function<DeviceProfile(const std::string&)> device_for_of(const MlcSetup& s) {
  if (s.device_for) return s.device_for;
  return [](const std::string&) -> DeviceProfile {
    throw ValidationError("topology has memory devices but no device profile");
  };
}

// MLC's threads on one host: `threads` load threads and, `with_chaser`, the latency thread,
// their buffers carved from the setup's range.
class Threads {
 public:
  Threads(System& sys, const MlcSetup& s, unsigned inject_delay, bool with_chaser)
      : window_(s.window) {
    const uint64_t buf = s.buffer.value();
    const uint64_t per_thread = buf * (s.writes > 0 ? 2 : 1);
    if ((s.threads + 1) * per_thread + buf > s.range_size) {
      throw ValidationError(fmt::format("target range of {} is too small for {} threads of {}",
                                        format_bytes(Bytes(s.range_size)), s.threads,
                                        format_bytes(s.buffer)));
    }
    for (unsigned i = 0; i < s.threads; ++i) {
      loads_.push_back(std::make_unique<StreamCore>(load_config(s, inject_delay, i, per_thread)));
      sys.add(loads_.back().get());
    }
    if (with_chaser) {
      ChaseCoreConfig c;
      c.base = s.range_base + s.threads * per_thread;
      c.size = buf;
      c.think = s.host.chase_overhead;
      c.jitter = s.host.loop_jitter;
      c.seed = s.seed * 7919 + 17;
      c.measure_from = s.warmup;
      chaser_ = std::make_unique<ChaseCore>(c);
      sys.add(chaser_.get());
    }
  }
  // The point the threads measured once the run is over.
  [[nodiscard]] MlcPoint point(unsigned inject_delay) const {
    uint64_t bytes = chaser_ ? chaser_->bytes() : 0;
    for (const auto& l : loads_) bytes += l->bytes();
    MlcPoint p;
    p.inject_delay = inject_delay;
    p.latency_ns = chaser_ ? chaser_->mean_latency_ns() : 0.0;
    p.bandwidth_mbps = static_cast<double>(bytes) / (window_.nanoseconds() * 1e-9) / 1e6;
    return p;
  }

 private:
  static StreamCoreConfig load_config(const MlcSetup& s, unsigned inject_delay, unsigned i,
                                      uint64_t per_thread) {
    const uint64_t buf = s.buffer.value();
    StreamCoreConfig c;
    c.read_base = s.range_base + i * per_thread;
    c.read_size = buf;
    c.write_base = c.read_base + buf;
    c.write_size = buf;
    c.reads = s.reads;
    c.writes = s.writes;
    c.random = s.random;
    c.compute = s.host.loop_overhead +
                Duration::ns(s.host.inject_unit.nanoseconds() * inject_delay / s.lines_per_delay);
    c.max_outstanding = s.host.max_outstanding;
    c.prefetch_distance = s.host.prefetch_distance;
    c.lfb = s.host.lfb;
    c.ooo_window = s.host.ooo_window;
    if (s.writes > 0 && s.host.store_buffer > 0) {
      // A loop that stores runs ahead as far as its store buffer reaches: stores retire into it
      // without waiting for their reads for ownership, so the loop is held by the L2's miss
      // slots, not by the reorder buffer behind a load.
      c.lfb = c.max_outstanding;
      c.ooo_window =
          std::max(c.ooo_window, Duration::ns(c.compute.nanoseconds() * s.host.store_buffer *
                                              (s.reads + s.writes) / s.writes));
    }
    c.jitter = s.host.loop_jitter;
    c.seed = s.seed * 1000003 + i;
    c.measure_from = s.warmup;
    return c;
  }

  Duration window_;
  std::vector<std::unique_ptr<StreamCore>> loads_;
  std::unique_ptr<ChaseCore> chaser_;
};

}  // namespace

MlcPoint run_point(const MlcSetup& s, unsigned inject_delay, bool with_chaser) {
  // One host alone in a multi-host model gives the plain System's numbers wherever nothing is
  // snooped, and its snoop filter's back-invalidations of its own lines where it is.
  if (timing::has_shared_hdm_db(s.topology)) {
    return run_point_hosts({MlcHost{"h0", s}}, inject_delay, with_chaser).front();
  }
  System sys(s.host, s.local_dram, Bytes(kLocalSize), s.topology, device_for_of(s), s.regions);
  Threads threads(sys, s, inject_delay, with_chaser);
  sys.run_until(s.warmup + s.window);
  return threads.point(inject_delay);
}

void split_shared_ranges(std::vector<MlcHost>& hosts) {
  // The same range of the same regions (hosts decode their own addresses: the same HPA range on
  // other regions is other memory).
  using Key = std::tuple<uint64_t, uint64_t, std::vector<std::string>>;
  std::map<Key, std::vector<MlcSetup*>> by_range;
  for (MlcHost& h : hosts) {
    std::vector<std::string> regions;
    for (const RegionRequest& r : h.setup.regions) {
      regions.push_back(fmt::format("{}/{}/{}", r.window, r.ways, fmt::join(r.targets, ":")));
    }
    by_range[{h.setup.range_base, h.setup.range_size, regions}].push_back(&h.setup);
  }
  for (auto& [key, setups] : by_range) {
    const uint64_t part = std::get<1>(key) / setups.size() / 64 * 64;
    for (size_t k = 0; k < setups.size(); ++k) {
      setups[k]->range_base = std::get<0>(key) + k * part;
      setups[k]->range_size = part;
    }
  }
}

std::vector<MlcPoint> run_point_hosts(
    const std::vector<MlcHost>& hosts, unsigned inject_delay, bool with_chaser,
    std::vector<timing::BackInvalidationStats>* back_invalidation) {
  if (hosts.empty()) throw ValidationError("no host to run");
  const MlcSetup& first = hosts.front().setup;
  std::vector<HostSpec> specs;
  specs.reserve(hosts.size());
  for (const MlcHost& h : hosts) specs.push_back(HostSpec{h.name, h.setup.regions});
  MultiHost mh(first.host, first.local_dram, Bytes(kLocalSize), first.topology,
               device_for_of(first), specs);
  std::vector<std::unique_ptr<Threads>> threads;
  threads.reserve(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    threads.push_back(
        std::make_unique<Threads>(mh.host(i), hosts[i].setup, inject_delay, with_chaser));
  }
  mh.run_until(first.warmup + first.window);
  std::vector<MlcPoint> out;
  out.reserve(threads.size());
  if (back_invalidation != nullptr) back_invalidation->resize(threads.size());
  for (size_t i = 0; i < threads.size(); ++i) {
    out.push_back(threads[i]->point(inject_delay));
    if (back_invalidation != nullptr) (*back_invalidation)[i] += mh.pool().back_invalidation(i);
  }
  return out;
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
  if (out.empty()) {
    throw ParseError(fmt::format(
        "{}: no MLC loaded-latency table (Inject Delay / Latency / Bandwidth)", origin));
  }
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
    const double lo = std::min(a.bandwidth_mbps, b.bandwidth_mbps),
                 hi = std::max(a.bandwidth_mbps, b.bandwidth_mbps);
    if (bw < lo || bw > hi) continue;
    const double f =
        hi > lo ? (bw - a.bandwidth_mbps) / (b.bandwidth_mbps - a.bandwidth_mbps) : 0.0;
    const double d = static_cast<double>(a.inject_delay) +
                     f * (static_cast<double>(b.inject_delay) - a.inject_delay);
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
    if (std::fabs(std::log((p.inject_delay + 1.0) / (delay + 1.0))) <
        std::fabs(std::log((nearest->inject_delay + 1.0) / (delay + 1.0)))) {
      nearest = &p;
    }
  }
  if (bw <= lightest->bandwidth_mbps) return lightest->latency_ns;
  return nearest->latency_ns;
}

}  // namespace

CurveError compare_curves(const std::vector<MlcPoint>& sim, const std::vector<MlcPoint>& meas) {
  CurveError e;
  std::vector<MlcPoint> path = sim;
  std::sort(path.begin(), path.end(),
            [](const MlcPoint& a, const MlcPoint& b) { return a.inject_delay < b.inject_delay; });
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
  const MlcPoint& idle_m = *std::max_element(
      meas.begin(), meas.end(),
      [](const MlcPoint& a, const MlcPoint& b) { return a.inject_delay < b.inject_delay; });
  const MlcPoint* idle_s = at_delay(sim, idle_m.inject_delay);
  e.idle_err_pct = idle_s != nullptr
                       ? 100.0 * (idle_s->latency_ns - idle_m.latency_ns) / idle_m.latency_ns
                       : std::nan("");
  return e;
}

namespace {

// Memory reads:writes of MLC v3.10's -Wn traffic (mlc --help), stores reading for ownership.
struct Traffic {
  unsigned reads, writes;
  bool non_temporal;
};
std::optional<Traffic> mlc_traffic(unsigned w) {
  switch (w) {
    case 0:
      return Traffic{1, 0, false};
    case 2:
      return Traffic{2, 1, false};
    case 3:
      return Traffic{3, 1, false};
    case 4:
      return Traffic{3, 2, false};
    case 5:
      return Traffic{1, 1, false};
    case 6:
      return Traffic{0, 1, true};
    case 7:
      return Traffic{2, 1, true};
    case 8:
      return Traffic{1, 1, true};
    case 9:
      return Traffic{3, 1, true};
    case 10:
      return Traffic{2, 1, true};
    case 11:
      return Traffic{3, 1, false};
    case 12:
      return Traffic{4, 1, false};
    default:
      return std::nullopt;
  }
}

// CPUs in an MLC CPU list such as "1-11,96-101"; nullopt when it is not one.
std::optional<unsigned> cpu_count(const std::string& list) {
  unsigned n = 0;
  std::istringstream in(list);
  std::string part;
  while (std::getline(in, part, ',')) {
    unsigned a = 0, b = 0;
    char dash = 0;
    std::istringstream ps(part);
    if (!(ps >> a)) return std::nullopt;
    if (ps >> dash) {
      if (dash != '-' || !(ps >> b) || b < a) return std::nullopt;
    } else {
      b = a;
    }
    n += b - a + 1;
  }
  return n > 0 ? std::optional<unsigned>(n) : std::nullopt;
}

std::string delay_list(const std::vector<unsigned>& d) {
  std::string out;
  for (unsigned v : d) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

}  // namespace

std::optional<MlcLogRun> parse_mlc_header(const std::string& text, const std::string& origin) {
  constexpr std::string_view kKey = "Command line parameters:";
  const size_t at = text.find(kKey);
  if (at == std::string::npos) return std::nullopt;
  MlcLogRun run;
  const size_t end = text.find('\n', at);
  run.command = text.substr(at + kKey.size(),
                            end == std::string::npos ? std::string::npos : end - at - kKey.size());
  std::istringstream in(run.command);
  std::string tok;
  while (in >> tok) {
    if (tok.rfind("-k", 0) == 0) {
      run.threads = cpu_count(tok.substr(2));
      if (!run.threads) {
        throw ParseError(fmt::format("{}: MLC option '{}' is no CPU list", origin, tok));
      }
    } else if (tok.rfind("-W", 0) == 0) {
      unsigned w = 0;
      std::istringstream ws(tok.substr(2));
      if (!(ws >> w) || !mlc_traffic(w)) {
        throw ParseError(
            fmt::format("{}: MLC option '{}' is no traffic type of MLC v3.10", origin, tok));
      }
      run.traffic = w;
    } else if (tok == "-U") {
      run.random = true;
    }
  }
  const Traffic t = *mlc_traffic(run.traffic);
  run.reads = t.reads;
  run.writes = t.writes;
  run.non_temporal = t.non_temporal;
  return run;
}

CompareCheck check_comparable(const MlcSetup& s, std::span<const unsigned> delays,
                              const std::optional<MlcLogRun>& log,
                              const std::vector<MlcPoint>& meas) {
  CompareCheck c;
  if (!log) {
    c.warnings.emplace_back(
        "the log has no 'Command line parameters:' line: its thread count, mix and access pattern "
        "are not checked");
  } else {
    if (log->threads && *log->threads != s.threads) {
      // A warning, not a refusal: -k may list hyperthread siblings, which share a core's miss
      // slots, so a profile can be calibrated with fewer threads than CPUs listed.
      c.warnings.push_back(fmt::format(
          "the log ran {} load threads (MLC{}), the simulation {}: --threads {} runs as many "
          "(CPUs listed in -k may be hyperthread siblings sharing a core)",
          *log->threads, log->command, s.threads, *log->threads));
    }
    if (log->reads * s.writes != log->writes * s.reads) {
      c.errors.push_back(fmt::format(
          "the log's traffic is {}:{} reads:writes (MLC -W{}), the simulation's {}:{}: use --rw "
          "{}:{}",
          log->reads, log->writes, log->traffic, s.reads, s.writes, log->reads, log->writes));
    } else if (log->non_temporal && log->reads > 0) {
      c.warnings.push_back(fmt::format(
          "MLC -W{} writes with non-temporal stores; the model does not tell write kinds apart",
          log->traffic));
    }
    if (log->random != s.random) {
      c.errors.push_back(
          fmt::format("the log's access is {} (MLC{}), the simulation's {}: {} --random",
                      log->random ? "random" : "sequential", log->command,
                      s.random ? "random" : "sequential", log->random ? "add" : "drop"));
    }
  }
  std::vector<unsigned> unsimulated, unmeasured;
  for (const auto& m : meas) {
    if (std::find(delays.begin(), delays.end(), m.inject_delay) == delays.end()) {
      unsimulated.push_back(m.inject_delay);
    }
  }
  for (unsigned d : delays) {
    if (at_delay(meas, d) == nullptr) unmeasured.push_back(d);
  }
  if (!unsimulated.empty()) {
    c.warnings.push_back(fmt::format(
        "inject delays {} of the log are not simulated: their latencies are read off the simulated "
        "curve at equal "
        "bandwidth, the idle error needs the log's lightest ({}) and the peak its heaviest",
        delay_list(unsimulated),
        std::max_element(meas.begin(), meas.end(), [](const MlcPoint& a, const MlcPoint& b) {
          return a.inject_delay < b.inject_delay;
        })->inject_delay));
  }
  if (!unmeasured.empty()) {
    c.warnings.push_back(fmt::format(
        "simulated inject delays {} are not in the log: they only shape the simulated curve",
        delay_list(unmeasured)));
  }
  return c;
}

}  // namespace cxlsim::frontend
