// Calibration regression: the built-in eurosys24 profiles must keep reproducing the measured
// MLC curves they were calibrated on (docs/calibration.md), and the MLC method itself.
#include "frontend/mlc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

std::string data_dir() { return CXLSIM_MLC_DATA_DIR; }

// A measured log of data/mlc (part of the project: a missing file is a failure, not a skip).
std::vector<MlcPoint> measured(const std::string& file) {
  std::ifstream in(data_dir() + "/" + file);
  EXPECT_TRUE(in.good()) << "measured MLC log " << data_dir() << "/" << file << " is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_mlc_log(ss.str(), file);
}

MlcSetup setup(const std::string& device, const std::string& host = "spr-xeon") {
  return setup_for_device(timing::load_host_profile(host), timing::load_device_profile("eurosys24-ddr5"),
                          timing::load_device_profile(device));
}

// Error goals of the calibration (docs/calibration.md lists what the model reaches).
struct Goal {
  const char* device;
  const char* host;  // the server each log was measured on
  const char* log;
  double mae, peak, idle;
};

class Calibration : public ::testing::TestWithParam<Goal> {};

TEST_P(Calibration, CurveStaysWithinItsErrorBounds) {
  const Goal g = GetParam();
  const auto meas = measured(g.log);
  const auto sim = loaded_latency(setup(g.device, g.host), mlc_inject_delays());
  const CurveError e = compare_curves(sim, meas);
  RecordProperty("latency_mae_pct", std::to_string(e.latency_mae_pct));
  EXPECT_LE(e.latency_mae_pct, g.mae) << g.device;
  EXPECT_LE(std::fabs(e.peak_bw_err_pct), g.peak) << g.device;
  EXPECT_LE(std::fabs(e.idle_err_pct), g.idle) << g.device;
}

// Bounds: the goals, 3 % (curve), 3 % (peak), 2 % (idle); both curves meet them
// (docs/calibration.md: 2.96 % and 2.70 % curve MAE).
INSTANTIATE_TEST_SUITE_P(
    Eurosys24, Calibration,
    ::testing::Values(Goal{"eurosys24-asic", "spr-xeon", "cxl-asic_read-seq_16thr.log", 3.0, 3.0, 2.0},
                      Goal{"eurosys24-ddr5", "spr-xeon-ddr5-server", "ddr5-local_read-seq_16thr.log", 3.0, 3.0, 2.0}),
    [](const ::testing::TestParamInfo<Goal>& i) { return std::string(i.param.device).substr(10); });

TEST(Mlc, ParsesTheMlcTable) {
  const std::string log =
      "Intel(R) Memory Latency Checker - v3.10\nInject\tLatency\tBandwidth\nDelay\t(ns)\tMB/sec\n"
      "==========================\n 00000\t802.62\t  48003.1\n 00002\t809.91\t  48038.6\n";
  const auto pts = parse_mlc_log(log, "x");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[1].inject_delay, 2u);
  EXPECT_DOUBLE_EQ(pts[0].latency_ns, 802.62);
  EXPECT_DOUBLE_EQ(pts[1].bandwidth_mbps, 48038.6);
  EXPECT_THROW(parse_mlc_log("no table here\n", "x"), ParseError);
}

TEST(Mlc, IdenticalCurvesHaveNoError) {
  std::vector<MlcPoint> c = {{0, 800, 48000}, {100, 500, 47000}, {1000, 290, 12000}, {20000, 250, 900}};
  const CurveError e = compare_curves(c, c);
  EXPECT_NEAR(e.latency_mae_pct, 0.0, 1e-9);
  EXPECT_NEAR(e.peak_bw_err_pct, 0.0, 1e-9);
  EXPECT_NEAR(e.idle_err_pct, 0.0, 1e-9);
  std::vector<MlcPoint> slower = c;
  for (auto& p : slower) p.latency_ns *= 1.1;
  EXPECT_NEAR(compare_curves(slower, c).latency_mae_pct, 10.0, 1e-6);
}

TEST(Mlc, MoreLoadMeansMoreBandwidthAndLatency) {
  MlcSetup s = setup("eurosys24-asic");
  s.window = Duration::ns(100000);
  const MlcPoint light = run_point(s, 20000), heavy = run_point(s, 0);
  EXPECT_GT(heavy.bandwidth_mbps, 20 * light.bandwidth_mbps);
  EXPECT_GT(heavy.latency_ns, 2 * light.latency_ns);
}

TEST(Mlc, WritesCostReadBandwidthOnADuplexLinkLessThanOnDram) {
  // Physics, not fitting: on the CXL device, 1:1 traffic uses both link directions, so the
  // total exceeds the read-only peak; on local DRAM, writes share the bus and pay turnaround.
  MlcSetup cxl = setup("eurosys24-asic"), ddr = setup("eurosys24-ddr5");
  cxl.window = ddr.window = Duration::ns(100000);
  const double cxl_r = max_bandwidth_mbps(cxl), ddr_r = max_bandwidth_mbps(ddr);
  cxl.writes = ddr.writes = 1;
  const double cxl_rw = max_bandwidth_mbps(cxl), ddr_rw = max_bandwidth_mbps(ddr);
  EXPECT_GT(cxl_rw, 1.1 * cxl_r);
  EXPECT_LT(ddr_rw, ddr_r);
}

TEST(Mlc, RandomReadsGetLessThanSequential) {
  MlcSetup s = setup("eurosys24-ddr5");
  s.window = Duration::ns(100000);
  const double seq = max_bandwidth_mbps(s);
  s.random = true;
  EXPECT_LT(max_bandwidth_mbps(s), seq);
}

}  // namespace
}  // namespace cxlsim::frontend
