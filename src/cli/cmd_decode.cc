// `cxlsim decode FILE --region SPEC... (HPA | --offset N) [--json]`: which memdev and DPA an HPA
// reaches, with the decoder at every level (root decoder, host bridge, switches, endpoint) and
// the target each one picked, read from the committed HDM decoder registers, and what the
// device's command state says about the line there (poison, unbacked dynamic capacity).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/region_spec.h"
#include "device/poison_list.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

using nlohmann::json;

const Port* find_port(const Fabric& f, const std::string& id) {
  for (const auto& hb : f.host_bridges()) {
    if (hb->id() == id) return hb.get();
  }
  for (const auto& sw : f.switches()) {
    if (sw->id() == id) return sw.get();
  }
  return nullptr;
}

// What the device says about the cache line holding `dpa` (its command state is the one truth:
// `cxlsim mbox` poison, DC extents, security): "media" is ok, poisoned (with the records),
// unbacked (dynamic capacity outside every accepted extent), locked or media-disabled; "note"
// says what a host access there would meet.
json media_of(const Memdev& m, Dpa dpa) {
  using device::MediaAccess;
  const Dpa line(dpa.value() & ~(device::kPoisonGranule - 1));
  const MediaAccess a = m.cci().check_access(line, Bytes(device::kPoisonGranule));
  switch (a) {
    case MediaAccess::kOk:
      return {{"media", "ok"}};
    case MediaAccess::kPoisoned: {
      json recs = json::array();
      for (const auto& r :
           m.cci().state().poison.overlapping(line.value(), device::kPoisonGranule)) {
        recs.push_back({{"dpa", r.dpa},
                        {"length", r.length},
                        {"source", device::poison_source_name(r.source)}});
      }
      return {{"media", "poisoned"},
              {"poison", recs},
              {"note", "a read returns poison (Linux: memory failure, SIGBUS to the reader)"}};
    }
    case MediaAccess::kNoCapacity:
      return {{"media", "unbacked"},
              {"note",
               "dynamic capacity outside every accepted extent (never accepted, or "
               "released): the device holds no memory here"}};
    case MediaAccess::kLocked:
      return {{"media", "locked"}, {"note", "the device is locked: media access is refused"}};
    case MediaAccess::kMediaDisabled:
      return {{"media", "media-disabled"}, {"note", "sanitize or secure erase in progress"}};
    case MediaAccess::kOutOfRange:
      break;
  }
  return {{"media", std::string(device::media_access_name(a))}};
}

json describe(const Session& s, Hpa hpa, const DecodeTrace& t) {
  const Fabric& f = *s.fabric;
  const LinuxNames& names = s.regions->names();
  json levels = json::array();
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const DecodeStep& st = t.steps[i];
    json l{{"component", st.component},
           {"ways", st.ways},
           {"position", st.position},
           {"target", st.target}};
    if (i == 0) {
      l["decoder"] = names.root_decoder(t.window);
      l["granularity"] = st.granularity.value();
    } else {
      const Port* p = find_port(f, st.component);
      l["port"] = names.port(p);
      l["decoder"] = names.port_decoder(p, st.decoder.value_or(0));
      l["passthrough"] = !st.decoder.has_value();
      if (st.decoder) l["granularity"] = st.granularity.value();
    }
    levels.push_back(l);
  }
  json j{{"hpa", hpa.value()},
         {"levels", levels},
         {"endpoint",
          {{"decoder", names.endpoint_decoder(t.memdev, t.endpoint_decoder)},
           {"base", t.endpoint_decoder_base.value()},
           {"size", t.endpoint_decoder_size.value()},
           {"ways", t.endpoint_ways},
           {"granularity", t.endpoint_granularity.value()}}},
         {"memdev", names.memdev(t.memdev)},
         {"id", f.memdev(t.memdev).id()},
         {"dpa", t.dpa.value()}};
  for (const auto& r : s.regions->regions()) {
    if (hpa >= r->base && hpa < r->end()) {
      j["region"] = fmt::format("region{}", r->id);
      j["offset"] = (hpa - r->base).value();
    }
  }
  if (auto loc = f.memdev(t.memdev).file_location(t.dpa)) {
    j["file"] = loc->path;
    j["file_offset"] = loc->offset;
  }
  j.update(media_of(f.memdev(t.memdev), t.dpa));
  return j;
}

void print(const json& j) {
  std::cout << fmt::format("HPA {:#x}", j["hpa"].get<uint64_t>());
  if (j.contains("region")) {
    std::cout << fmt::format(" ({} + {:#x})", j["region"].get<std::string>(),
                             j["offset"].get<uint64_t>());
  }
  std::cout << "\n";
  for (const auto& l : j["levels"]) {
    std::string how = l.value("passthrough", false)
                          ? "pass-through"
                          : fmt::format("{}-way @ {}", l["ways"].get<unsigned>(),
                                        l["granularity"].get<uint64_t>());
    std::cout << fmt::format("  {:<12} {:<14} {:<18} -> target {} = {}\n",
                             l["decoder"].get<std::string>(), l["component"].get<std::string>(),
                             how, l["position"].get<unsigned>(), l["target"].get<std::string>());
  }
  const auto& e = j["endpoint"];
  std::cout << fmt::format("  {:<12} {:<14} {}-way @ {}\n", e["decoder"].get<std::string>(),
                           j["id"].get<std::string>(), e["ways"].get<unsigned>(),
                           e["granularity"].get<uint64_t>());
  std::cout << fmt::format("  => {} ({}) DPA {:#x}", j["memdev"].get<std::string>(),
                           j["id"].get<std::string>(), j["dpa"].get<uint64_t>());
  if (j.contains("file")) {
    std::cout << fmt::format(", file {} offset {:#x}", j["file"].get<std::string>(),
                             j["file_offset"].get<uint64_t>());
  }
  std::cout << "\n";
  std::cout << "  media: " << j["media"].get<std::string>();
  for (const auto& r : j.value("poison", json::array())) {
    std::cout << fmt::format(" [DPA {:#x} +{:#x} {}]", r["dpa"].get<uint64_t>(),
                             r["length"].get<uint64_t>(), r["source"].get<std::string>());
  }
  if (j.contains("note")) std::cout << ": " << j["note"].get<std::string>();
  std::cout << "\n";
}

}  // namespace

void register_decode(CLI::App& app) {
  struct Args {
    std::string topology, hpa;
    std::vector<std::string> regions;
    std::string offset;
    bool json = false;
    FabricOptions options{.map_backing_files = false};  // a view: creates no file
  };
  auto a = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("decode", "Decode an HPA to memdev and DPA through every decoder level");
  cmd->add_option("topology", a->topology,
                  "Topology: a file (TOML or QEMU command line) or builtin:NAME")
      ->required();
  cmd->add_option("hpa", a->hpa, "Host physical address (e.g. 0x110000000)");
  cmd->add_option("--region", a->regions,
                  "Create a region first (repeatable): "
                  "window=N,ways=W,granularity=G[,targets=ID:ID:...][,size=S] "
                  "(N: index, decoder0.N or window id; ID: topology id or memN)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--offset", a->offset, "An offset into the last region instead of an HPA");
  add_fabric_options(cmd, a->options);
  cmd->add_flag("--json", a->json, "JSON output");
  cmd->callback([a] {
    if (a->hpa.empty() == a->offset.empty()) finish(fail("give exactly one of HPA and --offset"));
    const Session s = open_session(a->topology, a->regions, "", a->options);
    if (!s.rejected.empty()) finish(fail(s.rejected, 1));
    Hpa hpa;
    if (!a->hpa.empty()) {
      hpa = Hpa(parse_bytes(a->hpa).value());
    } else {
      const Region& r = *s.regions->regions().back();
      const Bytes off = parse_bytes(a->offset);
      if (off >= r.size) {
        finish(fail(fmt::format("--offset {:#x} is beyond region{} ({:#x} bytes)", off.value(),
                                r.id, r.size.value())));
      }
      hpa = r.base + off;
    }
    const auto t = s.fabric->trace(hpa);
    if (!t) {
      finish(fail(fmt::format("HPA {:#x} is not mapped by any committed decoder", hpa.value()), 1));
    }
    const json j = describe(s, hpa, *t);
    if (a->json) {
      std::cout << j.dump(2) << "\n";
    } else {
      print(j);
    }
  });
}

}  // namespace cxlsim::cli
