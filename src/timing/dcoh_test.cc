// Shared HDM-DB memory across hosts (dcoh.h): the coherence engine's back-invalidation flows
// per line in a multi-host run. Expected counts follow from the protocol (CXL 3.1 §3.3.8,
// §3.5.1.2), not from the model's output: an ownership change snoops the previous holder
// once; readers share without BISnpInv; a full snoop filter evicts one entry per new line.
#include "timing/dcoh.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fabric/fabric.h"
#include "spec/error.h"
#include "timing/multi_host.h"
#include "timing/profile.h"
#include "timing/switch_tree.h"
#include "timing/timing_testing.h"

namespace cxlsim::timing {
namespace {

constexpr Bytes kLocal = GiB(64);

// Issues accesses to lines of its host's first region, each (op, line) at its time, and
// records their latencies.
class Accesses final : public Requester {
 public:
  struct Step {
    Duration at;
    Op op = Op::kRead;
    uint64_t line = 0;
  };
  explicit Accesses(std::vector<Step> steps) : steps_(std::move(steps)) {}
  void start(System& sys, Duration) override {
    sys_ = &sys;
    for (const Step& s : steps_) sys.schedule(s.at, this, nullptr);
  }
  void on_event(Request*, Duration) override {
    const Step& s = steps_[next_++];
    Request* r = sys_->alloc(id());
    r->op = s.op;
    r->hpa = sys_->regions().front().base + s.line * 64;
    sys_->issue(r);
  }
  void complete(System&, Request& r, Duration now) override { latency.push_back(now - r.issued); }
  [[nodiscard]] double mean_ns(size_t from = 0) const {
    double sum = 0;
    for (size_t i = from; i < latency.size(); ++i) sum += latency[i].nanoseconds();
    return sum / static_cast<double>(latency.size() - from);
  }
  std::vector<Duration> latency;

 private:
  System* sys_ = nullptr;
  std::vector<Step> steps_;
  size_t next_ = 0;
};

// Round r of `rounds` (every 2 us) belongs to host r % hosts: it accesses lines
// [first, first + lines) with `op`, all at once.
std::vector<Accesses::Step> rounds_of(size_t host, size_t hosts, unsigned rounds, Op op,
                                      uint64_t first, uint64_t lines) {
  std::vector<Accesses::Step> out;
  for (unsigned r = 0; r < rounds; ++r) {
    if (r % hosts != host) continue;
    for (uint64_t l = first; l < first + lines; ++l) {
      out.push_back({Duration::ns(1000 + 2000 * r), op, l});
    }
  }
  return out;
}

struct Rig {
  HostProfile host = load_host_profile("spr-xeon");
  DeviceProfile local = quiet(load_device_profile("eurosys24-ddr5"));
  DeviceProfile dev = quiet(load_device_profile("eurosys24-asic"));
  Topology topo = switch_tree(1, 2);  // mem0 and mem1 below one switch
  std::vector<size_t> order;          // the partitions' order in a window (empty: the default)

  explicit Rig(bool shared, unsigned snoop_filter = Type3Spec::kDefaultSnoopFilter) {
    topo.type3[0].shared = shared;
    topo.type3[0].snoop_filter = snoop_filter;
  }
  // `hosts` hosts, each with a 1-way region on mem0 (the same DPAs at the same offsets), each
  // running its steps; returns their requesters after the run.
  std::vector<std::unique_ptr<Accesses>> run(const std::vector<std::vector<Accesses::Step>>& steps,
                                             std::unique_ptr<MultiHost>* keep = nullptr) const {
    const auto f =
        Fabric::build(place_windows(topo, kLocal), FabricOptions{.map_backing_files = false});
    std::vector<HostSpec> specs;
    for (size_t h = 0; h < steps.size(); ++h) {
      specs.push_back(HostSpec{"h" + std::to_string(h), {memdev_region(*f, "mem0")}});
    }
    auto mh = std::make_unique<MultiHost>(
        host, local, kLocal, topo, [d = dev](const std::string&) { return d; }, specs);
    if (!order.empty()) mh->set_order(order);
    std::vector<std::unique_ptr<Accesses>> out;
    for (size_t h = 0; h < steps.size(); ++h) {
      out.push_back(std::make_unique<Accesses>(steps[h]));
      mh->host(h).add(out.back().get());
    }
    mh->run_until(Duration::ns(1'000'000));
    if (keep != nullptr) *keep = std::move(mh);
    return out;
  }
};

TEST(Dcoh, DisjointLinesSendNoSnoopAndCostNothing) {
  const std::vector<std::vector<Accesses::Step>> steps = {rounds_of(0, 1, 4, Op::kRead, 0, 32),
                                                          rounds_of(0, 1, 4, Op::kWrite, 32, 32)};
  std::unique_ptr<MultiHost> mh;
  const auto shared = Rig(true).run(steps, &mh);
  for (size_t h = 0; h < 2; ++h) {
    const BackInvalidationStats s = mh->pool().back_invalidation(h);
    EXPECT_EQ(s.requests, 128u);
    EXPECT_EQ(s.bisnp_caused, 0u);
    EXPECT_EQ(s.bisnp_received, 0u);
    EXPECT_EQ(s.bi_evictions, 0u);
  }
  // Without a snoop the flow is the request and its answer: the same timing as unshared memory.
  const auto plain = Rig(false).run(steps);
  for (size_t h = 0; h < 2; ++h) EXPECT_EQ(shared[h]->latency, plain[h]->latency) << h;
}

TEST(Dcoh, WritesOfTheSameLinesBackInvalidateTheLastOwner) {
  constexpr uint64_t kLines = 16;
  constexpr unsigned kRounds = 4;  // h0, h1, h0, h1: three ownership changes per line
  std::unique_ptr<MultiHost> mh;
  const auto two = Rig(true).run({rounds_of(0, 2, kRounds, Op::kWrite, 0, kLines),
                                  rounds_of(1, 2, kRounds, Op::kWrite, 0, kLines)},
                                 &mh);
  const BackInvalidationStats h0 = mh->pool().back_invalidation(0);
  const BackInvalidationStats h1 = mh->pool().back_invalidation(1);
  // h1's rounds take the lines from h0 (modified: written back); h0's second round from h1.
  EXPECT_EQ(h0.bisnp_inv_received, 2 * kLines);
  EXPECT_EQ(h1.bisnp_inv_received, kLines);
  EXPECT_EQ(h0.bisnp_received, h0.bisnp_inv_received);
  EXPECT_EQ(h0.birsp_sent, h0.bisnp_received);
  EXPECT_EQ(h0.writebacks, 2 * kLines);
  EXPECT_EQ(h1.writebacks, kLines);
  EXPECT_EQ(h0.bisnp_caused, kLines);
  EXPECT_EQ(h1.bisnp_caused, 2 * kLines);
  ASSERT_EQ(two[0]->latency.size(), 2 * kLines);
  // One host alone writing the same rounds keeps its lines: no snoop after the first round.
  std::unique_ptr<MultiHost> alone_mh;
  const auto alone = Rig(true).run({rounds_of(0, 1, kRounds, Op::kWrite, 0, kLines)}, &alone_mh);
  EXPECT_EQ(alone_mh->pool().back_invalidation(0).bisnp_received, 0u);
  // A write that takes the line from another host waits for its write-back and BIRsp.
  EXPECT_GT(two[1]->mean_ns(), alone[0]->mean_ns(kLines) + 100);
  EXPECT_GT(two[0]->mean_ns(kLines), alone[0]->mean_ns(kLines) + 100);
  // Every line: MemRd,A, Cmp-E and MemData the first time; each ownership change adds BISnpInv,
  // the MemWr of the modified line, its Cmp and BIRspI (CXL 3.1 §3.3.8, §3.5.1.2); a host
  // writing its own line again sends nothing.
  EXPECT_EQ(mh->pool().dcoh(1)->runner().messages(), kLines * 3 + 3 * kLines * 7);
  EXPECT_EQ(alone_mh->pool().dcoh(1)->runner().messages(), kLines * 3);
}

TEST(Dcoh, ReadSharingNeedsNoInvalidation) {
  constexpr uint64_t kLines = 16;
  // Rounds 0-3: h0 and h1 read the same lines in turn; round 4: h1 writes them.
  std::vector<Accesses::Step> h1 = rounds_of(1, 2, 4, Op::kRead, 0, kLines);
  for (const auto& w : rounds_of(0, 1, 1, Op::kWrite, 0, kLines)) {
    h1.push_back({w.at + Duration::ns(8000), w.op, w.line});
  }
  std::unique_ptr<MultiHost> mh;
  Rig(true).run({rounds_of(0, 2, 4, Op::kRead, 0, kLines), h1}, &mh);
  const BackInvalidationStats s0 = mh->pool().back_invalidation(0);
  const BackInvalidationStats s1 = mh->pool().back_invalidation(1);
  // A host read is MemRd,S: both hosts keep S copies side by side, nobody is snooped until
  // h1's write takes ownership and invalidates h0's clean copies (no write-back).
  EXPECT_EQ(s0.bisnp_received, kLines);
  EXPECT_EQ(s0.bisnp_inv_received, kLines);
  EXPECT_EQ(s1.bisnp_received, 0u);
  EXPECT_EQ(s1.bisnp_caused, kLines);
  EXPECT_EQ(s0.bisnp_caused, 0u);
  EXPECT_EQ(s0.writebacks, 0u);
  EXPECT_EQ(s0.bi_evictions + s1.bi_evictions, 0u);
}

TEST(Dcoh, AFullSnoopFilterBackInvalidatesItsVictims) {
  constexpr unsigned kEntries = 8;
  constexpr uint64_t kLines = 32;  // per host, disjoint
  std::unique_ptr<MultiHost> mh;
  Rig(true, kEntries)
      .run({rounds_of(0, 1, 1, Op::kRead, 0, kLines),
            rounds_of(0, 1, 1, Op::kWrite, kLines, kLines)},
           &mh);
  const BackInvalidationStats h0 = mh->pool().back_invalidation(0);
  const BackInvalidationStats h1 = mh->pool().back_invalidation(1);
  // Every line past the filter's entries evicts one entry, held by one host: one BISnpInv each.
  EXPECT_EQ(h0.bi_evictions + h1.bi_evictions, 2 * kLines - kEntries);
  EXPECT_EQ(h0.bisnp_inv_received + h1.bisnp_inv_received, 2 * kLines - kEntries);
  EXPECT_EQ(h0.birsp_sent + h1.birsp_sent, 2 * kLines - kEntries);
  // h1's lines were written (M): each of its evicted lines came back as a write-back.
  EXPECT_EQ(h1.writebacks, h1.bisnp_inv_received);
  EXPECT_EQ(h0.writebacks, 0u);
}

// Host `host`'s root-port link in the shared partition (its up direction carries the device's
// answers and snoops to that host; the host's partition sends down its own copy).
const FlitLink& root_link(const MultiHost& mh, size_t host) {
  const std::string prefix = mh.host_name(host) + ":";
  for (const FlitLink* l : mh.pool().root_port_links()) {
    if (l->name().rfind(prefix, 0) == 0) return *l;
  }
  throw std::logic_error("no root-port link for " + prefix);
}

// h0 reads lines [0, 64) of shared mem0 (shared copies), then streams reads of 512 lines of its
// own (within the snoop filter: no snoop); meanwhile h1 writes 64 lines from `h1_first`: lines
// h0 holds (each write back-invalidates h0) or lines nobody holds.
struct Contest {
  static constexpr uint64_t kHeld = 64, kStream = 512;
  std::unique_ptr<MultiHost> mh;
  std::vector<std::unique_ptr<Accesses>> hosts;
  Contest(uint64_t h1_first, bool h0_streams) {
    std::vector<Accesses::Step> h0 = rounds_of(0, 1, 1, Op::kRead, 0, kHeld);
    std::vector<Accesses::Step> h1;
    for (uint64_t l = 0; l < kStream && h0_streams; ++l) {
      h0.push_back({Duration::ns(5000), Op::kRead, 1000 + l});
    }
    for (uint64_t l = 0; l < kHeld; ++l) {
      h1.push_back({Duration::ns(5000), Op::kWrite, h1_first + l});
    }
    hosts = Rig(true).run({h0, h1}, &mh);
  }
  [[nodiscard]] double stream_mean_ns() const { return hosts[0]->mean_ns(kHeld); }
};

TEST(Dcoh, BackInvalidationsShareTheSnoopedHostsLinks) {
  const Contest snooped(0, true);       // h1 takes h0's lines: 64 BISnpInv up h0's link
  const Contest elsewhere(2000, true);  // h1 writes lines nobody holds: no snoop
  ASSERT_EQ(snooped.mh->pool().back_invalidation(0).bisnp_inv_received, Contest::kHeld);
  ASSERT_EQ(elsewhere.mh->pool().back_invalidation(0).bisnp_received, 0u);
  // Each BISnp is a message on h0's root-port link up, beside the answers to h0's requests
  // (one S2M message per request on Type 3 memory); each BIRsp one down, beside h0's requests
  // (clean lines: no write-back, CXL 3.1 §3.5.1.2).
  const FlitLink& link = root_link(*snooped.mh, 0);
  const uint64_t answers = Contest::kHeld + Contest::kStream;
  EXPECT_EQ(link.stats(Dir::kUp).messages, answers + Contest::kHeld);
  EXPECT_EQ(root_link(*elsewhere.mh, 0).stats(Dir::kUp).messages, answers);
  // The down direction is the host partition's transmitter: h0's requests and its BIRsps.
  const FlitLink& down = *snooped.mh->host(0).targets()[1].hops.front().link;
  EXPECT_EQ(down.stats(Dir::kDown).messages, answers + Contest::kHeld);
  EXPECT_EQ(elsewhere.mh->host(0).targets()[1].hops.front().link->stats(Dir::kDown).messages,
            answers);
  // They take slots from the answers to h0's stream: it queues longer and gets slower, by at
  // most the snoops' serialisation (the link sends in order of arrival, never idle while a
  // message waits).
  EXPECT_GT(link.stats(Dir::kUp).queueing, root_link(*elsewhere.mh, 0).stats(Dir::kUp).queueing);
  const double slower = snooped.stream_mean_ns() - elsewhere.stream_mean_ns();
  EXPECT_GT(slower, 0);
  EXPECT_LE(slower,
            Duration::ps(link.serialisation_ps(Msg::kRespNoData) * Contest::kHeld).nanoseconds());
  // h1's writes, each waiting for a BISnpInv round trip to h0, stay within a small multiple of
  // the same flow when h0's link is idle (no run-away behind h0's traffic).
  const Contest idle(0, false);
  EXPECT_LT(snooped.hosts[1]->mean_ns(), 2 * idle.hosts[1]->mean_ns());
  EXPECT_GT(snooped.hosts[1]->mean_ns(), elsewhere.hosts[1]->mean_ns());
}

TEST(Dcoh, TheSnoopedHostAnswersAfterItsCacheLookup) {
  // h0 reads line 0 (a shared copy); h1 then writes it: one BISnpInv to h0, whose BIRspI follows
  // its cache lookup, on the write's critical path once (a clean line: no write-back).
  auto h1_write_ns = [](Duration llc) {
    Rig rig(true);
    rig.host.cache.hit_latency = llc;  // the LLC stays off: only the snoop's lookup uses it
    const auto hosts =
        rig.run({{{Duration::ns(1000), Op::kRead, 0}}, {{Duration::ns(3000), Op::kWrite, 0}}});
    return hosts[1]->mean_ns();
  };
  EXPECT_DOUBLE_EQ(h1_write_ns(Duration::ns(133)) - h1_write_ns(Duration::ns(33)), 100.0);
  // Without a stated LLC latency: the host's round trip through the LLC.
  HostProfile none = load_host_profile("spr-xeon");
  none.cache.hit_latency = Duration();
  EXPECT_EQ(snoop_response(none), none.core_to_home + none.home_to_core);
  EXPECT_EQ(snoop_response(load_host_profile("spr-xeon")), Duration::ns(33));
}

TEST(Dcoh, ResultsDoNotDependOnThePartitionOrder) {
  // The hosts send their BIRsp and write-backs as crossings: any order of the partitions within
  // a window gives the same run.
  const std::vector<std::vector<Accesses::Step>> steps = {rounds_of(0, 2, 4, Op::kWrite, 0, 16),
                                                          rounds_of(1, 2, 4, Op::kWrite, 0, 16)};
  Rig forward(true), backward(true);
  backward.order = {2, 1, 0};
  const auto a = forward.run(steps);
  const auto b = backward.run(steps);
  for (size_t h = 0; h < 2; ++h) EXPECT_EQ(a[h]->latency, b[h]->latency) << h;
}

TEST(Dcoh, AHostCacheIsRefused) {
  Rig rig(true);
  rig.host.cache.enabled = true;
  EXPECT_THROW(rig.run({{}, {}}), ValidationError);
}

TEST(Dcoh, TooManyHostsForOneSharedDevice) {
  Rig rig(true);
  std::vector<std::vector<Accesses::Step>> steps(coherence::kMaxAgents + 1);
  EXPECT_THROW(rig.run(steps), ValidationError);
}

}  // namespace
}  // namespace cxlsim::timing
