// Links trained to the widths and speeds the topology gives (fabric/topology.h link ends,
// timing/link_training.h): bandwidth and latency follow the trained link, not the profile's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "timing/link_training.h"
#include "timing/profile.h"
#include "timing/stream_core.h"
#include "timing/system.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

// hb0 -> rp0 -> [sw0 -> sw0p0 ->] mem0 (16 GiB volatile), one window over hb0.
Topology one_device(bool with_switch) {
  Topology t;
  t.host_bridges.push_back({"hb0", 0, 0x0c});
  WindowSpec w;
  w.id = "cfmw0";
  w.size = GiB(16);
  w.targets = {"hb0"};
  t.windows.push_back(w);
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  Type3Spec d;
  d.id = "mem0";
  d.parent = "rp0";
  d.volatile_size = GiB(16);
  if (with_switch) {
    t.switches.push_back({"sw0", "rp0"});
    t.downstream_ports.push_back({"sw0p0", "sw0", 0, 0, 1});
    d.parent = "sw0p0";
  }
  t.type3.push_back(d);
  return t;
}

struct Profiles {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = load_device_profile("eurosys24-ddr5");
  DeviceProfile x16 = load_device_profile("eurosys24-asic");  // PCIe 5.0 x16, 68B flits
  Profiles() { x16.dram.tREFI = Duration(); }  // no refresh: idle paths are exact sums
};

// Read bandwidth (GB/s) of 32 saturating sequential streams over the whole window.
double read_gbps(const Topology& topo) {
  Profiles p;
  System sys(p.host, p.local, GiB(64), topo, [&](const std::string&) { return p.x16; });
  return saturated_read_gbps(sys);
}

// Payload rate of read data (64 B per S2M DRS message) on a link of `lanes` x `gt` GT/s with
// line-code efficiency `enc`, from the definitions: raw bytes/s = lanes * gt * enc / 8 (per
// lane, one bit per transfer), and a DRS costs slots_of(kRespData) slots of
// wire_bytes_per_slot() bytes each (68B flit: 64 B of slots travel in 68 wire bytes).
double drs_gbps(unsigned lanes, double gt, double enc, const LinkConfig& profile) {
  const double raw_gbps = lanes * gt * enc / 8.0;
  const double wire = slots_of(Msg::kRespData, profile.slots) * profile.flit.wire_bytes_per_slot();
  return raw_gbps * 64.0 / wire;
}

TEST(SystemLink, X16DeviceBehindX4SwitchUplinkSaturatesAtTheX4Link) {
  Profiles p;
  Topology narrow = one_device(true);
  narrow.switches[0].link.width = 4;  // the switch's upstream port is x4
  const double x4 = drs_gbps(4, 32.0, 128.0 / 130.0, p.x16.link);
  const double got = read_gbps(narrow);
  const double unconstrained = read_gbps(one_device(true));
  std::printf(
      "x16 device: behind x4 uplink %.2f GB/s (x4 DRS payload rate %.2f), x16 all the way %.2f "
      "GB/s\n",
      got, x4, unconstrained);
  EXPECT_LE(got, x4 * 1.005);
  EXPECT_GE(got, x4 * 0.95);
  EXPECT_GT(unconstrained, 2.0 * x4);  // the x4 hop, not the device, is what limits
}

TEST(SystemLink, LinkBelowARootPortTrainsToTheNarrowerEnd) {
  Profiles p;
  Topology t = one_device(false);
  t.root_ports[0].link.width = 16;
  t.type3[0].link.width = 8;  // an x8 device in an x16 slot
  const double x8 = drs_gbps(8, 32.0, 128.0 / 130.0, p.x16.link);
  const double got = read_gbps(t);
  EXPECT_LE(got, x8 * 1.005);
  EXPECT_GE(got, x8 * 0.95);
}

// Latency of one read issued on an idle system at `at`.
Duration idle_read_at(const Topology& topo, Duration at) {
  Profiles p;
  System sys(p.host, p.local, GiB(64), topo, [&](const std::string&) { return p.x16; });
  OneRead r(at);
  sys.add(&r);
  sys.run_until(at + Duration::ns(10'000));
  EXPECT_TRUE(r.latency.has_value());
  return r.latency.value_or(Duration());
}

// The DRAM data bus is a calendar of whole-burst slots, so a read's latency depends on where
// its arrival falls within a slot. The minimum over 16 issue phases across one burst removes
// that alignment, to within burst / 16.
Duration idle_read(const Topology& topo) {
  const Duration burst = Profiles().x16.dram.burst();
  Duration best = idle_read_at(topo, Duration::ns(1000));
  for (int k = 1; k < 16; ++k) {
    best = std::min(
        best, idle_read_at(topo, Duration::ns(1000) + Duration::ps(burst.picoseconds() * k / 16)));
  }
  return best;
}

Duration model_idle_read(const Topology& topo) {
  Profiles p;
  System sys(p.host, p.local, GiB(64), topo, [&](const std::string&) { return p.x16; });
  return sys.idle_read_latency(1);
}

TEST(SystemLink, IdleReadThroughGen4CostsTheExtraSerialisation) {
  Profiles p;
  Topology gen4 = one_device(false);
  gen4.type3[0].link.speed = LinkSpeed::k16GT;
  const Topology gen5 = one_device(false);
  // On one link, a read serialises one M2S Req down and one S2M DRS up, and each direction
  // waits for one whole flit before its CRC check: wire bytes / raw rate, at each speed.
  const LinkConfig& l = p.x16.link;
  const double wire_bytes = (slots_of(Msg::kReqRead, l.slots) + slots_of(Msg::kRespData, l.slots)) *
                                l.flit.wire_bytes_per_slot() +
                            2.0 * static_cast<double>(l.flit.flit_bytes().value());
  const double ps_per_byte_gen5 = 8.0 / (16 * 32.0 * (128.0 / 130.0)) * 1e3;
  const double ps_per_byte_gen4 = 8.0 / (16 * 16.0 * (128.0 / 130.0)) * 1e3;
  const double expect_ps = wire_bytes * (ps_per_byte_gen4 - ps_per_byte_gen5);
  ASSERT_GT(expect_ps, 1000.0);
  // The model's own sum of path latencies: exact up to per-message rounding to 1 ps.
  const Duration model = model_idle_read(gen4) - model_idle_read(gen5);
  EXPECT_NEAR(static_cast<double>(model.picoseconds()), expect_ps, 4.0);
  // The simulated read: the same, once DRAM burst-slot alignment is taken out.
  const Duration slow = idle_read(gen4), fast = idle_read(gen5);
  std::printf("idle read: Gen5 x16 %.3f ns, Gen4 x16 %.3f ns (expected +%.3f ns)\n",
              fast.nanoseconds(), slow.nanoseconds(), expect_ps / 1e3);
  const double phase_step = static_cast<double>(p.x16.dram.burst().picoseconds()) / 16.0;
  EXPECT_NEAR(static_cast<double>((slow - fast).picoseconds()), expect_ps, phase_step + 4.0);
}

TEST(SystemLink, NoLinkAttributesKeepsTheProfileLink) {
  Profiles p;
  System sys(p.host, p.local, GiB(64), one_device(true), [&](const std::string&) { return p.x16; });
  ASSERT_EQ(sys.links().size(), 2u);
  for (const auto& l : sys.links()) {
    for (Msg m : {Msg::kReqRead, Msg::kRespData}) {
      EXPECT_EQ(l->idle_latency(m), FlitLink("ref", p.x16.link).idle_latency(m)) << l->name();
    }
  }
}

}  // namespace
}  // namespace cxlsim::timing
