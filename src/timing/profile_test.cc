#include "timing/profile.h"

#include <gtest/gtest.h>

#include <string>

#include "spec/error.h"

namespace cxlsim::timing {
namespace {

// A minimal valid CXL device profile; `dram_extra` lands in its [dram] table.
std::string device_toml(const std::string& dram_extra) {
  return "[profile]\nkind = \"device\"\nname = \"t\"\n"
         "[link]\nlanes = 16\ngt_per_s = 32.0\nport_latency_ns = 25.0\n"
         "[controller]\nfrontend_latency_ns = 10.0\nbackend_latency_ns = 5.0\nqueue_depth = 64\n"
         "[dram]\nchannels = 2\nmt_per_s = 4800\n" +
         dram_extra;
}

std::string error_of(const std::string& text) {
  try {
    parse_device_profile(text, "t.toml");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(Profile, EveryBuiltinParses) {
  for (const auto& n : builtin_device_profiles()) EXPECT_EQ(load_device_profile(n).name, n);
  for (const auto& n : builtin_host_profiles()) EXPECT_EQ(load_host_profile(n).name, n);
  EXPECT_GE(builtin_host_profiles().size(), 2u);  // the CXL server and the DDR5 server
}

TEST(Profile, ReadsBankInterleaveAndPowerDown) {
  const DeviceProfile p = parse_device_profile(
      device_toml("bank_interleave_bytes = 128\npowerdown_idle_ns = 150\ntXP_ns = 9\n"), "t.toml");
  EXPECT_EQ(p.dram.bank_interleave, Bytes(128));
  EXPECT_EQ(p.dram.powerdown_idle, Duration::ns(150));
  EXPECT_EQ(p.dram.tXP, Duration::ns(9));
  const DeviceProfile d = parse_device_profile(device_toml(""), "t.toml");
  EXPECT_EQ(d.dram.bank_interleave, Bytes(0));   // a whole row per bank
  EXPECT_EQ(d.dram.powerdown_idle, Duration());  // never powers down
}

TEST(Profile, BadValuesNameTheirKey) {
  EXPECT_NE(
      error_of(device_toml("bank_interleave_bytes = 96\n")).find("[dram] bank_interleave_bytes"),
      std::string::npos);
  EXPECT_NE(error_of(device_toml("row_bytes = 4096\nbank_interleave_bytes = 8192\n"))
                .find("bank_interleave_bytes"),
            std::string::npos);
  EXPECT_NE(error_of(device_toml("refresh = \"sometimes\"\n")).find("[dram] refresh"),
            std::string::npos);
  EXPECT_NE(error_of(device_toml("powerdown_idle_ns = -1\n"))
                .find("powerdown_idle_ns must not be negative"),
            std::string::npos);
}

TEST(Profile, ReadsControllerThroughput) {
  auto with = [](const std::string& line) {
    std::string t = device_toml("");
    return t.replace(t.find("queue_depth = 64\n"), 17, "queue_depth = 64\n" + line);
  };
  EXPECT_DOUBLE_EQ(
      parse_device_profile(with("throughput_gbps = 50\n"), "t.toml").throughput.gb_per_second(),
      50.0);
  // Absent: no limit.
  EXPECT_EQ(parse_device_profile(device_toml(""), "t.toml").throughput, Bandwidth());
  EXPECT_NE(error_of(with("throughput_gbps = -1\n")).find("throughput_gbps"), std::string::npos);
  EXPECT_FALSE(parse_device_profile(device_toml(""), "t.toml").read_credits_only);
  EXPECT_TRUE(parse_device_profile(with("credits = \"reads\"\n"), "t.toml").read_credits_only);
  EXPECT_NE(error_of(with("credits = \"some\"\n")).find("credits"), std::string::npos);
}

// Issue #18: numbers are range-checked before any conversion (1e300 ns, NaN and floats in
// integer fields were undefined behaviour or silently truncated).
TEST(Profile, HugeNonFiniteAndFractionalNumbersAreRefused) {
  EXPECT_NE(error_of(device_toml("powerdown_idle_ns = 1e300\n"))
                .find("powerdown_idle_ns must be a finite number"),
            std::string::npos);
  EXPECT_NE(error_of(device_toml("powerdown_idle_ns = nan\n")).find("powerdown_idle_ns"),
            std::string::npos);
  EXPECT_NE(error_of(device_toml("powerdown_idle_ns = inf\n")).find("powerdown_idle_ns"),
            std::string::npos);
  EXPECT_NE(error_of(device_toml("row_bytes = 1e300\n")).find("row_bytes"), std::string::npos);
  EXPECT_NE(error_of(device_toml("row_bytes = 2048.5\n")).find("row_bytes"), std::string::npos);
}

}  // namespace
}  // namespace cxlsim::timing
