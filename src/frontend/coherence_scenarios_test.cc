// cost_offload: the program's line counts per phase, sampling and scaling, and the same result
// as the weather scenario where the counts fit the sample.
#include "frontend/coherence_scenarios.h"

#include <gtest/gtest.h>

#include "fabric/topology_loader.h"
#include "timing/profile.h"

namespace cxlsim::frontend {
namespace {

constexpr uint64_t kLine = 64;  // bytes

CoherenceSetup setup(unsigned accesses) {
  CoherenceSetup s;
  s.host = timing::load_host_profile("spr-xeon");
  s.local = timing::load_device_profile("eurosys24-ddr5");
  s.device = timing::load_device_profile("eurosys24-asic");
  s.topology = load_topology("builtin:type2-accel");
  s.accesses = accesses;
  return s;
}

double phase(const CoherenceReport& r, const std::string& name) {
  for (const auto& row : r.rows) {
    if (row.name == name) return row.latency_ns;
  }
  ADD_FAILURE() << "no phase " << name;
  return 0;
}

TEST(CostOffload, EqualsTheWeatherScenarioWhenTheCountsFitTheSample) {
  const CoherenceSetup s = setup(256);
  const CoherenceReport w = run_coherence("weather", s);
  const CoherenceReport o = cost_offload(s, {256 * kLine, 256 * kLine, 256 * kLine, 256 * kLine});
  ASSERT_EQ(w.rows.size(), o.rows.size());
  for (size_t i = 0; i < w.rows.size(); ++i) {
    EXPECT_EQ(w.rows[i].name, o.rows[i].name);
    EXPECT_DOUBLE_EQ(w.rows[i].latency_ns, o.rows[i].latency_ns) << w.rows[i].name;
    EXPECT_EQ(w.rows[i].count, o.rows[i].count);
  }
}

TEST(CostOffload, PhasesBeyondTheSampleScaleWithTheirLines) {
  const CoherenceSetup s = setup(512);
  const OffloadTraffic small{.upload_bytes = 512 * kLine,
                             .download_bytes = 512 * kLine,
                             .device_read_bytes = 1024 * kLine,
                             .device_write_bytes = 512 * kLine};
  const OffloadTraffic big{.upload_bytes = kLine * 8 * 512,
                           .download_bytes = kLine * 8 * 512,
                           .device_read_bytes = kLine * 8 * 1024,
                           .device_write_bytes = kLine * 8 * 512};
  const CoherenceReport a = cost_offload(s, small), b = cost_offload(s, big);
  for (const char* p : {"upload input (bias flips)", "download output (host bias throughout)",
                        "compute on the device (host bias throughout)"}) {
    EXPECT_NEAR(phase(b, p), 8 * phase(a, p), 1e-6 * phase(b, p)) << p;
  }
  // Counts are the program's, not the sample's: 64-byte lines, rounded up.
  const CoherenceReport c = cost_offload(s, {.upload_bytes = 100, .download_bytes = 65});
  EXPECT_EQ(c.rows.front().count, 2u);
  EXPECT_EQ(c.rows.back().count, 2u);
  EXPECT_DOUBLE_EQ(phase(c, "compute on the device (bias flips)"), 0.0);
}

}  // namespace
}  // namespace cxlsim::frontend
