#include "timing/stream_core.h"

#include <gtest/gtest.h>

#include "timing/profile.h"
#include "timing/switch_tree.h"
#include "timing/system.h"

namespace cxlsim::timing {
namespace {

// One core reading random lines of local DRAM with `compute` of work per line and no
// prefetcher: returns the mean time per line and the idle read latency.
std::pair<double, double> random_line_time(Duration compute, Duration ooo) {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = load_device_profile("eurosys24-ddr5");
  local.dram.tREFI = Duration();           // no refresh
  local.dram.powerdown_idle = Duration();  // no power-down: every read costs the idle latency
  System sys(host, local, GiB(64), switch_tree(0, 1),
             [&](const std::string&) { return load_device_profile("eurosys24-asic"); });
  StreamCoreConfig c;
  c.read_base = 0;
  c.read_size = GiB(1).value();
  c.random = true;
  c.compute = compute;
  c.ooo_window = ooo;
  c.prefetch_distance = 0;
  c.measure_from = Duration::ns(10000);
  StreamCore core(c);
  sys.add(&core);
  sys.run_until(Duration::ns(210000));
  return {200000.0 / static_cast<double>(core.requests()), sys.idle_read_latency(0).nanoseconds()};
}

// An out-of-order core reaches the next (independent) load only when its reorder buffer has
// room: with more work per line than the window holds, a line costs latency + work - window,
// not max(latency, work).
TEST(StreamCore, RandomLoadIssuesWhenTheReorderBufferReachesIt) {
  const auto [t, lat] = random_line_time(Duration::ns(500), Duration::ns(25));
  // A random line finds its bank closed (first touch) or another row open there (+ tRP).
  const double rp = load_device_profile("eurosys24-ddr5").dram.tRP.nanoseconds();
  EXPECT_GE(t, lat + 500 - 25 - 0.5);
  EXPECT_LE(t, lat + rp + 500 - 25 + 0.5);
  // Issuing the next load as soon as the previous one is consumed would give max(lat, 500).
  EXPECT_GT(t, 500 + 0.5 * lat);
}

// With the window larger than the work per line, several loads are in flight and a line
// costs the work alone once latency is covered.
TEST(StreamCore, RandomLoadsOverlapWhenTheWindowHoldsSeveralLines) {
  const auto [t, lat] = random_line_time(Duration::ns(20), Duration::ns(50));
  // Window 1 + 50/20 = 3 lines in flight: well under one latency per line, never under the work.
  EXPECT_LT(t, 0.6 * lat);
  EXPECT_GE(t, 20 * 0.999);
}

}  // namespace
}  // namespace cxlsim::timing
