// The device controller's request pipeline ([controller] throughput_gbps): one request per
// 64 B / throughput, reads and writes alike, in arrival order.
#include <gtest/gtest.h>

#include "timing/profile.h"
#include "timing/switch_tree.h"
#include "timing/system.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

struct Rig {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile dev = quiet(load_device_profile("eurosys24-asic"));
  [[nodiscard]] System make() const {
    return {host, local, GiB(64), switch_tree(0, 1), [this](const std::string&) { return dev; }};
  }
};

// Latency of the second of two reads issued together to two idle sub-channels, minus the first's.
Duration second_read_lag(const Rig& rig) {
  System sys = rig.make();
  const uint64_t base = sys.regions().front().base;
  OneRead a(Duration::ns(1000), base), b(Duration::ns(1000), base + 256);  // 256 B: next channel
  sys.add(&a);
  sys.add(&b);
  sys.run_until(Duration::ns(5000));
  return *b.latency - *a.latency;
}

TEST(ControllerThroughput, SpacesRequestsByItsPipelineTime) {
  Rig rig;
  rig.dev.throughput = Bandwidth();
  const Duration open = second_read_lag(rig);  // the response slots on the link only
  EXPECT_LT(open, Duration::ns(3));
  rig.dev.throughput = Bandwidth::gb_per_second(6.4);  // 10 ns per 64 B request
  EXPECT_GE(second_read_lag(rig), Duration::ns(9.5));
}

TEST(ControllerThroughput, CapsSaturatedTrafficBelowTheLink) {
  Rig rig;
  rig.dev.throughput = Bandwidth();
  System open = rig.make();
  EXPECT_GT(saturated_read_gbps(open), 40.0);  // the x16 link's read peak
  rig.dev.throughput = Bandwidth::gb_per_second(20);
  System capped = rig.make();
  EXPECT_NEAR(saturated_read_gbps(capped), 20.0, 0.4);
}

}  // namespace
}  // namespace cxlsim::timing
