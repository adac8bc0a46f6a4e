// The keys of each element of the topology format (docs/topology_format.md), declared once.
// A writer visits them with the element's values: to_toml (topology_toml.cc) writes TOML text,
// `cxlsim topology show --json` (cli/cmd_topology.cc) a JSON object, so the two cannot drift.
// The TOML reader reads the same keys and refuses any key that no element reads.
//
// A visitor V provides, for a key and a value:
//   text(key, std::string)           id, reference
//   texts(key, vector<string>)       list of ids
//   number(key, unsigned)            small integers (uid, bus_nr, port numbers)
//   serial(key, uint64_t)            64-bit serial numbers
//   flag(key, bool value, bool dflt) a boolean whose default is `dflt`
//   size(key, Bytes)                 capacities, granularities
//   address(key, optional<uint64_t>) a base address, absent when assigned at build time
//   restrictions(key, WindowRestrictions)
//   backing(kind, BackingSpec)       <kind>_object and <kind>_path
//   dc(dc_regions, dc_block_size)    dynamic-capacity regions and their block size
//   link(LinkCaps)                   link_width, link_speed of a device or switch end
//   port_link(port id, LinkCaps)     the same for a root or downstream port (a writer may add the
//                                    link that port trains to)
#pragma once

#include "fabric/topology.h"

namespace cxlsim::schema {

template <typename V>
void window_keys(V& v, const WindowSpec& w) {
  v.text("id", w.id);
  v.address("base", w.base);
  v.size("size", w.size);
  v.texts("targets", w.targets);
  v.size("granularity", w.granularity);
  v.restrictions("restrictions", w.restrictions);
}

template <typename V>
void host_bridge_keys(V& v, const HostBridgeSpec& hb) {
  v.text("id", hb.id);
  v.number("uid", hb.uid);
  v.number("bus_nr", hb.bus_nr);
}

template <typename V>
void root_port_keys(V& v, const RootPortSpec& rp) {
  v.text("id", rp.id);
  v.text("host_bridge", rp.host_bridge);
  v.number("port", rp.port_number);
  v.number("chassis", rp.chassis);
  v.number("slot", rp.slot);
  v.port_link(rp.id, rp.link);
}

template <typename V>
void switch_keys(V& v, const SwitchSpec& s) {
  v.text("id", s.id);
  v.text("parent", s.parent);
  v.flag("mailbox_cci", s.mailbox_cci, false);
  v.link(s.link);
}

template <typename V>
void downstream_port_keys(V& v, const DownstreamPortSpec& dp) {
  v.text("id", dp.id);
  v.text("switch", dp.switch_id);
  v.number("port", dp.port_number);
  v.number("chassis", dp.chassis);
  v.number("slot", dp.slot);
  v.port_link(dp.id, dp.link);
}

template <typename V>
void type3_keys(V& v, const Type3Spec& d) {
  v.text("id", d.id);
  v.text("parent", d.parent);
  v.size("volatile", d.volatile_size);
  v.size("persistent", d.persistent_size);
  v.size("lsa", d.lsa_size);
  v.flag("partitionable", d.partitionable, true);
  v.serial("serial", d.serial);
  v.backing("volatile", d.volatile_backing);
  v.backing("persistent", d.persistent_backing);
  v.backing("lsa", d.lsa_backing);
  v.dc(d.dc_regions, d.dc_block_size);
  v.link(d.link);
  v.flag("shared", d.shared, false);
  if (d.shared) v.number("snoop_filter", d.snoop_filter);
}

template <typename V>
void type2_keys(V& v, const Type2Spec& d) {
  v.text("id", d.id);
  v.text("parent", d.parent);
  v.size("hdm", d.hdm_size);
  v.size("cache", d.cache_size);
  v.serial("serial", d.serial);
  v.link(d.link);
}

template <typename V>
void host_keys(V& v, const PoolHostSpec& h) {
  v.text("id", h.id);
  v.number("vppbs", h.vppbs);
}

template <typename V>
void mld_keys(V& v, const MldSpec& m) {
  v.text("id", m.id);
  v.number("lds", m.lds);
  v.size("ld_size", m.ld_size);
  v.flag("shared", m.shared, false);
}

template <typename V>
void dcd_keys(V& v, const DcdSpec& d) {
  v.text("id", d.id);
  v.dc(d.dc_regions, d.dc_block_size);
  v.flag("shared", d.shared, false);
}

// Every element of `t` in file order: v.element(kind) opens each ("window", "host_bridge", ...),
// then its keys follow.
template <typename V>
void topology_elements(V& v, const Topology& t) {
  for (const auto& w : t.windows) {
    v.element("window");
    window_keys(v, w);
  }
  for (const auto& hb : t.host_bridges) {
    v.element("host_bridge");
    host_bridge_keys(v, hb);
  }
  for (const auto& rp : t.root_ports) {
    v.element("root_port");
    root_port_keys(v, rp);
  }
  for (const auto& s : t.switches) {
    v.element("switch");
    switch_keys(v, s);
  }
  for (const auto& dp : t.downstream_ports) {
    v.element("downstream_port");
    downstream_port_keys(v, dp);
  }
  for (const auto& d : t.type3) {
    v.element("type3");
    type3_keys(v, d);
  }
  for (const auto& d : t.type2) {
    v.element("type2");
    type2_keys(v, d);
  }
  for (const auto& h : t.hosts) {
    v.element("host");
    host_keys(v, h);
  }
  for (const auto& m : t.mlds) {
    v.element("mld");
    mld_keys(v, m);
  }
  for (const auto& d : t.dcds) {
    v.element("dcd");
    dcd_keys(v, d);
  }
}

}  // namespace cxlsim::schema
