// Properties of decode compiled from committed decoders, over every interleave the
// specification allows: 1..16 ways, 256 B..16 KiB, 0..2 levels of switches.
#include "fabric/decode_table.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>
#include <set>

#include "fabric/region.h"
#include "fabric/test_topology.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

struct Case {
  unsigned ways, window_ways;
  std::vector<unsigned> fanout;  // dports used per level: host bridge, then switch levels
  Bytes granularity;
};

void showValue(const Case& c, std::ostream& os) {
  os << c.ways << "-way, window x" << c.window_ways << ", fan-out";
  for (unsigned f : c.fanout) os << " " << f;
  os << ", " << c.granularity.value() << " B";
}

// A tree with window_ways host bridges and the case's fan-out below each.
Topology topology_for(const Case& c) {
  testing::TreeShape s;
  s.host_bridges = c.window_ways;
  s.window_granularity = c.granularity;
  s.persistent = MiB(256);
  s.root_ports = c.fanout[0];
  s.switch_levels = static_cast<unsigned>(c.fanout.size() - 1);
  s.dports_per_level.assign(c.fanout.begin() + 1, c.fanout.end());
  return testing::make_tree(s);
}

// Fan-outs (levels x power-of-2 port counts <= 8, the Target Count limit) whose product is m
// and that Linux 6.1 can program: its peer distance at a port is ways / nr_targets, which
// admits a balanced tree only when each port fans out to 1 or to the product of the fan-outs
// below it.
std::vector<std::vector<unsigned>> linux_fanouts(unsigned m, unsigned levels) {
  std::vector<std::vector<unsigned>> out;
  std::vector<unsigned> cur;
  std::function<void(unsigned)> rec = [&](unsigned left) {
    if (cur.size() == levels) {
      if (left != 1) return;
      unsigned below = 1;
      for (size_t i = cur.size(); i-- > 0;) {
        if (i + 1 < cur.size() && cur[i] != 1 && cur[i] != below) return;
        below *= cur[i];
      }
      out.push_back(cur);
      return;
    }
    for (unsigned f = 1; f <= 8; f *= 2) {
      if (left % f == 0) {
        cur.push_back(f);
        rec(left / f);
        cur.pop_back();
      }
    }
  };
  rec(m);
  return out;
}

rc::Gen<Case> gen_case() {
  return rc::gen::mapcat(
      rc::gen::elementOf(std::vector<unsigned>{1, 2, 3, 4, 6, 8, 12, 16}), [](unsigned ways) {
        std::vector<std::pair<unsigned, std::vector<unsigned>>> shapes;  // window ways, fan-out
        for (unsigned w : all_ways()) {
          if (ways % w == 0 && std::has_single_bit(ways / w)) {
            for (unsigned levels = 1; levels <= 3; ++levels) {
              for (auto& f : linux_fanouts(ways / w, levels)) shapes.emplace_back(w, f);
            }
          }
        }
        return rc::gen::apply(
            [ways](const std::pair<unsigned, std::vector<unsigned>>& shape, int e) {
              return Case{ways, shape.first, shape.second, Bytes(256ull << e)};
            },
            rc::gen::elementOf(shapes), rc::gen::inRange(0, 7));
      });
}

TEST(DecodeProps, shapes_cover_every_ways_and_switch_depth) {
  for (unsigned ways : all_ways()) {
    for (unsigned levels = 1; levels <= 3; ++levels) {
      bool any = false;
      for (unsigned w : all_ways()) {
        if (ways % w == 0 && std::has_single_bit(ways / w)) {
          any |= !linux_fanouts(ways / w, levels).empty();
        }
      }
      EXPECT_TRUE(any) << ways << " ways, " << levels - 1 << " switch levels";
    }
  }
}

// Linux 6.1's cxl_port_setup_targets() misprograms two shapes, so the decoders it programs
// alias (half of each device reached twice, half never; see the linux_6_1_* tests):
//  (a) eig = max(peig + peiw, eiw + peig) - eiw + 1 reuses a parent's address bit whenever
//      the parent and the port both interleave 4 or more ways;
//  (b) a pass-through port (1 way) hands its children peiw = 0, so an interleaving port below
//      it selects on bits an interleaved window or port above already used.
// Such regions are outside the properties below.
bool linux_aliases(const Fabric& f, const Region& reg) {
  const Cfmws& w = f.windows()[reg.window];
  const unsigned window_ways = w.ways() % 3 == 0 ? w.ways() / 3 : w.ways();
  auto find = [&](const Port* p) -> const RegionPortDecoder* {
    for (const RegionPortDecoder& u : reg.ports) {
      if (u.port == p) return &u;
    }
    return nullptr;
  };
  for (const RegionPortDecoder& u : reg.ports) {
    if (u.ways == 1) continue;
    unsigned parent_ways = window_ways, above = window_ways;
    bool first = true;
    for (const Dport* d = u.port->parent_dport(); d; d = d->owner()->parent_dport()) {
      const RegionPortDecoder* p = find(d->owner());
      if (first) parent_ways = p->ways;
      first = false;
      above *= p->ways;
    }
    if (parent_ways >= 4 && u.ways >= 4) return true;  // (a)
    if (parent_ways == 1 && above > 1) return true;    // (b)
  }
  return false;
}

struct Built {
  std::unique_ptr<Fabric> fabric;
  std::unique_ptr<RegionManager> regions;
  const Region* region = nullptr;
};

// Builds the case's region; discards cases Linux refuses for their one legitimate reason here
// (a port granularity above 16 KiB) and cases Linux 6.1 misprograms.
Built build(const Case& c) {
  Built b;
  b.fabric = Fabric::build(topology_for(c));
  b.regions = std::make_unique<RegionManager>(*b.fabric);
  RegionRequest r;
  r.ways = c.ways;
  r.granularity = c.granularity;
  try {
    b.region = &b.regions->create(r);
  } catch (const RegionError& e) {
    // "portN: invalid interleave: G" with G > 16 KiB.
    if (std::string(e.what()).find(": invalid interleave: ") == std::string::npos) {
      RC_FAIL(e.what());
    }
    RC_DISCARD("Linux refuses a port granularity above 16 KiB");
  }
  if (linux_aliases(*b.fabric, *b.region)) RC_DISCARD("Linux 6.1 programs aliasing decoders");
  return b;
}

RC_GTEST_PROP(DecodeProps, compiled_table_agrees_with_register_walk_and_inverts, ()) {
  const Case c = *gen_case();
  RC_TAG(c.ways, c.fanout.size());
  Built b = build(c);
  const Fabric& f = *b.fabric;
  const Region& reg = *b.region;
  RC_ASSERT(f.decode_table().regions().size() == 1u);
  RC_ASSERT(f.decode_table().regions()[0].compiled());
  for (int i = 0; i < 200; ++i) {
    const Hpa h = reg.base + Bytes(*rc::gen::inRange<uint64_t>(0, reg.size.value()));
    const auto fast = f.decode(h);
    const auto slow = f.trace(h);
    RC_ASSERT(fast.has_value());
    RC_ASSERT(slow.has_value());
    RC_ASSERT(fast->memdev == slow->memdev);
    RC_ASSERT(fast->dpa == slow->dpa);
    RC_ASSERT(f.dpa_to_hpa(fast->memdev, fast->dpa) == std::optional<Hpa>(h));
  }
}

RC_GTEST_PROP(DecodeProps, every_hpa_maps_to_exactly_one_device_location, ()) {
  const Case c = *gen_case();
  Built b = build(c);
  const Fabric& f = *b.fabric;
  const Region& reg = *b.region;
  // Every granule of the first and last 1 MiB: inside its memdev's allocation, no collisions.
  std::set<std::pair<size_t, uint64_t>> seen;
  const uint64_t span = std::min<uint64_t>(MiB(1).value(), reg.size.value() / 2);
  for (uint64_t base : {uint64_t{0}, reg.size.value() - span}) {
    for (uint64_t off = base; off < base + span; off += 256) {
      const auto d = f.decode(reg.base + Bytes(off));
      RC_ASSERT(d.has_value());
      const auto t = std::find_if(reg.targets.begin(), reg.targets.end(),
                                  [&](const RegionTarget& x) { return x.memdev == d->memdev; });
      RC_ASSERT(t != reg.targets.end());
      RC_ASSERT(d->dpa >= t->dpa_base);
      RC_ASSERT(d->dpa < t->dpa_base + t->dpa_size);
      RC_ASSERT(seen.emplace(d->memdev, d->dpa.value()).second);
    }
  }
  // And every DPA of every memdev is reached from exactly one HPA (inverse is total).
  for (const RegionTarget& t : reg.targets) {
    const Dpa dpa = t.dpa_base + Bytes(*rc::gen::inRange<uint64_t>(0, t.dpa_size.value()));
    const auto h = f.dpa_to_hpa(t.memdev, dpa);
    RC_ASSERT(h.has_value());
    RC_ASSERT(f.decode(*h) == std::optional<DecodeResult>(DecodeResult{t.memdev, dpa}));
  }
}

TEST(DecodeTable, linux_6_1_x4_under_x4_aliases) {
  // x4 window (bits 8-9 pick the host bridge), each host bridge with 4 root ports: Linux 6.1
  // gives the host bridge decoders 512 B granularity (bits 9-10), so bit 9 is used twice and
  // half of each device is reached twice while the other half is unreachable.
  Case c{16, 4, {4}, Bytes(256)};
  auto f = Fabric::build(topology_for(c));
  RegionManager regions(*f);
  RegionRequest r;
  r.ways = 16;
  const Region& reg = regions.create(r);
  EXPECT_EQ(f->host_bridges()[0]->hdm()->state(0).granularity, Bytes(512));
  std::set<std::pair<size_t, uint64_t>> seen;
  unsigned collisions = 0;
  for (uint64_t off = 0; off < size_t{64} * 256; off += 256) {
    const auto d = f->decode(reg.base + Bytes(off));
    ASSERT_TRUE(d);
    collisions += !seen.emplace(d->memdev, d->dpa.value()).second;
    const auto t = f->trace(reg.base + Bytes(off + reg.size.value() / 2));
    EXPECT_EQ(f->decode(reg.base + Bytes(off + reg.size.value() / 2)),
              (DecodeResult{t->memdev, t->dpa}));
  }
  EXPECT_GT(collisions, 0u);
  EXPECT_TRUE(f->decode_table().regions()[0].compiled());
  EXPECT_FALSE(f->decode_table().regions()[0].invertible());
}

TEST(DecodeTable, linux_6_1_interleave_below_passthrough_aliases) {
  // x2 window (bit 8), pass-through host bridges, a 2-port switch below each: the switch
  // decoders inherit 256 B from the 1-way host bridge decoder and select on bit 8 again.
  Case c{4, 2, {1, 2}, Bytes(256)};
  auto f = Fabric::build(topology_for(c));
  RegionManager regions(*f);
  RegionRequest r;
  r.ways = 4;
  const Region& reg = regions.create(r);
  EXPECT_EQ(f->switches()[0]->hdm()->state(0).granularity, Bytes(256));
  std::set<std::pair<size_t, uint64_t>> seen;
  unsigned collisions = 0;
  for (uint64_t off = 0; off < size_t{64} * 256; off += 256) {
    const auto d = f->decode(reg.base + Bytes(off));
    ASSERT_TRUE(d);
    collisions += !seen.emplace(d->memdev, d->dpa.value()).second;
    const auto t = f->trace(reg.base + Bytes(off + reg.size.value() / 2));
    EXPECT_EQ(f->decode(reg.base + Bytes(off + reg.size.value() / 2)),
              (DecodeResult{t->memdev, t->dpa}));
  }
  EXPECT_GT(collisions, 0u);
  EXPECT_TRUE(f->decode_table().regions()[0].compiled());
  EXPECT_FALSE(f->decode_table().regions()[0].invertible());
}

TEST(DecodeTable, nonperiodic_resolver_falls_back_to_the_resolver) {
  // A resolver whose second period differs from the first cannot be tabulated.
  RegionDecodeTable t(Hpa(0x1000000), MiB(1), Bytes(256), Bytes(512),
                      [](Hpa h) -> std::optional<DecodeResult> {
                        const uint64_t off = h.value() - 0x1000000;
                        return DecodeResult{off < 512 ? 0u : 1u, Dpa(off)};
                      });
  EXPECT_FALSE(t.compiled());
  EXPECT_EQ(t.decode(Hpa(0x1000000 + 4096)), (DecodeResult{1, Dpa(4096)}));
}

TEST(DecodeTable, unmapped_granules_decode_to_nothing) {
  RegionDecodeTable t(Hpa(0), KiB(4), Bytes(256), Bytes(512),
                      [](Hpa h) -> std::optional<DecodeResult> {
                        if ((h.value() / 256) % 2) return std::nullopt;
                        return DecodeResult{0, Dpa(h.value() / 512 * 256 + h.value() % 256)};
                      });
  EXPECT_TRUE(t.compiled());
  EXPECT_FALSE(t.decode(Hpa(256)));
  EXPECT_EQ(t.decode(Hpa(1024 + 3)), (DecodeResult{0, Dpa(512 + 3)}));
  EXPECT_EQ(t.to_hpa(0, Dpa(512 + 3)), std::optional<Hpa>(Hpa(1024 + 3)));
}

}  // namespace
}  // namespace cxlsim
