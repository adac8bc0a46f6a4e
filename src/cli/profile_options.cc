#include "cli/profile_options.h"

#include <fmt/format.h>

#include <iostream>

#include "cli/region_spec.h"
#include "spec/error.h"
#include "timing/system.h"

namespace cxlsim::cli {

void ProfileOptions::add_to(CLI::App& cmd) {
  cmd.add_option(
      "--device", device,
      "Device profile for every memdev: built-in name or TOML file (default eurosys24-asic)");
  cmd.add_option("--device-of", device_of,
                 "ID=PROFILE: this memdev's or accelerator's own profile (repeatable), e.g. "
                 "accel0=cxl-fpga-agilex; the others run --device");
  cmd.add_option(
      "--host", host,
      "Host profile: built-in name or TOML file (default spr-xeon; spr-xeon-ddr5-server is the "
      "server of the eurosys24-ddr5 log)");
  cmd.add_option("--local", local, "Local DRAM profile (default eurosys24-ddr5)");
  cmd.add_option(
      "--region", regions,
      "Create a region as `cxlsim list --region` does (repeatable; "
      "window=N,ways=W,granularity=G[,targets=ID:ID..][,size=S][,mode=pmem|ram|dc]; N: index, "
      "decoder0.N or window id; ID: topology id or memN); "
      "default: one per window over all its memdevs");
  cmd.add_option("--host-cache", host_cache,
                 "Host last-level cache in front of the home agent: off, on (the host "
                 "profile's [cache]) or SIZE[:WAYS[:LATENCY]], e.g. 30M:15 or 2M:16:30ns (WAYS, "
                 "LATENCY default to the "
                 "profile's); default: as the host profile says (spr-xeon: off)");
}

ProfileOptions::Loaded ProfileOptions::load() const {
  Loaded l{timing::load_host_profile(host),
           timing::load_device_profile(local),
           timing::load_device_profile(device),
           {},
           {}};
  if (!host_cache.empty()) {
    l.host.cache = timing::apply_cache_spec(l.host.cache, host_cache, "--host-cache");
  }
  l.region_specs = regions;
  for (const auto& spec : device_of) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw ParseError(fmt::format("--device-of '{}': expected ID=PROFILE", spec));
    }
    const std::string id = spec.substr(0, eq);
    if (l.device_of.count(id) != 0) {
      throw ParseError(fmt::format("--device-of: '{}' given twice", id));
    }
    timing::DeviceProfile p = timing::load_device_profile(spec.substr(eq + 1));
    if (!p.cxl) {
      throw ParseError(fmt::format(
          "--device-of {}: '{}' is a local DRAM profile, not a CXL device's", id, p.name));
    }
    l.device_of.emplace(id, std::move(p));
  }
  return l;
}

std::function<timing::DeviceProfile(const std::string&)> ProfileOptions::Loaded::device_for()
    const {
  return [dflt = device, of = device_of](const std::string& id) {
    const auto it = of.find(id);
    return it == of.end() ? dflt : it->second;
  };
}

void ProfileOptions::Loaded::check_ids(const Topology& topo) const {
  for (const auto& [id, p] : device_of) {
    if (topo.find_type3(id) == nullptr && topo.find_type2(id) == nullptr) {
      throw ValidationError(
          fmt::format("--device-of {}: no Type 3 or Type 2 device '{}' in the topology", id, id));
    }
  }
}

void ProfileOptions::Loaded::note_default_regions(const Topology& topo) const {
  if (!region_specs.empty()) return;
  const auto fabric = Fabric::build(topo, FabricOptions{.map_backing_files = false});
  for (const auto& note : timing::plan_default_regions(*fabric).notes) {
    std::cerr << "cxlsim: note: " << note << "\n";
  }
}

std::vector<RegionRequest> ProfileOptions::Loaded::regions_for(const Topology& topo) const {
  return parse_region_specs(region_specs, topo);
}

}  // namespace cxlsim::cli
