#include "cli/region_spec.h"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "fabric/topology_loader.h"
#include "spec/error.h"

namespace cxlsim::cli {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

unsigned parse_unsigned(const std::string& v, const std::string& key, const std::string& spec) {
  unsigned out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
    throw ParseError(fmt::format("--region '{}': {}='{}' is not a number", spec, key, v));
  }
  return out;
}

}  // namespace

RegionRequest parse_region_spec(const std::string& spec, const Topology& t) {
  RegionRequest r;
  bool have_window = false, have_ways = false;
  for (const std::string& item : split(spec, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      throw ParseError(fmt::format("--region '{}': '{}' is not key=value", spec, item));
    }
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "window") {
      r.window = resolve_window(t, value);
      have_window = true;
    } else if (key == "ways") {
      r.ways = parse_unsigned(value, key, spec);
      have_ways = true;
    } else if (key == "granularity") {
      r.granularity = parse_bytes(value);
    } else if (key == "size") {
      r.size = parse_bytes(value);
    } else if (key == "targets") {
      r.targets = split(value, ':');
    } else if (key == "mode") {
      if (value == "pmem") {
        r.mode = RegionMode::kPmem;
      } else if (value == "ram") {
        r.mode = RegionMode::kRam;
      } else if (value == "dc") {
        r.mode = RegionMode::kDc;
      } else {
        throw ParseError(
            fmt::format("--region '{}': mode must be pmem, ram or dc, not '{}'", spec, value));
      }
    } else {
      throw ParseError(
          fmt::format("--region '{}': unknown key '{}' (window, ways, granularity, targets, "
                      "size, mode)",
                      spec, key));
    }
  }
  if (!have_window || !have_ways) {
    throw ParseError(fmt::format("--region '{}': window= and ways= are required", spec));
  }
  return r;
}

std::vector<RegionRequest> parse_region_specs(const std::vector<std::string>& specs,
                                              const Topology& t) {
  std::vector<RegionRequest> out;
  out.reserve(specs.size());
  for (const auto& spec : specs) out.push_back(parse_region_spec(spec, t));
  return out;
}

void add_fabric_options(CLI::App* cmd, FabricOptions& options) {
  cmd->add_option_function<unsigned>(
         "--hdm-decoders",
         [&options](unsigned n) { options.port_decoders = options.endpoint_decoders = n; },
         "HDM decoders per port and per memdev (default 4; QEMU 7.2 has 1)")
      ->check(CLI::IsMember({1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32}));
  cmd->add_option("--state-dir", options.state_dir,
                  "Directory of the memdevs' command state, as given to `cxlsim mbox "
                  "--state-dir` (default: beside each backing file)")
      ->check(CLI::ExistingDirectory);
}

Session open_session(const std::string& topology, const std::vector<std::string>& region_specs,
                     const std::string& backing_dir, const FabricOptions& options) {
  Topology t = load_valid_topology(topology);
  if (!backing_dir.empty()) {
    for (Type3Spec& m : t.type3) {
      if (m.persistent_backing.path.empty() && m.persistent_size.value() != 0) {
        m.persistent_backing.path = fmt::format("{}/{}-pmem.raw", backing_dir, m.id);
      }
    }
  }
  const std::vector<RegionRequest> requests = parse_region_specs(region_specs, t);
  Session s;
  s.fabric = Fabric::build(t, options);
  s.regions = std::make_unique<RegionManager>(*s.fabric);
  for (const RegionRequest& r : requests) {
    try {
      s.regions->create(r);
    } catch (const RegionError& e) {
      s.rejected = e.what();
      break;
    }
  }
  return s;
}

}  // namespace cxlsim::cli
