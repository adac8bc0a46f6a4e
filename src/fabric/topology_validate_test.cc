#include "fabric/topology_validate.h"

#include <gtest/gtest.h>

#include "fabric/builtin_topologies.h"
#include "fabric/topology_toml.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

// hb0 -> rp0 -> sw0 -> (sw0p0 -> mem0, sw0p1 -> mem1); hb0 -> rp1 -> mem2; window w0 over hb0.
Topology good() {
  Topology t;
  t.windows.push_back({"w0", std::nullopt, GiB(4), {"hb0"}, Bytes(256), {}});
  t.host_bridges.push_back({"hb0", 0, 12});
  t.root_ports.push_back({"rp0", "hb0", 0, 0, 0});
  t.root_ports.push_back({"rp1", "hb0", 1, 0, 1});
  t.switches.push_back({"sw0", "rp0"});
  t.downstream_ports.push_back({"sw0p0", "sw0", 0, 0, 2});
  t.downstream_ports.push_back({"sw0p1", "sw0", 1, 0, 3});
  for (int i = 0; i < 3; ++i) {
    Type3Spec d;
    d.id = "mem" + std::to_string(i);
    d.parent = i == 2 ? "rp1" : "sw0p" + std::to_string(i);
    d.persistent_size = GiB(1);
    d.serial = static_cast<uint64_t>(i) + 1;
    t.type3.push_back(d);
  }
  return t;
}

// The error diagnostics about `element`, joined.
std::string errors_for(const Topology& t, const std::string& element) {
  std::string out;
  for (const auto& d : validate(t)) {
    if (d.severity == Severity::kError && d.element == element) out += d.message + "\n";
  }
  return out;
}

bool mentions(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

TEST(TopologyValidate, GoodTopologyHasNoDiagnostics) {
  EXPECT_TRUE(validate(good()).empty());
  EXPECT_NO_THROW(validate_or_throw(good()));
}

TEST(TopologyValidate, DuplicateIds) {
  Topology t = good();
  t.type3[1].id = "sw0";
  EXPECT_TRUE(mentions(errors_for(t, "sw0"), "duplicate id 'sw0' (switch and type3)"));
}

TEST(TopologyValidate, DuplicateBusNumbersAndUids) {
  Topology t = good();
  t.host_bridges.push_back({"hb1", 0, 12});
  t.windows[0].targets.emplace_back("hb1");
  std::string e = errors_for(t, "hb1");
  EXPECT_TRUE(mentions(e, "bus_nr 12 is also used by host bridge 'hb0'")) << e;
  EXPECT_TRUE(mentions(e, "uid 0 is also used")) << e;
  t.host_bridges[1].bus_nr = 0;
  EXPECT_TRUE(mentions(errors_for(t, "hb1"), "out of range 1..255"));
}

TEST(TopologyValidate, BusRangesOfHostBridges) {
  Topology t = good();  // hb0 at bus 12 needs 12 (root bus), rp0, sw0 internal, 2 DSPs, rp1: 12..17
  t.host_bridges.push_back({"hb1", 1, 17});
  t.root_ports.push_back({"rp9", "hb1", 0, 0, 9});
  t.type3.push_back(t.type3[0]);
  t.type3.back().id = "mem9";
  t.type3.back().parent = "rp9";
  t.type3.back().serial = 9;
  t.windows[0].targets.emplace_back("hb1");
  EXPECT_TRUE(
      mentions(errors_for(t, "hb0"), "needs buses 12..17 but host bridge 'hb1' starts at bus 17"));
  t.host_bridges[1].bus_nr = 18;
  EXPECT_EQ(errors_for(t, "hb0"), "");
  EXPECT_EQ(errors_for(t, "hb1"), "");
  t.host_bridges[1].bus_nr = 255;  // needs 255..256
  EXPECT_TRUE(mentions(errors_for(t, "hb1"), "beyond bus 255"));
}

TEST(TopologyValidate, DuplicatePortNumbersUnderOneParent) {
  Topology t = good();
  t.root_ports[1].port_number = 0;
  EXPECT_TRUE(mentions(errors_for(t, "rp1"), "port number 0 is also used by 'rp0' below 'hb0'"));
  t = good();
  t.downstream_ports[1].port_number = 0;
  EXPECT_TRUE(mentions(errors_for(t, "sw0p1"), "port number 0 is also used by 'sw0p0'"));
}

TEST(TopologyValidate, DanglingReferences) {
  Topology t = good();
  t.type3[2].parent = "rp9";
  EXPECT_TRUE(mentions(errors_for(t, "mem2"), "parent 'rp9' does not exist"));
  t = good();
  t.root_ports[0].host_bridge = "hbX";
  EXPECT_TRUE(mentions(errors_for(t, "rp0"), "host_bridge 'hbX' does not exist"));
  t = good();
  t.downstream_ports[0].switch_id = "swX";
  EXPECT_TRUE(mentions(errors_for(t, "sw0p0"), "switch 'swX' does not exist"));
  t = good();
  t.windows[0].targets = {"nope"};
  EXPECT_TRUE(mentions(errors_for(t, "w0"), "target 'nope' does not exist"));
}

TEST(TopologyValidate, ReferencesOfTheWrongKind) {
  Topology t = good();
  t.windows[0].targets = {"rp0"};
  EXPECT_TRUE(mentions(errors_for(t, "w0"), "target 'rp0' is a root_port, expected a host bridge"));
  t = good();
  t.type3[2].parent = "hb0";
  EXPECT_TRUE(
      mentions(errors_for(t, "mem2"), "is a host_bridge, expected a root port or downstream port"));
}

TEST(TopologyValidate, DeviceWithoutMemory) {
  Topology t = good();
  t.type3[0].persistent_size = Bytes(0);
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "device has no memory"));
}

TEST(TopologyValidate, SizesMustBeMultiplesOf256MiB) {
  Topology t = good();
  t.type3[0].persistent_size = MiB(300);
  t.windows[0].size = MiB(1000);
  EXPECT_TRUE(
      mentions(errors_for(t, "mem0"), "persistent capacity 300 MiB is not a multiple of 256 MiB"));
  EXPECT_TRUE(mentions(errors_for(t, "w0"), "window size 1000 MiB is not a multiple of 256 MiB"));
}

TEST(TopologyValidate, InterleaveWaysAndGranularity) {
  for (unsigned n : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 12u, 16u, 17u}) {
    Topology t = good();
    t.windows[0].targets.clear();
    for (unsigned i = 0; i < n; ++i) {
      std::string id = "h" + std::to_string(i);
      t.host_bridges.push_back({id, 100 + i, 100 + i});
      t.windows[0].targets.push_back(id);
    }
    bool valid_ways =
        n == 1 || n == 2 || n == 3 || n == 4 || n == 6 || n == 8 || n == 12 || n == 16;
    EXPECT_EQ(mentions(errors_for(t, "w0"), "interleave ways"), !valid_ways) << n;
  }
  for (uint64_t g : {128u, 256u, 768u, 1024u, 16384u, 32768u}) {
    Topology t = good();
    t.windows[0].granularity = Bytes(g);
    bool ok = g >= 256 && g <= 16384 && (g & (g - 1)) == 0;
    EXPECT_EQ(mentions(errors_for(t, "w0"), "granularity"), !ok) << g;
  }
}

TEST(TopologyValidate, DuplicateSerials) {
  Topology t = good();
  t.type3[2].serial = 1;
  EXPECT_TRUE(mentions(errors_for(t, "mem2"), "serial 0x1 is also used by 'mem0'"));
  t.type3[0].serial = t.type3[2].serial = 0;  // 0: no serial; not a duplicate
  EXPECT_EQ(errors_for(t, "mem2"), "");
}

TEST(TopologyValidate, SwitchInItsOwnSubtree) {
  Topology t = good();
  t.switches[0].parent = "sw0p1";  // sw0 below its own downstream port
  t.type3.erase(t.type3.begin() + 1);
  EXPECT_TRUE(mentions(errors_for(t, "sw0"), "cycle"));
  // Two switches below each other's ports.
  t = good();
  t.switches.push_back({"sw1", "sw0p1"});
  t.downstream_ports.push_back({"sw1p0", "sw1", 0, 0, 9});
  t.switches[0].parent = "sw1p0";
  t.type3.erase(t.type3.begin() + 1);
  EXPECT_TRUE(mentions(errors_for(t, "sw0"), "cycle"));
  EXPECT_TRUE(mentions(errors_for(t, "sw1"), "cycle"));
}

// Issue #18: a chain of switches needing more than 255 bus numbers is refused, and checking a
// 10,000-switch chain is near-linear (it was cubic; this test would run for hours).
TEST(TopologyValidate, LongSwitchChainIsRefusedForItsBusNumbers) {
  Topology t = good();
  std::string parent = "sw0p0";
  t.type3.erase(t.type3.begin());  // mem0 moves to the end of the chain
  for (int i = 1; i <= 10000; ++i) {
    const std::string sw = "chain" + std::to_string(i);
    t.switches.push_back({sw, parent});
    t.downstream_ports.push_back({sw + "p0", sw, 0, 0, 0});
    parent = sw + "p0";
  }
  t.type3[0].parent = parent;
  EXPECT_TRUE(mentions(errors_for(t, "hb0"), "beyond bus 255")) << errors_for(t, "hb0");
}

// Issue #18: repeated switch ids made bus counting recurse about 2^33 times.
TEST(TopologyValidate, RepeatedSwitchIdsAreReportedNotExplored) {
  Topology t = good();
  for (int i = 0; i < 40; ++i) {
    t.switches.push_back({"swr", i == 0 ? "sw0p1" : "swrp0"});
    t.downstream_ports.push_back({"swrp0", "swr", 0, 0, 0});
    t.downstream_ports.push_back({"swrp1", "swr", 1, 0, 0});
  }
  t.type3.erase(t.type3.begin() + 1);
  EXPECT_TRUE(mentions(errors_for(t, "swr"), "duplicate id 'swr'"));
}

// Issue #18: 64-bit wrap-arounds are refused, not accepted modulo 2^64.
TEST(TopologyValidate, WrappingWindowsAndCapacitiesAreRefused) {
  Topology t = good();
  t.windows[0].base = 0xffff'ffff'0000'0000;  // + 4 GiB is 2^64
  EXPECT_TRUE(mentions(errors_for(t, "w0"), "beyond the 64-bit address space"))
      << errors_for(t, "w0");
  t = good();
  t.type3[0].volatile_size = Bytes(uint64_t{1} << 63);
  t.type3[0].persistent_size = Bytes(uint64_t{1} << 63);
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "beyond 2^64")) << errors_for(t, "mem0");
}

// Issue #18: an absurd LSA is refused at validation, before anything is allocated for it.
TEST(TopologyValidate, HugeLsaIsRefused) {
  Topology t = good();
  t.type3[0].lsa_size = GiB(5);
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "lsa 5 GiB is larger than")) << errors_for(t, "mem0");
  t.type3[0].lsa_size = MiB(256);  // QEMU's documentation uses this size
  EXPECT_EQ(errors_for(t, "mem0"), "");
}

// Issue #18: one file backing two stores (of one device or two) would alias their data.
TEST(TopologyValidate, OneFileCannotBackTwoStores) {
  Topology t = good();
  t.type3[0].persistent_backing.path = "/tmp/cxlsim-alias-test/a.raw";
  t.type3[0].lsa_backing.path = "/tmp/cxlsim-alias-test/../cxlsim-alias-test/a.raw";
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "one file cannot back two stores"))
      << errors_for(t, "mem0");
  t.type3[0].lsa_backing.path = "/tmp/cxlsim-alias-test/a.lsa";
  t.type3[1].persistent_backing.path = "/tmp/cxlsim-alias-test/a.raw";
  EXPECT_TRUE(mentions(errors_for(t, "mem1"), "is also the persistent_path of 'mem0'"))
      << errors_for(t, "mem1");
}

TEST(TopologyValidate, OnePerLink) {
  Topology t = good();
  t.type3[2].parent = "sw0p0";
  EXPECT_TRUE(mentions(errors_for(t, "mem2"), "port 'sw0p0' already has 'mem0' below it"));
}

TEST(TopologyValidate, EmptyPortIsAWarning) {
  Topology t = good();
  t.type3.pop_back();  // rp1 now empty
  auto diags = validate(t);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].severity, Severity::kWarning);
  EXPECT_EQ(diags[0].element, "rp1");
  EXPECT_FALSE(has_errors(diags));
  EXPECT_NO_THROW(validate_or_throw(t));
  EXPECT_EQ(to_string(diags[0]), "warning: 'rp1': root port has nothing below it");
}

TEST(TopologyValidate, OverlappingWindows) {
  Topology t = good();
  t.windows[0].base = GiB(64).value();
  t.windows.push_back({"w1", GiB(66).value(), GiB(1), {"hb0"}, Bytes(256), {}});
  EXPECT_TRUE(mentions(errors_for(t, "w1"), "overlaps window 'w0'"));
}

TEST(TopologyValidate, ThrowingWrapperListsEveryError) {
  Topology t = good();
  t.type3[0].persistent_size = MiB(100);
  t.type3[1].parent = "zz";
  try {
    validate_or_throw(t);
    FAIL() << "no exception";
  } catch (const ValidationError& e) {
    std::string m = e.what();
    EXPECT_TRUE(mentions(m, "'mem0'")) << m;
    EXPECT_TRUE(mentions(m, "'mem1': parent 'zz' does not exist")) << m;
  }
}

TEST(TopologyValidate, DcRegionsAndBlockSize) {
  Topology t = good();
  t.type3[0].dc_regions = {MiB(256), GiB(1)};
  EXPECT_TRUE(errors_for(t, "mem0").empty()) << errors_for(t, "mem0");
  t.type3[0].dc_regions = {MiB(300), Bytes(0)};
  t.type3[0].dc_block_size = MiB(3);
  const std::string e = errors_for(t, "mem0");
  EXPECT_TRUE(mentions(e, "DC region 0 300 MiB is not a multiple of 256 MiB")) << e;
  EXPECT_TRUE(mentions(e, "DC region 1 is empty")) << e;
  EXPECT_TRUE(mentions(e, "dc_block_size 3 MiB is not a power of two")) << e;
  t.type3[0].dc_regions = {MiB(256)};
  t.type3[0].dc_block_size = MiB(512);
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "is not a multiple of dc_block_size 512 MiB"));
  t.type3[0].dc_block_size = MiB(2);
  t.type3[0].dc_regions.assign(9, MiB(256));
  EXPECT_TRUE(mentions(errors_for(t, "mem0"), "9 DC regions (at most 8)"));
}

TEST(TopologyValidate, LinkWidths) {
  Topology t = good();
  t.root_ports[0].link.width = 16;
  t.switches[0].link = {4, LinkSpeed::k64GT};
  t.downstream_ports[0].link.width = 1;
  t.type3[0].link.width = 2;
  EXPECT_TRUE(validate(t).empty());
  t.switches[0].link.width = 3;
  t.type3[1].link.width = 32;  // x32 left the PCIe 6.0 base spec; CXL never had it
  t.root_ports[1].link.width = 0;
  t.downstream_ports[1].link.speed = static_cast<LinkSpeed>(7);
  EXPECT_TRUE(mentions(errors_for(t, "sw0"), "link_width 3 is not a PCIe link width"))
      << errors_for(t, "sw0");
  EXPECT_TRUE(mentions(errors_for(t, "mem1"), "link_width 32")) << errors_for(t, "mem1");
  EXPECT_TRUE(mentions(errors_for(t, "rp1"), "link_width 0")) << errors_for(t, "rp1");
  EXPECT_TRUE(mentions(errors_for(t, "sw0p1"), "link_speed code 7")) << errors_for(t, "sw0p1");
  EXPECT_TRUE(errors_for(t, "rp0").empty());
}

}  // namespace
}  // namespace cxlsim

namespace cxlsim {
namespace {

Topology pool() {
  Topology t = good();
  t.hosts.push_back({"h0", 4});
  t.mlds.push_back({"mld0", 4, GiB(1), false});
  t.dcds.push_back({"dcd0", {GiB(1)}, MiB(2), false});
  return t;
}

TEST(TopologyValidatePool, GoodPoolHasNoDiagnostics) { EXPECT_TRUE(validate(pool()).empty()); }

TEST(TopologyValidatePool, BadPoolElementsNameElementAndRule) {
  Topology t = pool();
  t.hosts[0].vppbs = 0;
  t.mlds[0].ld_size = MiB(100);
  t.dcds[0].dc_regions = {};
  t.mlds.push_back({"h0", 1, GiB(1), false});
  EXPECT_TRUE(mentions(errors_for(t, "h0"), "host has no vPPBs"));
  EXPECT_TRUE(mentions(errors_for(t, "h0"), "duplicate id 'h0' (host and mld)"));
  EXPECT_TRUE(mentions(errors_for(t, "mld0"), "ld_size 100 MiB is not a multiple of 256 MiB"));
  EXPECT_TRUE(mentions(errors_for(t, "dcd0"), "dcd has no dc_regions"));
}

TEST(TopologyValidatePool, PooledDevicesNeedAHost) {
  Topology t = pool();
  t.hosts.clear();
  EXPECT_TRUE(mentions(errors_for(t, ""), "need at least one [[host]]"));
}

TEST(TopologyValidatePool, BuiltinPool2HostRoundTrips) {
  const Topology t = parse_topology_toml(*builtin_topology_toml("pool-2host"), "builtin");
  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[1].id, "h1");
  EXPECT_EQ(t.hosts[0].vppbs, 4u);
  ASSERT_EQ(t.mlds.size(), 1u);
  EXPECT_EQ(t.mlds[0].lds, 4u);
  ASSERT_EQ(t.dcds.size(), 1u);
  EXPECT_EQ(t.dcds[0].id, "dcd0");
  EXPECT_TRUE(validate(t).empty());  // a pool alone: no errors, no warnings
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
}

TEST(TopologyValidatePool, OutOfRangeCountsAreRefusedByTheReader) {
  EXPECT_THROW(parse_topology_toml("version = 1\n[[mld]]\nid = \"m\"\nlds = 17\n", "x"),
               ParseError);
  EXPECT_THROW(parse_topology_toml("version = 1\n[[host]]\nid = \"h\"\nvppbs = 300\n", "x"),
               ParseError);
}

}  // namespace
}  // namespace cxlsim
