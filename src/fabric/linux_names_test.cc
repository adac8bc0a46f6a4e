#include "fabric/linux_names.h"

#include <gtest/gtest.h>

#include "fabric/fabric.h"
#include "fabric/host_bridge.h"
#include "fabric/test_topology.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

Topology two_by_two() {
  testing::TreeShape s;
  s.host_bridges = 2;
  s.root_ports = 2;
  s.windows = 2;
  Topology t = testing::make_tree(s);  // memdevs mem0..mem3 by id, in that order
  const char* ids[] = {"a", "b", "c", "d"};
  for (size_t i = 0; i < t.type3.size(); ++i) t.type3[i].id = ids[i];
  t.windows[1].id = "second";
  return t;
}

TEST(ResolveMemdev, TopologyIdOrLinuxName) {
  const Topology t = two_by_two();
  EXPECT_EQ(resolve_memdev(t, "c"), 2u);
  EXPECT_EQ(resolve_memdev(t, "mem2"), 2u);
  EXPECT_EQ(resolve_memdev(t, linux_memdev_name(3)), 3u);
  EXPECT_THROW(resolve_memdev(t, "mem4"), ValidationError);
  EXPECT_THROW(resolve_memdev(t, "mem"), ValidationError);
}

TEST(ResolveMemdev, TypeTwoDevicesFollowTypeThree) {
  Topology t = two_by_two();
  t.type2.push_back({"acc", t.root_ports[0].id, GiB(1), Bytes(0), 9, {}});
  EXPECT_EQ(resolve_memdev(t, "acc"), 4u);
  EXPECT_EQ(resolve_memdev(t, "mem4"), 4u);
}

TEST(ResolveMemdev, TopologyIdWinsOverAnotherDevicesLinuxName) {
  Topology t = two_by_two();
  t.type3[0].id = "mem1";
  EXPECT_EQ(resolve_memdev(t, "mem1"), 0u);
  EXPECT_EQ(resolve_memdev(t, "b"), 1u);
}

TEST(ResolveWindow, IndexRootDecoderOrId) {
  const Topology t = two_by_two();
  EXPECT_EQ(resolve_window(t, "1"), 1u);
  EXPECT_EQ(resolve_window(t, "decoder0.1"), 1u);
  EXPECT_EQ(resolve_window(t, linux_root_decoder_name(0)), 0u);
  EXPECT_EQ(resolve_window(t, "second"), 1u);
  EXPECT_EQ(resolve_window(t, "cfmw0"), 0u);
  EXPECT_THROW(resolve_window(t, "2"), ValidationError);
  EXPECT_THROW(resolve_window(t, "decoder1.0"), ValidationError);
}

// The fabric's component by topology id (test helpers).
const HostBridge& host_bridge(const Fabric& f, std::string_view id) {
  for (const auto& hb : f.host_bridges()) {
    if (hb->id() == id) return *hb;
  }
  throw std::out_of_range(std::string(id));
}
const Dport& dport(const Fabric& f, std::string_view id) {
  auto in = [&](const Port& p) -> const Dport* {
    for (const auto& d : p.dports()) {
      if (d->id() == id) return d.get();
    }
    return nullptr;
  };
  for (const auto& hb : f.host_bridges()) {
    if (const Dport* d = in(*hb)) return *d;
  }
  for (const auto& sw : f.switches()) {
    if (const Dport* d = in(*sw)) return *d;
  }
  throw std::out_of_range(std::string(id));
}
const Port& switch_port(const Fabric& f, std::string_view id) {
  for (const auto& sw : f.switches()) {
    if (sw->id() == id) return *sw;
  }
  throw std::out_of_range(std::string(id));
}

Type3Spec device(std::string id, std::string parent) {
  Type3Spec m;
  m.id = std::move(id);
  m.parent = std::move(parent);
  m.persistent_size = MiB(256);
  return m;
}

// QEMU lists pxb-cxl root buses newest first and Linux numbers ACPI0016 devices in that
// (namespace) order; cxl_acpi adds the host bridge ports in the same order: port1 is the host
// bridge created last. The alias is the root bus, whatever the order.
TEST(LinuxNames, HostBridgesInReverseCreationOrder) {
  Topology t;
  t.host_bridges = {{"h0", 7, 0x10}, {"h1", 8, 0x30}, {"h2", 9, 0x20}};
  t.root_ports = {{"r0", "h0", 0}, {"r1", "h1", 0}, {"r2", "h2", 0}};
  t.windows = {{"w", std::nullopt, GiB(4), {"h0", "h1", "h2"}, Bytes(256), {}}};
  t.windows[0].size = GiB(3);
  const auto f = Fabric::build(t);
  const LinuxNames n(*f);
  ASSERT_EQ(n.host_bridges().size(), 3u);
  EXPECT_EQ(n.host_bridges()[0]->id(), "h2");
  EXPECT_EQ(n.host_bridges()[2]->id(), "h0");
  EXPECT_EQ(n.host_bridge_acpi(host_bridge(*f, "h2")), "ACPI0016:00");
  EXPECT_EQ(n.host_bridge_acpi(host_bridge(*f, "h0")), "ACPI0016:02");
  EXPECT_EQ(LinuxNames::host_bridge_alias(host_bridge(*f, "h0")), "pci0000:10");
  EXPECT_EQ(n.port(&host_bridge(*f, "h2")), "port1");
  EXPECT_EQ(n.port(&host_bridge(*f, "h0")), "port3");
  EXPECT_EQ(n.port_host(host_bridge(*f, "h1")), "ACPI0016:01");
}

// Bus numbers are given depth first below the host bridge's root bus, one per bridge; device
// numbers follow creation (topology) order on each bus. Expected values by the rules; they are
// also what the guest shows for tests/conformance/topologies/switch2.toml (same shape).
TEST(LinuxNames, PciAddressesDepthFirst) {
  Topology t;
  t.host_bridges = {{"hb", 12, 0x0c}};
  t.windows = {{"w", std::nullopt, GiB(4), {"hb"}, Bytes(256), {}}};
  t.root_ports = {{"rpa", "hb", 0}, {"rpb", "hb", 1}};
  t.switches = {{"sw0", "rpa"}, {"sw1", "d0"}};
  t.downstream_ports = {{"d0", "sw0", 0}, {"d1", "sw0", 1}, {"e0", "sw1", 0}, {"e1", "sw1", 1}};
  t.type3 = {device("m0", "e0"), device("m1", "e1"), device("m2", "d1"), device("m3", "rpb")};
  const auto f = Fabric::build(t);
  const LinuxNames n(*f);
  EXPECT_EQ(n.dport_address(dport(*f, "rpa")).name(), "0000:0c:00.0");
  EXPECT_EQ(n.dport_address(dport(*f, "rpb")).name(), "0000:0c:01.0");
  EXPECT_EQ(n.port_host(switch_port(*f, "sw0")), "0000:0d:00.0");  // rpa's secondary bus
  EXPECT_EQ(n.dport_address(dport(*f, "d0")).name(), "0000:0e:00.0");
  EXPECT_EQ(n.dport_address(dport(*f, "d1")).name(), "0000:0e:01.0");
  EXPECT_EQ(n.port_host(switch_port(*f, "sw1")), "0000:0f:00.0");  // d0's secondary bus
  EXPECT_EQ(n.dport_address(dport(*f, "e0")).name(), "0000:10:00.0");
  EXPECT_EQ(n.memdev_address(0).name(), "0000:11:00.0");
  EXPECT_EQ(n.memdev_address(1).name(), "0000:12:00.0");
  EXPECT_EQ(n.memdev_address(2).name(), "0000:13:00.0");  // d1's, after sw1's subtree
  EXPECT_EQ(n.memdev_address(3).name(), "0000:14:00.0");  // rpb's, after rpa's subtree
}

// Device numbers are slots in creation order, not PCIe port numbers; an empty port still takes
// a bus number.
TEST(LinuxNames, SlotsInCreationOrderAndEmptyPortsTakeABus) {
  Topology t;
  t.host_bridges = {{"hb", 12, 0x40}};
  t.windows = {{"w", std::nullopt, GiB(4), {"hb"}, Bytes(256), {}}};
  t.root_ports = {{"empty", "hb", 5}, {"used", "hb", 2}};
  t.type3 = {device("m", "used")};
  const auto f = Fabric::build(t);
  const LinuxNames n(*f);
  EXPECT_EQ(n.dport_address(dport(*f, "empty")).name(), "0000:40:00.0");
  EXPECT_EQ(n.dport_address(dport(*f, "used")).name(), "0000:40:01.0");
  EXPECT_EQ(n.memdev_address(0).name(), "0000:42:00.0");
}

}  // namespace
}  // namespace cxlsim
