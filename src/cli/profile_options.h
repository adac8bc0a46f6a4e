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

  // Adds --device, --host, --local and --region to `cmd`; `this` must outlive parsing.
  void add_to(CLI::App& cmd);

  struct Loaded {
    timing::HostProfile host;
    timing::DeviceProfile local;
    timing::DeviceProfile device;
    std::vector<RegionRequest> regions;
  };
  // Loads the profiles and parses the region specs. Throws ParseError/ValidationError on bad input.
  Loaded load() const;
};

}  // namespace cxlsim::cli
