#include "cli/pool_topology.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fm/pool_fabric.h"
#include "fm/pool_state_file.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"

namespace cxlsim::cli {

namespace {

// The state file of `fm_state`: the file itself, or a state directory's file.
std::string read_state(const std::string& fm_state, std::string* path) {
  *path = fm_state;
  if (std::filesystem::is_directory(fm_state)) {
    *path = (std::filesystem::path(fm_state) / fm::kPoolStateFileName).string();
  }
  std::ifstream in(*path);
  if (!in) throw ParseError(fmt::format("--fm-state: cannot read '{}'", *path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const std::vector<std::string>& WorkloadTopology::memdevs_of(const std::string& host) const {
  if (topology.find_pool_host(host) == nullptr) {
    std::vector<std::string> hosts;
    for (const auto& h : topology.hosts) hosts.push_back(h.id);
    throw ValidationError(fmt::format("pool '{}' has no host '{}' (hosts: {})", topology.name, host,
                                      fmt::join(hosts, ", ")));
  }
  const auto it = host_memdevs.find(host);
  if (it == host_memdevs.end()) {
    throw ValidationError(
        fmt::format("pool '{}': no LD is bound to host {} (cxlsim fm bind {} VPPB MLD:LD)",
                    topology.name, host, host));
  }
  return it->second;
}

void WorkloadTopology::check_target(const std::string& host, const std::string& target) const {
  const auto& mine = memdevs_of(host);
  if (std::find(mine.begin(), mine.end(), target) == mine.end()) {
    throw ValidationError(fmt::format("host {}: '{}' is not an LD bound to it (its LDs: {})", host,
                                      target, fmt::join(mine, ", ")));
  }
}

WorkloadTopology resolve_workload_topology(const std::string& arg, const std::string& fm_state) {
  WorkloadTopology w;
  const Topology t = frontend::resolve_topology(arg);
  if (t.mlds.empty()) {
    if (!fm_state.empty()) {
      throw ValidationError(fmt::format("--fm-state: topology '{}' has no pool ([[mld]])", arg));
    }
    w.topology = t;
    return w;
  }
  if (fm_state.empty()) {
    throw ValidationError(fmt::format(
        "topology '{}' is a pool: its LDs reach hosts through the fabric manager's bindings; "
        "give them with --fm-state DIR (cxlsim fm serve --state DIR)",
        arg));
  }
  std::string path;
  const std::string text = read_state(fm_state, &path);
  fm::PoolFabric f = fm::pool_fabric(fm::decode_pool_state(text, t, path).pool);
  w.topology = std::move(f.topology);
  w.host_memdevs = std::move(f.host_memdevs);
  w.pool = true;
  return w;
}

}  // namespace cxlsim::cli
