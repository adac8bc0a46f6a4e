#include "timing/link.h"

#include <gtest/gtest.h>

namespace cxlsim::timing {
namespace {

LinkConfig gen5x16() {
  LinkConfig c;
  c.lanes = 16;
  c.gt_per_s = 32;
  c.encoding = 128.0 / 130.0;
  c.port_latency = Duration::ns(25);
  c.propagation = Duration::ns(1);
  return c;
}

TEST(FlitLink, RawRateIsLanesTimesRateTimesEncoding) {
  // 16 lanes x 32 GT/s x 128/130 / 8 bits = 63.015 GB/s per direction.
  EXPECT_NEAR(gen5x16().raw_rate().gb_per_second(), 63.015, 0.01);
}

TEST(FlitLink, SaturatedLinkDeliversItsConfiguredBandwidth) {
  for (FlitMode mode : {FlitMode::k68B, FlitMode::k256B}) {
    LinkConfig c = gen5x16();
    c.flit.mode = mode;
    FlitLink link("l", c);
    const int n = 100000;
    Duration last;
    for (int i = 0; i < n; ++i) last = link.send(Dir::kUp, Msg::kRespData, Duration());
    const double seconds = (last - link.idle_latency(Msg::kRespData)).nanoseconds() * 1e-9;
    const double delivered = 64.0 * (n - 1) / seconds;
    // Expected from first principles: 64B per (4 data + header) slots of wire bytes.
    const double wire = (4.0 + c.slots.drs_header) * (mode == FlitMode::k68B ? 17.0 : 256.0 / 15.0);
    EXPECT_NEAR(delivered / (c.raw_rate().bytes_per_second() * 64.0 / wire), 1.0, 1e-3);
    EXPECT_NEAR(delivered / c.payload_rate(Msg::kRespData).bytes_per_second(), 1.0, 1e-3);
  }
}

TEST(FlitLink, DirectionsAreIndependent) {
  FlitLink link("l", gen5x16());
  for (int i = 0; i < 1000; ++i) link.send(Dir::kUp, Msg::kRespData, Duration());
  // A request going down does not wait behind the upstream data.
  EXPECT_EQ(link.send(Dir::kDown, Msg::kReqRead, Duration()), link.idle_latency(Msg::kReqRead));
  EXPECT_EQ(link.stats(Dir::kDown).queueing, Duration());
  EXPECT_GT(link.stats(Dir::kUp).queueing, Duration());
}

TEST(FlitLink, IdleLatencyIsSerialisationPlusPortPlusFlit) {
  LinkConfig c = gen5x16();
  FlitLink link("l", c);
  const double ps_per_byte = 1e12 / c.raw_rate().bytes_per_second();
  const double expect =
      (4.0 + c.slots.drs_header) * 17.0 * ps_per_byte + 68.0 * ps_per_byte + 26000.0;
  EXPECT_NEAR(static_cast<double>(link.idle_latency(Msg::kRespData).picoseconds()), expect, 2.0);
  EXPECT_EQ(link.send(Dir::kUp, Msg::kRespData, Duration::ns(5)),
            Duration::ns(5) + link.idle_latency(Msg::kRespData));
}

}  // namespace
}  // namespace cxlsim::timing
