#include "cli/profile_options.h"

#include <fmt/format.h>

#include <charconv>
#include <iostream>

#include "cli/region_spec.h"
#include "fabric/linux_names.h"
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
  cmd.add_option("--expander-latency", expander_latency,
                 "ID=READ[,WRITE]: this memdev's idle read latency as `cxlsim mlc --idle-latency "
                 "--target ID` reports it, and its writes' (ns, or with a unit: 300ns); ID: "
                 "topology id or memN (repeatable; CXLMemSim -l)");
  cmd.add_option("--expander-bandwidth", expander_bandwidth,
                 "ID=READ[,WRITE]: this memdev's peak read bandwidth as `cxlsim mlc "
                 "--max-bandwidth` reports it (ALL Reads), and its write-only peak (GB/s, or with "
                 "a unit: 20GB/s); at most what its link and media reach (repeatable; CXLMemSim "
                 "-b)");
}

namespace {

// "ID=A[,B]" -> id, A, B (B empty when absent).
std::tuple<std::string, std::string, std::string> split_override(const std::string& spec,
                                                                 const char* option) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    throw ParseError(fmt::format("{} '{}': expected ID=READ[,WRITE]", option, spec));
  }
  const std::string v = spec.substr(eq + 1);
  const auto comma = v.find(',');
  if (comma == std::string::npos) return {spec.substr(0, eq), v, ""};
  if (comma + 1 == v.size()) {
    throw ParseError(fmt::format("{} '{}': nothing after ','", option, spec));
  }
  return {spec.substr(0, eq), v.substr(0, comma), v.substr(comma + 1)};
}

bool bare_number(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

Duration positive_duration(const std::string& text, const std::string& spec, const char* option) {
  Duration d;
  try {
    d = parse_duration(text);
  } catch (const ParseError&) {
    throw ParseError(
        fmt::format("{} '{}': '{}' is not a latency (ns, or e.g. 250ns)", option, spec, text));
  }
  if (d <= Duration()) {
    throw ParseError(fmt::format("{} '{}': latency '{}' must be positive", option, spec, text));
  }
  return d;
}

Bandwidth positive_bandwidth(const std::string& text, const std::string& spec, const char* option) {
  Bandwidth b;
  try {
    b = parse_bandwidth(bare_number(text) ? text + "GB/s" : text);
  } catch (const ParseError&) {
    throw ParseError(
        fmt::format("{} '{}': '{}' is not a bandwidth (GB/s, or e.g. 20GB/s)", option, spec, text));
  }
  if (!(b > Bandwidth())) {
    throw ParseError(fmt::format("{} '{}': bandwidth '{}' must be positive", option, spec, text));
  }
  return b;
}

}  // namespace

ProfileOptions::Loaded ProfileOptions::load() const {
  Loaded l{timing::load_host_profile(host),
           timing::load_device_profile(local),
           timing::load_device_profile(device),
           {},
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
  for (const auto& spec : expander_latency) {
    const auto [id, r, w] = split_override(spec, "--expander-latency");
    auto& e = l.expanders[id];
    if (e.read_latency) throw ParseError(fmt::format("--expander-latency: '{}' given twice", id));
    e.read_latency = positive_duration(r, spec, "--expander-latency");
    if (!w.empty()) e.write_latency = positive_duration(w, spec, "--expander-latency");
  }
  for (const auto& spec : expander_bandwidth) {
    const auto [id, r, w] = split_override(spec, "--expander-bandwidth");
    auto& e = l.expanders[id];
    if (e.read_bandwidth) {
      throw ParseError(fmt::format("--expander-bandwidth: '{}' given twice", id));
    }
    e.read_bandwidth = positive_bandwidth(r, spec, "--expander-bandwidth");
    if (!w.empty()) e.write_bandwidth = positive_bandwidth(w, spec, "--expander-bandwidth");
  }
  return l;
}

bool ProfileOptions::Loaded::tune_expanders(const Topology& topo) {
  std::map<std::string, std::string> named;  // topology id -> the name that chose it
  for (const auto& [name, t] : expanders) {
    const size_t i = resolve_memdev(topo, name);
    const std::string id =
        i < topo.type3.size() ? topo.type3[i].id : topo.type2[i - topo.type3.size()].id;
    if (const auto it = named.find(id); it != named.end()) {
      throw ValidationError(fmt::format("--expander-*: '{}' and '{}' name the same memdev ({})",
                                        it->second, name, id));
    }
    named.emplace(id, name);
  }
  for (const auto& [id, name] : named) {
    const auto of = device_of.find(id);
    const timing::DeviceProfile base = of == device_of.end() ? device : of->second;
    device_of[id] = frontend::tune_expander(host, local, base, topo, id, expanders.at(name));
  }
  return !expanders.empty();
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

timing::DeviceProfile ProfileOptions::single_device(Loaded& loaded, const Topology& topo,
                                                    const std::string& id,
                                                    const std::string& command) const {
  if (!loaded.region_specs.empty()) {
    throw ValidationError(fmt::format("--region does not apply to {}", command));
  }
  if (!host_cache.empty()) {
    throw ValidationError(fmt::format("--host-cache does not apply to {}", command));
  }
  loaded.tune_expanders(topo);
  timing::DeviceProfile p = loaded.device_for()(id);
  if (!p.cxl) {
    throw ValidationError(
        fmt::format("the profile of '{}' ({}) is local DRAM; use a CXL device "
                    "profile (--device, --device-of)",
                    id, p.name));
  }
  return p;
}

}  // namespace cxlsim::cli
