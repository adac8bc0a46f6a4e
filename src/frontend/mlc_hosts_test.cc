// MLC's threads on several hosts at once over builtin:switch (frontend/mlc.h run_point_hosts).
#include <gtest/gtest.h>

#include "frontend/mlc.h"
#include "frontend/topology_arg.h"

namespace cxlsim::frontend {
namespace {

MlcHost host_on(const std::string& name, const std::string& target) {
  MlcHost h{name, setup_for_topology(timing::load_host_profile("spr-xeon"),
                                     timing::load_device_profile("eurosys24-ddr5"),
                                     timing::load_device_profile("eurosys24-asic"),
                                     resolve_topology("builtin:switch"), target)};
  h.setup.window = Duration::ns(60'000);
  return h;
}

double alone(const std::string& target) {
  return run_point_hosts({host_on("h0", target)}, 0, false)[0].bandwidth_mbps;
}

TEST(MlcHosts, OneHostIsTheSingleHostRun) {
  const MlcHost h = host_on("h0", "mem0");
  const MlcPoint single = run_point(h.setup, 100);
  const MlcPoint multi = run_point_hosts({h}, 100)[0];
  EXPECT_EQ(single.bandwidth_mbps, multi.bandwidth_mbps);
  EXPECT_EQ(single.latency_ns, multi.latency_ns);
}

TEST(MlcHosts, HostsOnOneDeviceSplitItsBandwidthAndSeeMoreLatency) {
  const double one = alone("mem0");
  std::vector<MlcHost> hosts = {host_on("h0", "mem0"), host_on("h1", "mem0")};
  split_shared_ranges(hosts);
  EXPECT_NE(hosts[0].setup.range_base, hosts[1].setup.range_base);
  const auto bw = run_point_hosts(hosts, 0, false);
  for (const MlcPoint& p : bw) {
    EXPECT_GT(p.bandwidth_mbps, 0.4 * one);
    EXPECT_LT(p.bandwidth_mbps, 0.6 * one);
  }
  EXPECT_NEAR(bw[0].bandwidth_mbps + bw[1].bandwidth_mbps, one, 0.05 * one);
  // The latency thread of a host sharing its device with a loaded host waits longer.
  const MlcPoint idle = run_point_hosts({hosts[0]}, 0)[0];
  EXPECT_GT(run_point_hosts(hosts, 0)[0].latency_ns, 1.2 * idle.latency_ns);
}

TEST(MlcHosts, HostsOnTwoDevicesKeepTheirBandwidth) {
  const double one = alone("mem0");
  std::vector<MlcHost> hosts = {host_on("h0", "mem0"), host_on("h1", "mem1")};
  const uint64_t whole = hosts[1].setup.range_size;
  split_shared_ranges(hosts);  // the same HPA range, but of regions on other memdevs
  EXPECT_EQ(hosts[1].setup.range_size, whole);
  const auto bw = run_point_hosts(hosts, 0, false);
  EXPECT_NEAR(bw[0].bandwidth_mbps, one, 0.02 * one);
  EXPECT_NEAR(bw[1].bandwidth_mbps, one, 0.02 * one);
}

}  // namespace
}  // namespace cxlsim::frontend
