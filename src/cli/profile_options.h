// The timing model's profile options, shared by the workload commands (mlc, replay): one place
// for their names, defaults and help, and for turning them into profiles and region requests.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "fabric/region.h"
#include "timing/profile.h"

namespace cxlsim::cli {

struct ProfileOptions {
  std::string device = "eurosys24-asic";  // every memdev's profile (built-in name or TOML file)
  std::string host = "spr-xeon";
  std::string local = "eurosys24-ddr5";   // the host's local DRAM
  std::vector<std::string> regions;       // --region SPEC, as `cxlsim list --region`
  std::string host_cache;                 // --host-cache off|on|SIZE[:WAYS[:LATENCY]]; empty: the profile's

  // Adds --device, --host, --local, --region and --host-cache to `cmd`; `this` must outlive parsing.
  void add_to(CLI::App& cmd);

  struct Loaded {
    timing::HostProfile host;
    timing::DeviceProfile local;
    timing::DeviceProfile device;
    std::vector<RegionRequest> regions;
  };
  // Loads the profiles (host.cache as --host-cache sets it) and parses the region specs. Throws ParseError/ValidationError on bad input.
  Loaded load() const;
};

}  // namespace cxlsim::cli
