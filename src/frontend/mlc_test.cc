// Calibration regression: the built-in eurosys24 profiles must keep reproducing the measured
// MLC curves they were calibrated on (docs/calibration.md), and the MLC method itself.
#include "frontend/mlc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <ostream>
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
  return setup_for_device(timing::load_host_profile(host),
                          timing::load_device_profile("eurosys24-ddr5"),
                          timing::load_device_profile(device));
}

// Error goals of the calibration (docs/calibration.md lists what the model reaches).
struct Goal {
  const char* device;
  const char* host;  // the server each log was measured on
  const char* log;
  double mae, peak, idle;
};

void PrintTo(const Goal& g, std::ostream* os) { *os << g.log; }

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
INSTANTIATE_TEST_SUITE_P(Eurosys24, Calibration,
                         ::testing::Values(Goal{"eurosys24-asic", "spr-xeon",
                                                "cxl-asic_read-seq_16thr.log", 3.0, 3.0, 2.0},
                                           Goal{"eurosys24-ddr5", "spr-xeon-ddr5-server",
                                                "ddr5-local_read-seq_16thr.log", 3.0, 3.0, 2.0}),
                         [](const ::testing::TestParamInfo<Goal>& i) {
                           return std::string(i.param.device).substr(10);
                         });

// Held-out logs: measured on the same device and hosts but never used to choose a parameter
// (data/mlc/README.md). Bounds are what the model reaches (docs/calibration.md, "Predicted, not
// fitted") with a little room, so that a regression of the mechanism each checks fails.
struct HeldOutLog {
  const char* log;  // under data/mlc/eurosys24/cxl/
  double mae, peak, idle;
};

void PrintTo(const HeldOutLog& g, std::ostream* os) { *os << g.log; }

class HeldOut : public ::testing::TestWithParam<HeldOutLog> {};

TEST_P(HeldOut, PredictionStaysWithinItsBounds) {
  const HeldOutLog g = GetParam();
  const std::string file = std::string("eurosys24/cxl/") + g.log;
  std::ifstream in(data_dir() + "/" + file);
  ASSERT_TRUE(in.good()) << data_dir() << "/" << file << " is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const auto run = parse_mlc_header(ss.str(), file);
  ASSERT_TRUE(run && run->threads);
  MlcSetup s = setup("eurosys24-asic");
  s.threads = *run->threads;
  s.reads = run->reads;
  s.writes = run->writes;
  s.random = run->random;
  s.lines_per_delay = mlc_lines_per_delay(s.reads, s.writes);
  const auto meas = parse_mlc_log(ss.str(), file);
  ASSERT_TRUE(check_comparable(s, mlc_inject_delays(), run, meas).errors.empty());
  const CurveError e = compare_curves(loaded_latency(s, mlc_inject_delays()), meas);
  EXPECT_LE(e.latency_mae_pct, g.mae);
  EXPECT_LE(std::fabs(e.peak_bw_err_pct), g.peak);
  EXPECT_LE(std::fabs(e.idle_err_pct), g.idle);
}

// 8 and 4 threads, reads: host-limited below the link (4 threads: 10 % low, the cores' misses
// in flight). 3:1, 1:1, 4:1 and 2:1 with non-temporal writes at 16 threads, 2:1 at 4 and 33
// threads: peak set by the controller's request pipeline (its throughput was chosen on the 2:1
// 16-thread log alone) or by the cores; light end by MLC's lines per delay iteration; plateau
// by the store buffer keeping the L2's miss slots full.
INSTANTIATE_TEST_SUITE_P(Eurosys24, HeldOut,
                         ::testing::Values(HeldOutLog{"log_d0_c8_w0_r0", 3.0, 3.0, 2.0},
                                           HeldOutLog{"log_d0_c4_w0_r0", 3.5, 11.0, 2.0},
                                           HeldOutLog{"log_d0_c16_w3_r0", 11.0, 3.0, 3.0},
                                           HeldOutLog{"log_d0_c16_w5_r0", 5.5, 3.0, 2.0},
                                           HeldOutLog{"log_d0_c16_w12_r0", 9.0, 4.0, 2.0},
                                           HeldOutLog{"log_d0_c16_w7_r0", 5.0, 5.0, 2.0},
                                           HeldOutLog{"log_d0_c4_w2_r0", 2.5, 5.0, 2.0},
                                           HeldOutLog{"log_d0_c32_w2_r0", 12.0, 5.0, 2.0}),
                         [](const ::testing::TestParamInfo<HeldOutLog>& i) {
                           return std::string(i.param.log).substr(7);
                         });

// The local DRAM's peaks under mixes (17 threads, as the DDR5 logs ran): set by the DRAM's
// write batches and turnarounds once writes wait for write-queue room rather than read credits
// (inject 0: -3.1 % and +0.9 %; with shared credits: 9 / 6 % low).
TEST(Eurosys24Ddr5, MixPeaksFollowTheHeldOutLogs) {
  for (const char* log : {"log_d0_c16_w2_r0", "log_d0_c16_w5_r0"}) {
    const std::string file = std::string("eurosys24/ddr5/") + log;
    std::ifstream in(data_dir() + "/" + file);
    ASSERT_TRUE(in.good()) << file;
    std::stringstream ss;
    ss << in.rdbuf();
    const auto run = parse_mlc_header(ss.str(), file);
    ASSERT_TRUE(run && run->threads);
    MlcSetup s = setup("eurosys24-ddr5", "spr-xeon-ddr5-server");
    s.threads = *run->threads;
    s.reads = run->reads;
    s.writes = run->writes;
    double peak = 0;
    for (const auto& p : parse_mlc_log(ss.str(), file)) peak = std::max(peak, p.bandwidth_mbps);
    EXPECT_NEAR(run_point(s, 0).bandwidth_mbps, peak, 0.04 * peak) << log;  // -3.1 %, +0.9 %
  }
}

TEST(Mlc, MaxBandwidthAgreesWithLoadedLatencyAtInjectZero) {
  // Both are the load threads at inject delay 0; only the chaser's lines differ.
  for (auto [r, w] : {std::pair{1u, 0u}, {3u, 1u}, {2u, 1u}, {1u, 1u}, {0u, 1u}}) {
    MlcSetup s = setup("eurosys24-asic");
    s.window = Duration::ns(100000);
    s.reads = r;
    s.writes = w;
    s.lines_per_delay = mlc_lines_per_delay(r, w);
    const double peak = max_bandwidth_mbps(s), loaded = run_point(s, 0).bandwidth_mbps;
    EXPECT_NEAR(peak, loaded, 0.01 * loaded) << r << ":" << w;
  }
}

TEST(Mlc, ControllerThroughputCapsMixedTrafficOnly) {
  // The request pipeline is shared by reads and writes: it caps a 1:1 mix that the full-duplex
  // link would carry, and leaves reads alone, which the link holds below it.
  MlcSetup s = setup("eurosys24-asic");
  s.window = Duration::ns(100000);
  timing::DeviceProfile open = timing::load_device_profile("eurosys24-asic");
  open.throughput = Bandwidth();
  const double reads = max_bandwidth_mbps(s);
  s.reads = s.writes = 1;
  const double capped = max_bandwidth_mbps(s);
  s.device_for = [open](const std::string&) { return open; };
  const double uncapped = max_bandwidth_mbps(s);
  EXPECT_NEAR(capped, 54200, 0.02 * 54200);
  EXPECT_GT(uncapped, 1.1 * capped);
  EXPECT_LT(reads, capped);
}

TEST(Mlc, ReadsTheLogHeader) {
  const auto run = parse_mlc_header(
      "Intel(R) Memory Latency Checker - v3.10\nCommand line parameters: --loaded_latency -j4 "
      "-k1-23,96-105 -W2 -U \n",
      "x");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->threads, 33u);
  EXPECT_EQ(run->reads, 2u);
  EXPECT_EQ(run->writes, 1u);
  EXPECT_TRUE(run->random);
  const auto plain =
      parse_mlc_header("Command line parameters: --loaded_latency -j4 -k1-16 \n", "x");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->threads, 16u);
  EXPECT_EQ(plain->writes, 0u);
  EXPECT_FALSE(plain->random);
  EXPECT_FALSE(parse_mlc_header("Inject\tLatency\n", "x").has_value());
  EXPECT_THROW(parse_mlc_header("Command line parameters: --loaded_latency -W99\n", "x"),
               ParseError);
  EXPECT_THROW(parse_mlc_header("Command line parameters: --loaded_latency -kfoo\n", "x"),
               ParseError);
}

TEST(Mlc, RefusesToCompareAnotherRun) {
  MlcSetup s = setup("eurosys24-asic");
  const std::vector<MlcPoint> meas = {{0, 800, 48000}, {20000, 250, 900}};
  const unsigned delays[] = {0, 20000};
  MlcLogRun run;
  run.threads = 16;
  EXPECT_TRUE(check_comparable(s, delays, run, meas).errors.empty());
  EXPECT_TRUE(check_comparable(s, delays, run, meas).warnings.empty());
  run.threads = 8;  // -k may list hyperthread siblings: warned about, not refused
  EXPECT_TRUE(check_comparable(s, delays, run, meas).errors.empty());
  EXPECT_EQ(check_comparable(s, delays, run, meas).warnings.size(), 1u);
  run.threads = 16;
  run.reads = 2;
  run.writes = 1;
  EXPECT_EQ(check_comparable(s, delays, run, meas).errors.size(), 1u);
  s.reads = 4;
  s.writes = 2;  // the same ratio
  EXPECT_TRUE(check_comparable(s, delays, run, meas).errors.empty());
  run.random = true;
  EXPECT_EQ(check_comparable(s, delays, run, meas).errors.size(), 1u);
  EXPECT_FALSE(
      check_comparable(s, delays, std::nullopt, meas).warnings.empty());  // no header: unchecked
}

TEST(Mlc, WarnsAboutInjectDelaysOneSideLacks) {
  MlcSetup s = setup("eurosys24-asic");
  const std::vector<MlcPoint> meas = {{0, 800, 48000}, {100, 500, 47000}, {20000, 250, 900}};
  MlcLogRun run;
  run.threads = 16;
  const unsigned fewer[] = {0, 100};
  const unsigned more[] = {0, 100, 500, 20000};
  EXPECT_EQ(check_comparable(s, fewer, run, meas).warnings.size(), 1u);
  EXPECT_EQ(check_comparable(s, more, run, meas).warnings.size(), 1u);
}

TEST(Mlc, ComparesPointsByInjectDelayNotPosition) {
  const std::vector<MlcPoint> meas = {
      {0, 800, 48000}, {100, 500, 47000}, {1000, 290, 12000}, {20000, 250, 900}};
  std::vector<MlcPoint> sim = {
      {20000, 260, 900}, {1000, 300, 12000}, {100, 520, 47000}, {0, 790, 48000}};
  const CurveError a = compare_curves(sim, meas);
  EXPECT_NEAR(a.idle_err_pct, 4.0, 1e-9);  // 260 against 250, though listed first
  EXPECT_NEAR(a.same_delay_mae_pct, 100.0 / 4 * (10.0 / 800 + 20.0 / 500 + 10.0 / 290 + 10.0 / 250),
              1e-9);
  std::reverse(sim.begin(), sim.end());
  const CurveError b = compare_curves(sim, meas);
  EXPECT_DOUBLE_EQ(a.latency_mae_pct, b.latency_mae_pct);
  EXPECT_DOUBLE_EQ(a.idle_err_pct, b.idle_err_pct);
  sim.pop_back();  // no simulated point at the log's lightest delay: no idle error
  EXPECT_TRUE(std::isnan(compare_curves(sim, meas).idle_err_pct));
}

TEST(Mlc, LinesPerDelayFollowMlcKernels) {
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(1, 0), 1.0);
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(2, 1), 3.0);
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(6, 3), 3.0);
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(3, 1), 4.0);
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(0, 1), 0.25);
  EXPECT_DOUBLE_EQ(mlc_lines_per_delay(5, 1), 1.0);  // no MLC kernel: one line per delay
}

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
  std::vector<MlcPoint> c = {
      {0, 800, 48000}, {100, 500, 47000}, {1000, 290, 12000}, {20000, 250, 900}};
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
