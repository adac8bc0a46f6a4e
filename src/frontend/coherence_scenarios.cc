#include "frontend/coherence_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "spec/error.h"
#include "timing/coherence_timer.h"
#include "timing/system.h"

namespace cxlsim::frontend {
namespace {

using coherence::Access;
using coherence::Config;
using coherence::Flavour;
using timing::CoherenceTimer;
using timing::CoherentAgent;
using timing::CoherentHome;

// Controller and DRAM latency of one idle line read (what System::idle_read_latency adds
// besides the host's and the links' parts).
Duration memory_latency(const timing::DeviceProfile& p) {
  Duration d = p.frontend_latency + p.backend_latency + p.dram.tRCD + p.dram.tCL + p.dram.burst();
  if (p.dram.powerdown_idle > Duration()) d += p.dram.tXP;
  return d;
}

// The System for the topology, and the accelerator's place in it.
struct Rig {
  std::unique_ptr<timing::System> sys;
  size_t accel = 0;
  std::string accel_name;
  Duration host_memory, device_memory;
  uint32_t cache_lines = 0;  // the device cache (Type2Spec::cache_size) in lines; 0: none stated

  explicit Rig(const CoherenceSetup& s) {
    std::string want = s.accel;
    if (want.empty()) {
      if (s.topology.type2.empty()) {
        throw ValidationError("the topology has no Type 2 device (try builtin:type2-accel)");
      }
      want = s.topology.type2.front().id;
    } else if (s.topology.find_type2(want) == nullptr) {
      throw ValidationError(fmt::format("'{}' is no Type 2 device of the topology", want));
    }
    sys = std::make_unique<timing::System>(s.host, s.local, GiB(64), s.topology,
                                           [&](const std::string&) { return s.device; });
    for (size_t t = 0; t < sys->targets().size(); ++t) {
      if (sys->targets()[t].name == want) accel = t;
    }
    if (accel == 0) throw ValidationError(fmt::format("'{}' has no memory the host maps", want));
    accel_name = want;
    cache_lines = static_cast<uint32_t>(s.topology.find_type2(want)->cache_size.value() / 64);
    host_memory = memory_latency(s.local);
    device_memory = memory_latency(s.device);
  }
  [[nodiscard]] const std::vector<timing::Hop>& path() const { return sys->targets()[accel].hops; }
  [[nodiscard]] std::string path_text() const {
    std::string out = "host";
    for (const timing::Hop& h : path()) out += ", link " + h.link->name();
    return out + ", " + accel_name +
           (cache_lines ? fmt::format(" (cache {} lines)", cache_lines) : "");
  }
};

CoherentAgent host_core(const CoherenceSetup& s) {
  return {"host core",       {}, s.host.core_to_home, s.costs.host_snoop, s.host.home_to_core,
          s.costs.host_snoop};
}
CoherentAgent device(const CoherenceSetup& s, const Rig& r) {
  CoherentAgent a{r.accel_name,         r.path(),   s.costs.device_cache,
                  s.costs.device_cache, Duration(), s.costs.device_cache};
  a.capacity = r.cache_lines;  // the Type 2 device's cache as the topology sizes it
  return a;
}

Config cache_config(uint8_t agents, uint16_t lines) {
  Config c;
  c.flavour = Flavour::kCache;
  c.agents = agents;
  c.lines = lines;
  return c;
}

// Mean latency and messages of a set of accesses.
struct Tally {
  Duration sum;
  uint64_t n = 0, messages = 0;
  void add(const timing::AccessCost& c) {
    sum += c.completed - c.issued;
    ++n;
    messages += static_cast<uint64_t>(c.messages);
  }
  [[nodiscard]] CoherenceRow row(std::string name, std::string note = {}) const {
    const double k = n == 0 ? 1.0 : static_cast<double>(n);
    return {std::move(name), sum.nanoseconds() / k, n, static_cast<double>(messages) / k,
            std::move(note)};
  }
};

uint16_t lines_of(const CoherenceSetup& s) {
  if (s.accesses == 0 || s.accesses > 16384) throw ValidationError("--accesses must be 1..16384");
  return static_cast<uint16_t>(s.accesses);
}

CoherenceReport d2h_read(const CoherenceSetup& s) {
  Rig rig(s);
  const uint16_t n = lines_of(s);
  CoherentHome home{true, s.costs.home, rig.host_memory, -1, Duration()};
  CoherenceTimer timer(cache_config(2, n), {device(s, rig), host_core(s)}, home);
  Tally cold, snooped;
  Duration t;
  for (uint16_t l = 0; l < n; ++l) {  // lines no cache holds
    const auto c = timer.access(0, l, Access::kLoad, 0, t);
    cold.add(c);
    t = timer.access(0, l, Access::kEvict, 0, c.completed).completed;
  }
  for (uint16_t l = 0; l < n; ++l) {  // lines a host core holds modified
    t = timer.access(1, l, Access::kStore, 1, t).completed;
    const auto c = timer.access(0, l, Access::kLoad, 0, t);
    snooped.add(c);
    t = timer.access(0, l, Access::kEvict, 0, c.completed).completed;
  }
  // A 64-byte DMA read the way a PCIe device does it, on the same path when idle: the host
  // rings a doorbell (MMIO write), the device fetches the descriptor, then the data.
  Duration dma = s.host.core_to_home;
  for (const timing::Hop& h : rig.path()) {
    dma += h.before + h.link->idle_latency(timing::Msg::kReqWriteData);
  }
  for (int round = 0; round < 2; ++round) {
    dma += s.costs.device_cache + s.costs.home + rig.host_memory;
    for (const timing::Hop& h : rig.path()) {
      dma += h.before * 2 + h.link->idle_latency(timing::Msg::kRespNoData) +
             h.link->idle_latency(timing::Msg::kRespData);
    }
  }
  CoherenceReport r{"d2h-read", rig.path_text(), {}, {}};
  r.rows.push_back(cold.row("D2H read of host memory (RdAny, uncached line)"));
  r.rows.push_back(snooped.row("D2H read of a line a host core holds modified (SnpData)"));
  const double local = rig.sys->idle_read_latency(0).nanoseconds();
  const double cxl_mem = rig.sys->idle_read_latency(rig.accel).nanoseconds();
  r.rows.push_back(
      {"host core read of local DRAM (idle)", local, 1, 0, "System::idle_read_latency"});
  r.rows.push_back(
      {"host core read of the device's memory over CXL.mem (idle)", cxl_mem, 1, 0, ""});
  r.rows.push_back(
      {"DMA read of 64 B (doorbell, descriptor, data; idle)", dma.nanoseconds(), 1, 0, "estimate"});
  r.ratios.emplace_back("d2h_read_over_local_read", r.rows[0].latency_ns / local);
  r.ratios.emplace_back("cxl_cache_read_over_dma_read", r.rows[0].latency_ns / dma.nanoseconds());
  return r;
}

CoherenceReport hdm_bias(const CoherenceSetup& s, bool device_bias) {
  Rig rig(s);
  const uint16_t n = lines_of(s);
  Config c = cache_config(2, n);
  c.device_agent = 1;
  c.lines_per_page = 1;
  CoherentHome home{true, s.costs.home, rig.host_memory, 1, rig.device_memory};
  CoherenceTimer timer(c, {host_core(s), device(s, rig)}, home);
  Duration t;
  if (device_bias) {
    for (uint16_t p = 0; p < n; ++p) t = timer.flip_to_device(p, t);
  }
  Tally dev_read, dev_write, host_read;
  for (uint16_t l = 0; l < n; ++l) {
    const auto rd = timer.access(1, l, Access::kLoad, 0, t);
    dev_read.add(rd);
    t = timer.access(1, l, Access::kEvict, 0, rd.completed).completed;
    const auto wr = timer.access(1, l, Access::kStore, 2, t);
    dev_write.add(wr);
    t = timer.access(1, l, Access::kEvict, 0, wr.completed).completed;
  }
  for (uint16_t l = 0; l < n; ++l) {
    // In device bias the device's DCOH resolves the host's read and gives the page up to host
    // bias (CXL 3.1 §2.2.2.2, §3.5.2.2).
    const auto rd = timer.access(0, l, Access::kLoad, 0, t);
    host_read.add(rd);
    t = timer.access(0, l, Access::kEvict, 0, rd.completed).completed;
  }
  CoherenceReport r{device_bias ? "hdm-device-bias" : "hdm-host-bias", rig.path_text(), {}, {}};
  const char* bias = device_bias ? "device bias" : "host bias";
  r.rows.push_back(dev_read.row(fmt::format("device read of its own HDM, {}", bias)));
  r.rows.push_back(dev_write.row(fmt::format("device write of its own HDM, {}", bias)));
  r.rows.push_back(host_read.row(fmt::format("host core read of the device's HDM, {}", bias),
                                 device_bias ? "the device resolves it, page to host bias" : ""));
  return r;
}

CoherenceReport pingpong(const CoherenceSetup& s) {
  Rig rig(s);
  const unsigned n = lines_of(s);
  CoherentHome home{true, s.costs.home, rig.host_memory, -1, Duration()};
  CoherenceTimer timer(cache_config(2, 1), {host_core(s), device(s, rig)}, home);
  Tally to_device, to_host;
  Duration t = timer.access(0, 0, Access::kStore, 1, Duration()).completed;
  for (unsigned i = 0; i < n; ++i) {
    const auto d = timer.access(1, 0, Access::kStore, static_cast<uint8_t>(2 * i), t);
    to_device.add(d);
    const auto h = timer.access(0, 0, Access::kStore, static_cast<uint8_t>(2 * i + 1), d.completed);
    to_host.add(h);
    t = h.completed;
  }
  CoherenceReport r{"pingpong", rig.path_text(), {}, {}};
  r.rows.push_back(
      to_device.row("device takes the line from a host core (RdOwn, SnpInv, RspIFwdM)"));
  r.rows.push_back(to_host.row("host core takes the line from the device (SnpInv over CXL.cache)"));
  return r;
}

CoherenceReport shared_write(const CoherenceSetup& s) {
  if (s.hosts == 0 || s.hosts > coherence::kMaxAgents) {
    throw ValidationError(fmt::format("--hosts must be 1..{}", coherence::kMaxAgents));
  }
  const unsigned n = lines_of(s);
  // Each host has its own link to the device (a multi-headed device or one behind a switch
  // per host): the device's link profile, behind the host's root port.
  std::vector<std::unique_ptr<timing::FlitLink>> links;
  std::vector<CoherentAgent> hosts;
  for (unsigned h = 0; h < s.hosts; ++h) {
    links.push_back(
        std::make_unique<timing::FlitLink>(fmt::format("host{}-link", h), s.device.link));
    hosts.push_back({fmt::format("host{}", h),
                     {timing::Hop{s.host.root_port_latency, links.back().get(), false}},
                     s.host.core_to_home,
                     s.costs.host_snoop,
                     s.host.home_to_core,
                     s.costs.host_snoop});
  }
  Config c = cache_config(static_cast<uint8_t>(s.hosts), 1);
  c.flavour = Flavour::kBackInvalidate;
  CoherentHome home{false, s.costs.home, memory_latency(s.device), -1, Duration()};
  CoherenceTimer timer(c, std::move(hosts), home);
  std::vector<Duration> next(s.hosts);
  Tally writes;
  Duration end;
  for (unsigned i = 0; i < n; ++i) {
    const auto h = static_cast<uint8_t>(std::min_element(next.begin(), next.end()) - next.begin());
    const auto w = timer.access(h, 0, Access::kStore, static_cast<uint8_t>(i), next[h]);
    writes.add(w);
    next[h] = w.completed;
    end = std::max(end, w.completed);
  }
  CoherenceReport r{"shared-write",
                    fmt::format("{} hosts -> own links -> device (HDM-DB, DCOH home)", s.hosts),
                    {},
                    {}};
  r.rows.push_back(
      writes.row(fmt::format("write of one shared line by {} hosts (MemRd,A, BISnpInv)", s.hosts)));
  r.rows.push_back({"time per write, all hosts together", end.nanoseconds() / n, n, 0,
                    "throughput = 1000 / this, writes/us"});
  r.ratios.emplace_back(
      "bisnp_per_write",
      static_cast<double>(timer.sent(coherence::Channel::kS2MBISnp)) / static_cast<double>(n));
  return r;
}

// Issues `a` on lines [first, first + n) from `agent`, `window` in flight; returns the end.
Duration stream(CoherenceTimer& timer, uint8_t agent, uint16_t first, uint16_t n, Access a,
                Duration start, unsigned window, uint64_t& messages) {
  std::vector<Duration> done(std::max(1u, window), start);
  Duration end = start;
  for (uint16_t i = 0; i < n; ++i) {
    Duration& slot = done[i % done.size()];
    const auto c =
        timer.access(agent, static_cast<uint16_t>(first + i), a, 1, std::max(start, slot));
    slot = c.completed;
    end = std::max(end, c.completed);
    messages += static_cast<uint64_t>(c.messages);
  }
  return end;
}

// Lines of each phase of an offload (see cost_offload). The compute phase reads `dev_read`
// lines of the input and writes `dev_write` lines of the output, `passes` times.
struct OffloadPlan {
  uint64_t up = 0, dev_read = 0, dev_write = 0, down = 0;
  unsigned passes = 1;
};

// Appends the phases of `p` to `r`, once with bias flips around the compute and once in host
// bias throughout, and their totals to r.ratios. Each phase runs on at most s.accesses lines
// (the sample) and is scaled to its line count: the phases are streams, steady after a few
// windows, so time grows linearly with lines.
void offload(const CoherenceSetup& s, const OffloadPlan& p, CoherenceReport& r) {
  const uint16_t cap = lines_of(s);
  auto sample = [&](uint64_t lines) {
    return static_cast<uint16_t>(std::min<uint64_t>(lines, cap));
  };
  const uint16_t up = sample(p.up), dr = sample(p.dev_read), dw = sample(p.dev_write),
                 down = sample(p.down);
  const uint16_t in = std::max(up, dr), out = std::max(dw, down);
  const uint16_t per_page = 64;  // 4 KiB pages
  const auto pages = static_cast<uint16_t>((in + out + per_page - 1) / per_page);
  auto scale = [](uint64_t lines, uint64_t sampled) {
    return sampled == 0 ? 0.0 : static_cast<double>(lines) / static_cast<double>(sampled);
  };
  const uint64_t real_pages =
      (std::max(p.up, p.dev_read) + std::max(p.dev_write, p.down) + per_page - 1) / per_page;
  const double page_scale = scale(real_pages, pages);
  for (bool flips : {true, false}) {
    Config c = cache_config(2, static_cast<uint16_t>(std::max<int>(pages, 1) * per_page));
    c.device_agent = 1;
    c.lines_per_page = per_page;
    Rig rig(s);  // links idle for each run
    CoherentHome home{true, s.costs.home, rig.host_memory, 1, rig.device_memory};
    CoherenceTimer timer(c, {host_core(s), device(s, rig)}, home);
    uint64_t msgs = 0;
    double total_ns = 0;
    const std::string mode = flips ? "bias flips" : "host bias throughout";
    auto phase = [&](const std::string& name, Duration from, Duration to, uint64_t sampled,
                     uint64_t count, double k) {
      const double ns = (to - from).nanoseconds() * k;
      total_ns += ns;
      r.rows.push_back(
          {fmt::format("{} ({})", name, mode), ns, count,
           sampled == 0 ? 0.0 : static_cast<double>(msgs) / static_cast<double>(sampled),
           "phase duration"});
    };
    // Upload: the host writes the input into device memory, then flushes it from its caches.
    Duration t = stream(timer, 0, 0, up, Access::kStoreFull, Duration(), s.window, msgs);
    t = stream(timer, 0, 0, up, Access::kEvict, t, s.window, msgs);
    phase("upload input", Duration(), t, up, p.up, scale(p.up, up));
    Duration from = t;
    if (flips) {
      for (uint16_t pg = 0; pg < pages; ++pg) t = timer.flip_to_device(pg, t);
      msgs = 0;
      phase("flip to device bias", from, t, 0, real_pages, page_scale);
    }
    // Compute: the device reads the input and writes the output.
    from = t;
    msgs = 0;
    for (unsigned pass = 0; pass < p.passes; ++pass) {  // time steps over the whole state
      t = stream(timer, 1, 0, dr, Access::kLoad, t, s.window, msgs);
      t = stream(timer, 1, in, dw, Access::kStoreFull, t, s.window, msgs);
    }
    const uint64_t dev = p.dev_read + p.dev_write, dev_sampled = uint64_t{dr} + dw;
    phase("compute on the device", from, t, dev_sampled * p.passes, dev * p.passes,
          scale(dev, dev_sampled));
    if (flips) {
      from = t;
      for (uint16_t pg = 0; pg < pages; ++pg) t = timer.flip_to_host(pg, t);
      msgs = 0;
      phase("flip to host bias", from, t, 0, real_pages, page_scale);
    }
    from = t;
    msgs = 0;
    t = stream(timer, 0, in, down, Access::kLoad, t, s.window, msgs);
    phase("download output", from, t, down, p.down, scale(p.down, down));
    r.ratios.emplace_back(flips ? "total_ns_with_flips" : "total_ns_host_bias", total_ns);
  }
}

CoherenceReport weather(const CoherenceSetup& s) {
  const uint16_t n = lines_of(s);
  CoherenceReport r{"weather", Rig(s).path_text(), {}, {}};
  offload(s, {n, n, n, n, s.passes}, r);
  return r;
}

}  // namespace

CoherenceReport cost_offload(const CoherenceSetup& s, const OffloadTraffic& t) {
  auto lines = [](uint64_t bytes) { return (bytes + 63) / 64; };
  CoherenceReport r{"offload", Rig(s).path_text(), {}, {}};
  offload(s,
          {lines(t.upload_bytes), lines(t.device_read_bytes), lines(t.device_write_bytes),
           lines(t.download_bytes), 1},
          r);
  return r;
}

std::vector<std::string> coherence_scenarios() {
  return {"d2h-read", "hdm-host-bias", "hdm-device-bias", "pingpong", "shared-write", "weather"};
}

CoherenceReport run_coherence(const std::string& scenario, const CoherenceSetup& s) {
  if (scenario == "d2h-read") return d2h_read(s);
  if (scenario == "hdm-host-bias") return hdm_bias(s, false);
  if (scenario == "hdm-device-bias") return hdm_bias(s, true);
  if (scenario == "pingpong") return pingpong(s);
  if (scenario == "shared-write") return shared_write(s);
  if (scenario == "weather") return weather(s);
  throw ValidationError(fmt::format("unknown scenario '{}'", scenario));
}

}  // namespace cxlsim::frontend
