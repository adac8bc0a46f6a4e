// The timing model's profile options, shared by the workload commands (mlc, replay): one place
// for their names, defaults and help, and for turning them into profiles and region requests.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fabric/region.h"
#include "fabric/topology.h"
#include "frontend/expander_timing.h"
#include "frontend/placement.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"
#include "timing/profile.h"

namespace cxlsim::cli {

struct ProfileOptions {
  std::string device = "eurosys24-asic";  // every memdev's profile (built-in name or TOML file)
  std::string host = "spr-xeon";
  std::string local = "eurosys24-ddr5";  // the host's local DRAM
  std::vector<std::string> regions;      // --region SPEC, as `cxlsim list --region`
  std::string host_cache;  // --host-cache off|on|SIZE[:WAYS[:LATENCY]]; empty: the profile's
  std::vector<std::string> device_of;  // --device-of ID=PROFILE: one device's own profile
  // --expander-latency ID=READ[,WRITE] and --expander-bandwidth ID=READ[,WRITE] (CXLMemSim's
  // -l and -b): numbers `cxlsim mlc` then measures on that memdev (frontend/expander_timing.h).
  std::vector<std::string> expander_latency, expander_bandwidth;

  // Adds --device, --device-of, --host, --local, --region, --host-cache, --expander-latency and
  // --expander-bandwidth to `cmd`; `this` must outlive parsing.
  void add_to(CLI::App& cmd);

  struct Loaded {
    timing::HostProfile host;
    timing::DeviceProfile local;
    timing::DeviceProfile device;
    std::vector<std::string> region_specs;  // --region, parsed against the topology
    std::map<std::string, timing::DeviceProfile> device_of;  // by memdev/accelerator id
    // --expander-latency/--expander-bandwidth by the name given (topology id or memN).
    std::map<std::string, frontend::ExpanderTiming> expanders;
    // The profile of each device: its --device-of profile, else --device.
    [[nodiscard]] std::function<timing::DeviceProfile(const std::string&)> device_for() const;
    // Throws ValidationError when a --device-of id names no Type 3 or Type 2 device of `topo`.
    void check_ids(const Topology& topo) const;
    // Tunes each --expander-* device's profile (its --device-of or --device) on `topo` and keeps
    // it as that device's own (device_for). Names resolve as resolve_memdev's (topology id or
    // memN). Throws ValidationError on an unknown name, a device named twice, or a number the
    // device cannot reach. Returns whether anything was tuned.
    bool tune_expanders(const Topology& topo);
    // The --region requests on `topo` (parse_region_specs).
    [[nodiscard]] std::vector<RegionRequest> regions_for(const Topology& topo) const;
    // Without --region: prints on stderr, as "cxlsim: note: ...", where the default regions on
    // `topo` fall back (timing::plan_default_regions).
    void note_default_regions(const Topology& topo) const;
  };
  // Loads the profiles (host.cache as --host-cache sets it) and keeps the region specs. Throws
  // ParseError/ValidationError on bad input.
  [[nodiscard]] Loaded load() const;
  // What the options set in a workload model's config (frontend::AppModelConfig,
  // frontend::ReplayConfig): the host (its LLC on unless --host-cache says otherwise, when
  // `llc_default_on`: run and replay's app model), local DRAM, the topology (`topology`, default
  // builtin:direct), regions (--region, or the default ones with a note where they fall back),
  // each device's profile (--device-of, --expander-* tuned) and the placement. `loaded` is
  // load()'s. Throws ValidationError on bad input, a --device that is local DRAM included.
  template <class Config>
  void configure(Config& c, Loaded& loaded, const std::string& topology,
                 const std::string& placement, bool llc_default_on) const {
    configure(c, loaded, frontend::resolve_topology(topology.empty() ? "builtin:direct" : topology),
              placement, llc_default_on);
  }
  // As above, on a topology already resolved (a pool's, cli/pool_topology.h).
  template <class Config>
  void configure(Config& c, Loaded& loaded, const Topology& topology, const std::string& placement,
                 bool llc_default_on) const {
    if (!loaded.device.cxl) {
      throw ValidationError(
          fmt::format("--device '{}' is a local DRAM profile; use --local for that", device));
    }
    c.host = loaded.host;
    if (llc_default_on && host_cache.empty() && c.host.cache.size.value() > 0) {
      c.host.cache.enabled = true;
    }
    c.local_dram = loaded.local;
    c.topology = topology;
    c.regions = loaded.regions_for(c.topology);
    loaded.note_default_regions(c.topology);
    loaded.check_ids(c.topology);
    loaded.tune_expanders(c.topology);
    c.device_for = loaded.device_for();
    c.placement = frontend::parse_placement(placement);
  }
  // For commands that cost one device and no memory regions (`coherence`, `accel run
  // --coherence`, named `command` in messages): the profile of device `id` of `topo` as
  // --device, --device-of and --expander-* make it. Throws ValidationError for what such a
  // command cannot honour (--region, --host-cache) and for a profile that is local DRAM.
  [[nodiscard]] timing::DeviceProfile single_device(Loaded& loaded, const Topology& topo,
                                                    const std::string& id,
                                                    const std::string& command) const;
};

}  // namespace cxlsim::cli
