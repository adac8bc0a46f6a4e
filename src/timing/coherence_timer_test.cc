// CoherenceTimer: coherence messages cost the links they cross and the agents that send them;
// the home serves one transaction per line at a time.
#include "timing/coherence_timer.h"

#include <gtest/gtest.h>

#include "timing/link.h"

namespace cxlsim::timing {
namespace {

using coherence::Access;

struct Rig {
  FlitLink link{"rp->dev", LinkConfig{}};
  Duration before = Duration::ns(20);
  CoherentAgent dev{"dev",           {Hop{Duration::ns(20), &link, false}},
                    Duration::ns(7), Duration::ns(9),
                    Duration::ns(3), Duration::ns(5)};
  CoherentAgent core{"core",         {}, Duration::ns(30), Duration::ns(15), Duration::ns(25),
                     Duration::ns(2)};
  CoherentHome home{true, Duration::ns(11), Duration::ns(80), -1, Duration()};
  [[nodiscard]] coherence::Config cfg(uint8_t agents) const {
    coherence::Config c;
    c.agents = agents;
    c.lines = 4;
    return c;
  }
};

TEST(CoherenceTimer, D2HReadCostsRequestUpHomeMemoryAndDataDown) {
  Rig r;
  CoherenceTimer t(r.cfg(1), {r.dev}, r.home);
  const AccessCost c = t.access(0, 0, Access::kLoad, 0, Duration::ns(100));
  EXPECT_EQ(c.messages, 3);  // RdAny, GO-E, data
  EXPECT_EQ(c.link_messages, 3);
  const Duration expect = r.dev.request + r.link.idle_latency(Msg::kRespNoData) + r.before +
                          r.home.process + r.home.memory + r.before +
                          r.link.idle_latency(Msg::kReqWriteData) + r.dev.complete;
  EXPECT_EQ(c.completed - c.issued, expect);
  EXPECT_EQ(r.link.stats(Dir::kUp).messages, 1u);
  EXPECT_EQ(r.link.stats(Dir::kDown).messages, 2u);
  EXPECT_EQ(t.sent(coherence::Channel::kH2DRsp), 1u);
  // A second access hits in the device cache: no messages, the hit latency.
  const AccessCost h = t.access(0, 0, Access::kLoad, 0, c.completed);
  EXPECT_EQ(h.messages, 0);
  EXPECT_EQ(h.completed - h.issued, r.dev.hit);
}

TEST(CoherenceTimer, SnoopOfAModifiedDeviceLineCrossesTheLinkTwiceAndSkipsMemory) {
  Rig r;
  CoherenceTimer t(r.cfg(2), {r.core, r.dev}, r.home);
  const AccessCost w = t.access(1, 0, Access::kStore, 5, Duration());
  const AccessCost c = t.access(0, 0, Access::kLoad, 0, w.completed + Duration::ns(1000));
  EXPECT_EQ(c.link_messages, 3);  // SnpData down; RspSFwdM and data up
  const Duration expect = r.core.request + r.home.process + r.before +
                          r.link.idle_latency(Msg::kReqRead) + r.dev.respond +
                          r.link.idle_latency(Msg::kRespData) + r.before + r.home.process +
                          r.core.complete;
  // The data leaves right behind the response header on the same link: it waits for the
  // header's slots (well under a nanosecond), not for a whole round trip.
  EXPECT_GT(c.completed - c.issued, expect);
  EXPECT_LT(c.completed - c.issued, expect + Duration::ns(1));
}

TEST(CoherenceTimer, TheHomeServesOneTransactionPerLineAtATime) {
  Rig r;
  FlitLink other("rp->dev2", LinkConfig{});
  CoherentAgent dev2 = r.dev;
  dev2.path = {Hop{r.before, &other, false}};
  CoherenceTimer t(r.cfg(2), {r.dev, dev2}, r.home);
  const AccessCost a = t.access(0, 0, Access::kStore, 1, Duration());
  const AccessCost b = t.access(1, 0, Access::kStore, 2, Duration());  // same time, same line
  EXPECT_GT(b.completed - b.issued, a.completed - a.issued);
  // Different lines do not wait for each other (fresh, idle links).
  Rig q;
  FlitLink other2("rp->dev2", LinkConfig{});
  CoherentAgent dev3 = q.dev;
  dev3.path = {Hop{q.before, &other2, false}};
  CoherenceTimer u(q.cfg(2), {q.dev, dev3}, q.home);
  const AccessCost x = u.access(0, 0, Access::kStore, 1, Duration());
  const AccessCost y = u.access(1, 1, Access::kStore, 2, Duration());
  EXPECT_EQ(y.completed - y.issued, x.completed - x.issued);
}

// A core (agent 0) and the Type 2 device (agent 1) whose memory the home's lines are in.
coherence::Config device_memory_config(const Rig& r) {
  coherence::Config c = r.cfg(2);
  c.device_agent = 1;
  return c;
}
CoherentHome device_memory_home(const Rig& r) {
  CoherentHome home = r.home;
  home.memory_agent = 1;
  home.agent_memory = Duration::ns(60);
  return home;
}

TEST(CoherenceTimer, DeviceBiasAccessesStayOnTheDevice) {
  Rig r;
  const CoherentHome home = device_memory_home(r);
  CoherenceTimer t(device_memory_config(r), {r.core, r.dev}, home);
  const AccessCost host_bias = t.access(1, 0, Access::kLoad, 0, Duration());
  // CXL 3.1 Figure 3-35: RdAny up, MemRdFwd down; no GO, the data stays on the device.
  EXPECT_EQ(host_bias.link_messages, 2);
  EXPECT_EQ(host_bias.completed - host_bias.issued,
            r.dev.request + r.link.idle_latency(Msg::kRespNoData) + r.before + r.home.process +
                r.before + r.link.idle_latency(Msg::kReqRead) + home.agent_memory + r.dev.complete);
  t.flip_to_device(1, Duration());
  const uint64_t before = r.link.stats(Dir::kUp).messages + r.link.stats(Dir::kDown).messages;
  const AccessCost local = t.access(1, 1, Access::kLoad, 0, Duration::ns(5000));
  EXPECT_EQ(local.messages, 0);
  EXPECT_EQ(local.completed - local.issued, r.dev.hit + home.agent_memory);
  EXPECT_EQ(r.link.stats(Dir::kUp).messages + r.link.stats(Dir::kDown).messages, before);
  EXPECT_LT(local.completed - local.issued, host_bias.completed - host_bias.issued);
}

// CXL 3.1 §3.5.2.2: a host core's read of the device's memory goes to the device's DCOH (M2S
// MemRd, Cmp and MemData back) whatever the bias: the same messages and cost in both when the
// device's cache does not hold the line; in device bias the read returns the page to host bias.
TEST(CoherenceTimer, HostReadOfDeviceMemoryIsTheSameFlowInBothBiases) {
  Rig r;
  const CoherentHome home = device_memory_home(r);
  CoherenceTimer t(device_memory_config(r), {r.core, r.dev}, home);
  const AccessCost host_bias = t.access(0, 0, Access::kLoad, 0, Duration());
  EXPECT_EQ(host_bias.messages, 6);  // RdAny, MemRd,S, Cmp-E, MemData, GO-E, Data
  EXPECT_EQ(host_bias.link_messages, 3);
  const Duration flipped = t.flip_to_device(1, Duration::ns(1000));
  EXPECT_TRUE(t.runner().protocol().in_device_bias(t.runner().state(), 1));
  const AccessCost device_bias = t.access(0, 1, Access::kLoad, 0, flipped);
  EXPECT_EQ(device_bias.messages, 6);
  EXPECT_EQ(device_bias.link_messages, 3);
  EXPECT_EQ(device_bias.completed - device_bias.issued, host_bias.completed - host_bias.issued);
  EXPECT_FALSE(t.runner().protocol().in_device_bias(t.runner().state(), 1));
}

TEST(CoherenceTimer, AFullDeviceCacheEvictsItsLeastRecentlyUsedLineThroughTheProtocol) {
  Rig r;
  CoherentAgent dev = r.dev;
  dev.capacity = 2;
  dev.ways = 2;
  CoherenceTimer t(r.cfg(1), {dev}, r.home);
  Duration at;
  at = t.access(0, 0, Access::kStore, 1, at).completed;
  at = t.access(0, 1, Access::kLoad, 0, at).completed;
  at = t.access(0, 1, Access::kLoad, 0, at).completed;  // a hit: line 0 is now the LRU one
  const uint64_t up = r.link.stats(Dir::kUp).messages;
  const AccessCost c = t.access(0, 2, Access::kLoad, 0, at);
  EXPECT_EQ(c.evictions, 1);
  EXPECT_EQ(t.runner().line(0, 0).state, coherence::Mesi::kI);
  EXPECT_EQ(t.runner().line(0, 1).state, coherence::Mesi::kE);
  EXPECT_EQ(t.runner().state().home[0].memory, 1);     // DirtyEvict wrote it back
  EXPECT_EQ(r.link.stats(Dir::kUp).messages, up + 3);  // DirtyEvict, its data, then RdAny
  // Without a capacity the same accesses evict nothing.
  Rig q;
  CoherenceTimer u(q.cfg(1), {q.dev}, q.home);
  for (uint16_t l = 0; l < 3; ++l) {
    EXPECT_EQ(u.access(0, l, Access::kLoad, 0, Duration()).evictions, 0);
  }
  EXPECT_EQ(u.runner().line(0, 0).state, coherence::Mesi::kE);
}

}  // namespace
}  // namespace cxlsim::timing
