#include "fm/pool_fabric.h"

#include <fmt/format.h>

#include <set>

#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim::fm {

namespace {

// The host side every host has its own copy of in the timing model: a window on one host bridge
// with one root port, and the pooling switch below it.
Topology host_side(const Pool& pool) {
  Topology t;
  t.name = pool.topology().name;
  t.hosts = pool.topology().hosts;
  WindowSpec w;
  w.id = "cfmw0";
  w.targets = {"hb0"};
  t.windows.push_back(w);
  HostBridgeSpec hb;
  hb.id = "hb0";
  hb.bus_nr = 12;
  t.host_bridges.push_back(hb);
  RootPortSpec rp;
  rp.id = "rp0";
  rp.host_bridge = "hb0";
  t.root_ports.push_back(rp);
  SwitchSpec sw;
  sw.id = "sw0";
  sw.parent = "rp0";
  t.switches.push_back(sw);
  return t;
}

// Places `ld` below a new downstream port of sw0.
void place_ld(Topology& t, const Pool& pool, const LdRef& ld) {
  const MldSpec* mld = pool.topology().find_mld(ld.device);
  const auto port = static_cast<unsigned>(t.downstream_ports.size());
  const std::string dsp = fmt::format("sw0_dsp{}", port);
  DownstreamPortSpec p;
  p.id = dsp;
  p.switch_id = "sw0";
  p.port_number = port;
  t.downstream_ports.push_back(p);
  Type3Spec d;
  d.id = ld_memdev_id(ld);
  d.parent = dsp;
  d.volatile_size = Bytes(pool.ld_allocations(ld.device).at(ld.ld));
  d.serial = port + 1;
  d.shared = mld->shared && pool.hosts_of(ld).size() > 1;
  t.windows[0].size += d.volatile_size;
  t.type3.push_back(d);
}

}  // namespace

std::string ld_memdev_id(const LdRef& ld) { return fmt::format("{}_ld{}", ld.device, ld.ld); }

PoolFabric pool_fabric(const Pool& pool) {
  PoolFabric f{host_side(pool), {}};
  std::set<LdRef> placed;
  // Hosts in topology order, each host's LDs in vPPB order: the memdevs' order is the pool's.
  for (const PoolHostSpec& h : pool.topology().hosts) {
    const auto it = pool.bindings().find(h.id);
    if (it == pool.bindings().end()) continue;
    for (const auto& [vppb, ld] : it->second) {
      if (placed.insert(ld).second) place_ld(f.topology, pool, ld);
      f.host_memdevs[h.id].push_back(ld_memdev_id(ld));
    }
  }
  if (placed.empty()) {
    throw ValidationError(fmt::format("pool '{}': no LD is bound to any host (cxlsim fm bind)",
                                      pool.topology().name));
  }
  validate_or_throw(f.topology);
  return f;
}

}  // namespace cxlsim::fm
