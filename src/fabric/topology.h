// The topology description: plain data, as read from cxlsim's TOML format or a QEMU command
// line, before anything is built from it. Elements refer to each other by id, the way QEMU's
// `bus=` does. Nothing here has behaviour beyond lookups; validation is in topology_validate.h,
// construction of the live fabric (registers, decoders, devices) in fabric.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/pcie_link.h"
#include "spec/units.h"

namespace cxlsim {

// CFMWS Window Restrictions (CXL 3.1 §9.18.1.3, CEDT CFMWS structure, offset 0x22).
struct WindowRestrictions {
  bool type2 = false;                     // bit 0: device-coherent (Type 2) memory
  bool type3 = true;                      // bit 1: host-only coherent (Type 3) memory
  bool volatile_ = true;                  // bit 2
  bool persistent = true;                 // bit 3
  bool fixed_config = false;              // bit 4: configuration fixed by platform firmware
  [[nodiscard]] uint16_t encode() const;  // the 16-bit CFMWS field
  auto operator<=>(const WindowRestrictions&) const = default;
};

// A CXL Fixed Memory Window: a range of HPA that the platform routes to host bridges,
// interleaved across `targets` (host bridge ids, in interleave-position order).
struct WindowSpec {
  std::string id;                // e.g. "cfmw0"; QEMU's cxl-fmw.N becomes "cfmw<N>"
  std::optional<uint64_t> base;  // HPA base; assigned at build time when absent
  Bytes size;
  std::vector<std::string> targets;
  Bytes granularity = Bytes(256);  // host bridge interleave granularity (HBIG)
  WindowRestrictions restrictions;
  bool operator==(const WindowSpec&) const = default;
};

// A CXL host bridge (QEMU pxb-cxl; ACPI0016 with a CHBS entry in CEDT).
struct HostBridgeSpec {
  std::string id;
  unsigned uid = 0;     // _UID, also the CHBS UID
  unsigned bus_nr = 0;  // first bus number below it
  bool operator==(const HostBridgeSpec&) const = default;
};

// A root port below a host bridge (QEMU cxl-rp).
struct RootPortSpec {
  std::string id;
  std::string host_bridge;   // id of the parent host bridge
  unsigned port_number = 0;  // PCIe Link Capabilities port number; HDM target lists name it
  unsigned chassis = 0;
  unsigned slot = 0;
  LinkCaps link{};  // this port's end of the link below it
  bool operator==(const RootPortSpec&) const = default;
};

// A switch, named by its upstream port (QEMU cxl-upstream), below a root port or a
// downstream port of another switch.
struct SwitchSpec {
  std::string id;
  std::string parent;  // id of a root port or a downstream port
  LinkCaps link{};     // the upstream port's end of the link to `parent`
  // A Switch Mailbox CCI: a PCI function beside the upstream port (function 1 of its device)
  // with a mailbox (CXL 3.1 §8.2.8.4) for the switch's commands; QEMU 10's
  // cxl-switch-mailbox-cci. Linux 6.12 binds no driver to it and `cxl list` does not show it.
  bool mailbox_cci = false;
  bool operator==(const SwitchSpec&) const = default;
};

// A switch downstream port (QEMU cxl-downstream).
struct DownstreamPortSpec {
  std::string id;
  std::string switch_id;
  unsigned port_number = 0;
  unsigned chassis = 0;
  unsigned slot = 0;
  LinkCaps link{};  // this port's end of the link below it
  bool operator==(const DownstreamPortSpec&) const = default;
};

// Where a device's memory lives. An empty path means anonymous RAM (lost at exit); a path
// means a file, mapped shared, so persistent capacity survives restarts.
struct BackingSpec {
  std::string object_id;  // QEMU memory-backend object id, kept for round trips
  std::string path;
  bool operator==(const BackingSpec&) const = default;
};

// A Type 3 memory device (QEMU cxl-type3).
struct Type3Spec {
  std::string id;
  std::string parent;  // id of a root port or downstream port
  Bytes volatile_size;
  Bytes persistent_size;
  Bytes lsa_size;
  // Set Partition Info may move capacity between volatile and persistent (cxlsim's default);
  // false: fixed volatile-only and persistent-only capacity (QEMU 7.2, set by an import).
  bool partitionable = true;
  uint64_t serial = 0;
  BackingSpec volatile_backing;
  BackingSpec persistent_backing;
  BackingSpec lsa_backing;
  // Dynamic Capacity regions (CXL 3.1 §9.13.3), in DPA order after the static capacity; each a
  // multiple of 256 MiB. Empty: not a DCD.
  std::vector<Bytes> dc_regions;
  Bytes dc_block_size = Bytes(2 << 20);  // power of two, >= 64 B; divides every region
  LinkCaps link{};                       // the device's end of its link
  // HDM-DB (CXL 3.1 §2.2.1, §3.3.3): the device's memory is shared by every host that reaches
  // it, kept coherent by its DCOH, whose inclusive snoop filter tracks `snoop_filter` lines
  // (1..kMaxSnoopFilter; a request that needs an entry when all are taken back-invalidates one).
  // The timing model runs the coherence engine per line for it (docs/coherence.md).
  bool shared = false;
  unsigned snoop_filter = kDefaultSnoopFilter;
  static constexpr unsigned kDefaultSnoopFilter = 16384;
  static constexpr unsigned kMaxSnoopFilter = 32767;
  bool operator==(const Type3Spec&) const = default;
};

// A Type 2 device (accelerator with host-managed device memory and a cache).
struct Type2Spec {
  std::string id;
  std::string parent;
  Bytes hdm_size;
  Bytes cache_size;
  uint64_t serial = 0;
  LinkCaps link{};  // the device's end of its link
  bool operator==(const Type2Spec&) const = default;
};

// A host attached to a memory pool: its virtual CXL switch (VCS, CXL 3.1 §7.2.1) has `vppbs`
// virtual PCI-to-PCI bridges, numbered 0..vppbs-1, that the fabric manager binds to pooled LDs.
struct PoolHostSpec {
  std::string id;
  unsigned vppbs = 4;
  bool operator==(const PoolHostSpec&) const = default;
};

// A pooled multi-logical device (CXL 3.1 §2.4): `lds` logical devices of `ld_size` each, owned by
// the fabric manager. `shared`: an LD may be bound to several hosts at once.
struct MldSpec {
  std::string id;
  unsigned lds = 1;
  Bytes ld_size;
  bool shared = false;
  bool operator==(const MldSpec&) const = default;
};

// A pooled dynamic-capacity device (CXL 3.1 §7.6.7.6) whose extents the fabric manager adds to
// and releases from hosts. `shared`: an extent may be added to several hosts.
struct DcdSpec {
  std::string id;
  std::vector<Bytes> dc_regions;
  Bytes dc_block_size = Bytes(2 << 20);
  bool shared = false;
  bool operator==(const DcdSpec&) const = default;
};

// A whole system. Vectors keep the order of the input, which is also probe order.
struct Topology {
  std::string name;
  // HDM decoders per port with an HDM Decoder Capability and per device (CXL 3.1 §8.2.4.20.1
  // Decoder Count). Absent: FabricOptions' count (cxlsim's default, 4). QEMU 7.2 implements 1
  // (a QEMU import sets it).
  std::optional<unsigned> hdm_decoders;
  std::vector<WindowSpec> windows;
  std::vector<HostBridgeSpec> host_bridges;
  std::vector<RootPortSpec> root_ports;
  std::vector<SwitchSpec> switches;
  std::vector<DownstreamPortSpec> downstream_ports;
  std::vector<Type3Spec> type3;
  std::vector<Type2Spec> type2;
  // A memory pool managed by a fabric manager (none: no pool).
  std::vector<PoolHostSpec> hosts;
  std::vector<MldSpec> mlds;
  std::vector<DcdSpec> dcds;

  // Describes nothing to build: no host bridge, window, port, switch or device. A system
  // with local DRAM only (timing) has this topology; as user input it is an error (validate).
  [[nodiscard]] bool empty() const {
    return host_bridges.empty() && windows.empty() && root_ports.empty() && switches.empty() &&
           type3.empty() && type2.empty() && hosts.empty() && mlds.empty() && dcds.empty();
  }

  // Lookups by id; nullptr when absent.
  [[nodiscard]] const HostBridgeSpec* find_host_bridge(std::string_view id) const;
  [[nodiscard]] const RootPortSpec* find_root_port(std::string_view id) const;
  [[nodiscard]] const SwitchSpec* find_switch(std::string_view id) const;
  [[nodiscard]] const DownstreamPortSpec* find_downstream_port(std::string_view id) const;
  [[nodiscard]] const Type3Spec* find_type3(std::string_view id) const;
  [[nodiscard]] const Type2Spec* find_type2(std::string_view id) const;
  [[nodiscard]] const PoolHostSpec* find_pool_host(std::string_view id) const;
  [[nodiscard]] const MldSpec* find_mld(std::string_view id) const;
  [[nodiscard]] const DcdSpec* find_dcd(std::string_view id) const;

  // Link ends: every root port, downstream port, switch (its upstream port) and device may
  // state its link capability. The link below root or downstream port `port` trains to
  // negotiate(port's caps, caps of what is below it) (pcie_link.h); empty when neither end
  // states anything or `port` is no such port.
  [[nodiscard]] LinkCaps trained_link_below(std::string_view port) const;

  bool operator==(const Topology&) const = default;
};

}  // namespace cxlsim
