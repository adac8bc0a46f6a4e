// One trace per host at once over one fabric (frontend/replay.h replay_hosts).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fabric/fabric.h"
#include "frontend/replay.h"
#include "frontend/topology_arg.h"
#include "timing/system.h"

namespace cxlsim::frontend {
namespace {

// A text trace of `lines` sequential 64 B reads; removed with the object.
struct TraceFile {
  std::filesystem::path path;
  explicit TraceFile(const std::string& name, unsigned lines) {
    path =
        std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".txt");
    std::ofstream out(path);
    for (unsigned i = 0; i < lines; ++i) out << "R " << std::hex << 0x10000000 + i * 64 << "\n";
  }
  ~TraceFile() { std::filesystem::remove(path); }
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
};

ReplayConfig config() {
  ReplayConfig c;
  c.host = timing::load_host_profile("spr-xeon");
  c.local_dram = timing::load_device_profile("eurosys24-ddr5");
  c.topology = resolve_topology("builtin:switch");
  c.device_for = [d = timing::load_device_profile("eurosys24-asic")](const std::string&) {
    return d;
  };
  const auto f = Fabric::build(timing::place_windows(c.topology, GiB(64)),
                               FabricOptions{.map_backing_files = false});
  c.regions = {timing::memdev_region(*f, "mem0")};
  c.placement = parse_placement("all-cxl");
  c.max_outstanding = 1024;  // enough in flight for one host to saturate the device link
  return c;
}

TEST(ReplayHosts, OneHostIsTheSingleHostReplay) {
  const TraceFile file("one", 20000);
  const ReplayConfig c = config();
  auto a = open_trace(file.path);
  const ReplayResult single = replay(*a, c);
  auto b = open_trace(file.path);
  const HostsReplayResult multi = replay_hosts({{"h0", b.get(), {}}}, c);
  ASSERT_EQ(multi.hosts.size(), 1u);
  EXPECT_EQ(multi.hosts[0].requests, 20000u);
  EXPECT_EQ(single.elapsed_ns, multi.hosts[0].elapsed_ns);
  EXPECT_EQ(single.latency.mean(), multi.hosts[0].latency.mean());
}

TEST(ReplayHosts, TwoHostsOnOneDeviceEachTakeAboutTwiceAsLong) {
  const TraceFile f0("h0", 20000), f1("h1", 20000);
  const ReplayConfig c = config();
  auto alone_trace = open_trace(f0.path);
  const ReplayResult alone = replay_hosts({{"h0", alone_trace.get(), {}}}, c).hosts[0];
  auto t0 = open_trace(f0.path), t1 = open_trace(f1.path);
  const HostsReplayResult both = replay_hosts({{"h0", t0.get(), {}}, {"h1", t1.get(), {}}}, c);
  for (const ReplayResult& h : both.hosts) {
    EXPECT_EQ(h.requests, 20000u);
    EXPECT_GT(h.elapsed_ns, 1.6 * alone.elapsed_ns);
    EXPECT_LT(h.elapsed_ns, 2.4 * alone.elapsed_ns);
    EXPECT_GT(h.latency.mean(), 1.5 * alone.latency.mean());
  }
  // The shared mem0 media served both hosts' lines; each host's root-port link is its own.
  unsigned seen = 0;
  for (const ComponentStat& s : both.shared) {
    if (s.name == "mem0 media") {
      EXPECT_EQ(s.requests, 40000u);
      ++seen;
    }
    if (s.name.rfind("h1:", 0) == 0 && s.kind == "link-up") {
      EXPECT_EQ(s.requests, 20000u);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2u);
}

TEST(ReplayHosts, AHostOnItsOwnRegionOnAnotherDeviceIsNotSlowed) {
  const TraceFile f0("own0", 20000), f1("own1", 20000);
  const ReplayConfig c = config();  // regions: mem0
  auto alone_trace = open_trace(f0.path);
  const double alone = replay_hosts({{"h0", alone_trace.get(), {}}}, c).hosts[0].elapsed_ns;
  const auto f = Fabric::build(timing::place_windows(c.topology, GiB(64)),
                               FabricOptions{.map_backing_files = false});
  auto t0 = open_trace(f0.path), t1 = open_trace(f1.path);
  const HostsReplayResult both = replay_hosts(
      {{"h0", t0.get(), {}}, {"h1", t1.get(), {timing::memdev_region(*f, "mem1")}}}, c);
  for (const ReplayResult& h : both.hosts) EXPECT_NEAR(h.elapsed_ns, alone, 0.02 * alone);
}

}  // namespace
}  // namespace cxlsim::frontend
