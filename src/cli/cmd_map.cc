// `cxlsim map FILE --ways W --granularity G [--targets ID,...] [--window N] --step S --count N`:
// where region offsets 0, S, 2S, ... land (memdev by topology id, DPA, and backing file and
// offset for file-backed capacity) for the region Linux 6.1 would create. A region Linux would
// refuse exits 1 with Linux's reason.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/region_spec.h"
#include "spec/error.h"

namespace cxlsim::cli {

void register_map(CLI::App& app) {
  struct Args {
    std::string topology, granularity, targets, step, size, backing_dir, mode = "pmem",
                                                                         window = "0";
    unsigned ways = 1;
    uint64_t count = 16;
    bool json = false;
    FabricOptions options{.map_backing_files = false};  // a view: creates no file
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("map", "Map region offsets to memdev, DPA and backing file");
  cmd->add_option("topology", a->topology,
                  "Topology: a file (TOML or QEMU command line) or builtin:NAME")
      ->required();
  cmd->add_option("--ways", a->ways, "Region interleave ways")->required();
  cmd->add_option("--granularity", a->granularity,
                  "Region interleave granularity (default: the window's)");
  cmd->add_option("--targets", a->targets,
                  "Memdevs (topology ids or memN as `list` prints) in position order, comma "
                  "separated (default: cxl's order)");
  cmd->add_option("--window", a->window, "Window: index, root decoder (decoder0.N) or window id")
      ->capture_default_str();
  cmd->add_option("--size", a->size, "Region size (default: ways x the smallest free capacity)");
  cmd->add_option("--mode", a->mode, "pmem or ram");
  cmd->add_option("--step", a->step, "Distance between offsets")->required();
  cmd->add_option("--count", a->count, "Number of offsets");
  cmd->add_option(
      "--backing-dir", a->backing_dir,
      "Back memdevs without a backing path by DIR/<id>-pmem.raw, as `cxlsim vm run` does");
  add_fabric_options(cmd, a->options);
  cmd->add_flag("--json", a->json, "JSON array of {offset, hpa, memdev, dpa[, file, file_offset]}");
  cmd->callback([a] {
    std::string spec = fmt::format("window={},ways={}", a->window, a->ways);
    if (!a->granularity.empty()) spec += ",granularity=" + a->granularity;
    if (!a->size.empty()) spec += ",size=" + a->size;
    if (!a->targets.empty()) {
      std::string t = a->targets;
      std::replace(t.begin(), t.end(), ',', ':');
      spec += ",targets=" + t;
    }
    spec += ",mode=" + a->mode;
    const Bytes step = parse_bytes(a->step);
    if (step.value() == 0) finish(fail("--step must be nonzero"));
    const Session s = open_session(a->topology, {spec}, a->backing_dir, a->options);
    if (!s.rejected.empty()) finish(fail(s.rejected, 1));
    const Region& r = *s.regions->regions().back();
    nlohmann::json out = nlohmann::json::array();
    for (uint64_t i = 0; i < a->count; ++i) {
      const uint64_t off = i * step.value();
      if (off >= r.size.value()) break;
      const Hpa hpa = r.base + Bytes(off);
      const auto d = s.fabric->decode(hpa);
      if (!d) {
        finish(fail(fmt::format("HPA {:#x} (offset {:#x}) does not decode", hpa.value(), off), 1));
      }
      const Memdev& m = s.fabric->memdev(d->memdev);
      nlohmann::json j{
          {"offset", off}, {"hpa", hpa.value()}, {"memdev", m.id()}, {"dpa", d->dpa.value()}};
      if (auto loc = m.file_location(d->dpa)) {
        j["file"] = loc->path;
        j["file_offset"] = loc->offset;
      }
      out.push_back(j);
    }
    if (a->json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("region{}: {:#x}, {} bytes, {}-way @ {}\n", r.id, r.base.value(),
                             r.size.value(), r.ways, r.granularity.value());
    std::cout << fmt::format("{:>12} {:>18} {:<16} {:>14}  {}\n", "OFFSET", "HPA", "MEMDEV", "DPA",
                             "FILE:OFFSET");
    for (const auto& j : out) {
      std::cout << fmt::format(
          "{:>#12x} {:>#18x} {:<16} {:>#14x}  {}\n", j["offset"].get<uint64_t>(),
          j["hpa"].get<uint64_t>(), j["memdev"].get<std::string>(), j["dpa"].get<uint64_t>(),
          j.contains("file") ? fmt::format("{}:{:#x}", j["file"].get<std::string>(),
                                           j["file_offset"].get<uint64_t>())
                             : "-");
    }
  });
}

}  // namespace cxlsim::cli
