#include "frontend/expander_timing.h"

#include <fmt/format.h>

#include <cmath>

#include "frontend/mlc.h"
#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

constexpr int kRounds = 4;  // measurements per tuned number (the model is near linear)

MlcSetup setup(const timing::HostProfile& host, const timing::DeviceProfile& local,
               const timing::DeviceProfile& device, const Topology& topo, const std::string& id) {
  timing::HostProfile h = host;
  h.cache.enabled = false;  // the device's own numbers, as `cxlsim mlc` measures by default
  return setup_for_topology(h, local, device, topo, id);
}

double idle_ns(const timing::HostProfile& host, const timing::DeviceProfile& local,
               const timing::DeviceProfile& d, const Topology& topo, const std::string& id) {
  return idle_latency_ns(setup(host, local, d, topo, id));
}

double peak_gbps(const timing::HostProfile& host, const timing::DeviceProfile& local,
                 const timing::DeviceProfile& d, const Topology& topo, const std::string& id,
                 bool writes) {
  MlcSetup s = setup(host, local, d, topo, id);
  s.reads = writes ? 0 : 1;
  s.writes = writes ? 1 : 0;
  s.lines_per_delay = mlc_lines_per_delay(s.reads, s.writes);
  return max_bandwidth_mbps(s) / 1000.0;
}

// Tunes the pipeline rate `rate` (throughput or write_throughput) until the peak is `want`.
void tune_bandwidth(const timing::HostProfile& host, const timing::DeviceProfile& local,
                    timing::DeviceProfile& d, const Topology& topo, const std::string& id,
                    Bandwidth timing::DeviceProfile::*rate, double want, bool writes) {
  const double peak = peak_gbps(host, local, d, topo, id, writes);
  if (want > peak * 1.005) {
    throw ValidationError(fmt::format(
        "{}: {} bandwidth {:.2f} GB/s is above the {:.2f} GB/s its link and media reach (an "
        "override can only lower it; give a faster profile with --device-of)",
        id, writes ? "write" : "read", want, peak));
  }
  double r = want;
  for (int i = 0; i < kRounds; ++i) {
    d.*rate = Bandwidth::gb_per_second(r);
    const double got = peak_gbps(host, local, d, topo, id, writes);
    if (std::abs(got - want) <= 0.002 * want) break;
    r *= want / got;
  }
}

}  // namespace

ExpanderMeasure measure_expander(const timing::HostProfile& host,
                                 const timing::DeviceProfile& local,
                                 const timing::DeviceProfile& device, const Topology& topo,
                                 const std::string& id) {
  return {idle_ns(host, local, device, topo, id), peak_gbps(host, local, device, topo, id, false),
          peak_gbps(host, local, device, topo, id, true)};
}

timing::DeviceProfile tune_expander(const timing::HostProfile& host,
                                    const timing::DeviceProfile& local,
                                    const timing::DeviceProfile& device, const Topology& topo,
                                    const std::string& id, const ExpanderTiming& t) {
  timing::DeviceProfile d = device;
  d.name = fmt::format("{} (tuned)", device.name);
  double read_ns = 0;
  if (t.read_latency) {
    const double want = t.read_latency->nanoseconds();
    for (int i = 0; i < kRounds; ++i) {
      const double got = idle_ns(host, local, d, topo, id);
      if (std::abs(got - want) <= 0.001 * want) break;
      const Duration fe = d.frontend_latency + Duration::ns(want - got);
      if (fe < Duration()) {
        const double fixed = got - d.frontend_latency.nanoseconds();
        throw ValidationError(
            fmt::format("{}: read latency {:.1f} ns is below the {:.1f} ns its path takes without "
                        "the controller (host, ports, links, media)",
                        id, want, fixed));
      }
      d.frontend_latency = fe;
    }
    read_ns = want;
  }
  if (t.write_latency) {
    if (!t.read_latency) read_ns = idle_ns(host, local, d, topo, id);
    d.write_latency_shift = Duration::ns(t.write_latency->nanoseconds() - read_ns);
    if (d.frontend_latency + d.write_latency_shift < Duration()) {
      throw ValidationError(fmt::format(
          "{}: write latency {:.1f} ns is below the {:.1f} ns its path takes without the "
          "controller",
          id, t.write_latency->nanoseconds(), read_ns - d.frontend_latency.nanoseconds()));
    }
  }
  if (t.read_bandwidth) {
    tune_bandwidth(host, local, d, topo, id, &timing::DeviceProfile::throughput,
                   t.read_bandwidth->gb_per_second(), false);
  }
  if (t.write_bandwidth) {
    tune_bandwidth(host, local, d, topo, id, &timing::DeviceProfile::write_throughput,
                   t.write_bandwidth->gb_per_second(), true);
  }
  return d;
}

}  // namespace cxlsim::frontend
