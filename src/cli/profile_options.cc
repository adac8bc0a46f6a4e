#include "cli/profile_options.h"

#include "cli/region_spec.h"

namespace cxlsim::cli {

void ProfileOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--device", device, "Device profile for every memdev: built-in name or TOML file (default eurosys24-asic)");
  cmd.add_option("--host", host, "Host profile (default spr-xeon)");
  cmd.add_option("--local", local, "Local DRAM profile (default eurosys24-ddr5)");
  cmd.add_option("--region", regions, "Create a region as `cxlsim list --region` does (repeatable; "
                 "window=N,ways=W,granularity=G[,targets=ID:ID..][,size=S][,mode=pmem|ram]); "
                 "default: one per window over all its memdevs");
  cmd.add_option("--host-cache", host_cache, "Host last-level cache in front of the home agent: off, on (the host "
                 "profile's [cache]) or SIZE[:WAYS[:LATENCY]], e.g. 30M:15 or 2M:16:30ns (WAYS, LATENCY default to the "
                 "profile's); default: as the host profile says (spr-xeon: off)");
}

ProfileOptions::Loaded ProfileOptions::load() const {
  Loaded l{timing::load_host_profile(host), timing::load_device_profile(local),
           timing::load_device_profile(device), {}};
  if (!host_cache.empty()) l.host.cache = timing::apply_cache_spec(l.host.cache, host_cache, "--host-cache");
  for (const auto& spec : regions) l.regions.push_back(parse_region_spec(spec));
  return l;
}

}  // namespace cxlsim::cli
