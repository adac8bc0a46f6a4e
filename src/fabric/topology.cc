#include "fabric/topology.h"

#include <algorithm>

namespace cxlsim {

uint16_t WindowRestrictions::encode() const {
  return static_cast<uint16_t>((type2 ? 1u : 0u) | (type3 ? 2u : 0u) | (volatile_ ? 4u : 0u) |
                               (persistent ? 8u : 0u) | (fixed_config ? 16u : 0u));
}

namespace {
template <typename T>
const T* find_by_id(const std::vector<T>& v, std::string_view id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& e) { return e.id == id; });
  return it == v.end() ? nullptr : &*it;
}
}  // namespace

const HostBridgeSpec* Topology::find_host_bridge(std::string_view id) const {
  return find_by_id(host_bridges, id);
}
const RootPortSpec* Topology::find_root_port(std::string_view id) const {
  return find_by_id(root_ports, id);
}
const SwitchSpec* Topology::find_switch(std::string_view id) const {
  return find_by_id(switches, id);
}
const DownstreamPortSpec* Topology::find_downstream_port(std::string_view id) const {
  return find_by_id(downstream_ports, id);
}
const Type3Spec* Topology::find_type3(std::string_view id) const { return find_by_id(type3, id); }
const Type2Spec* Topology::find_type2(std::string_view id) const { return find_by_id(type2, id); }
const PoolHostSpec* Topology::find_pool_host(std::string_view id) const {
  return find_by_id(hosts, id);
}
const MldSpec* Topology::find_mld(std::string_view id) const { return find_by_id(mlds, id); }
const DcdSpec* Topology::find_dcd(std::string_view id) const { return find_by_id(dcds, id); }

LinkCaps Topology::trained_link_below(std::string_view port) const {
  LinkCaps upper;
  if (const auto* rp = find_root_port(port)) {
    upper = rp->link;
  } else if (const auto* dp = find_downstream_port(port)) {
    upper = dp->link;
  } else {
    return {};
  }
  // Validation allows one element below a port; the first one found is the link partner.
  LinkCaps lower;
  auto below = [&](const auto& v) {
    for (const auto& e : v) {
      if (e.parent == port) {
        lower = e.link;
        return true;
      }
    }
    return false;
  };
  if (!below(switches) && !below(type3)) below(type2);
  return negotiate(upper, lower);
}

}  // namespace cxlsim
