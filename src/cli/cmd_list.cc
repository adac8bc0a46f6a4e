// `cxlsim list FILE [--region SPEC]... [--json [--extra]]`: the fabric as Linux 6.1's
// `cxl list -vvv` (cxl-cli 76.1) shows it in a QEMU 7.2 guest booted from the same topology:
// the same objects, nesting ("ports:<port>", "endpoints:<port>", "decoders:<port>",
// "regions:<root decoder>"), keys and values, names from LinuxNames (memN, portN, endpointN,
// decoderX.Y, ACPI0016:NN, PCI addresses), decoders read from the HDM decoder registers and
// memdev sizes and partition_info from the device's mailbox (Identify Memory Device, Get
// Partition Info). docs/regions.md lists what can differ (probe-order numbering, array order).
// Without --json, tables for people.
//
// cxlsim's additions are opt-in so that the default document stays Linux's: --extra adds each
// port's, endpoint's, memdev's and mapping's topology id ("topology_id") and each region's
// "mode" (pmem or ram); Type 2 accelerators, which Linux 6.1 does not register as memdevs,
// are a second top-level object {"accelerators": [...]} with --extra (id, HDM and cache
// size, PCI address, path and HDM decoders). The tables always show all of it.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/region_spec.h"
#include "device/mbox_command.h"
#include "device/mbox_payloads.h"

namespace cxlsim::cli {
namespace {

using nlohmann::json;

class ListJson {
 public:
  ListJson(const Session& s, bool extra)
      : f_(*s.fabric), r_(*s.regions), names_(s.regions->names()), extra_(extra) {}

  [[nodiscard]] json bus() const {
    json b{{"bus", "root0"}, {"provider", "ACPI.CXL"}};
    json dports = json::array();
    for (const HostBridge* hb : names_.host_bridges()) {
      dports.push_back({{"dport", names_.host_bridge_acpi(*hb)},
                        {"alias", LinuxNames::host_bridge_alias(*hb)},
                        {"id", hb->uid()}});
    }
    b["nr_dports"] = dports.size();
    b["dports"] = dports;
    json ports = json::array();
    for (const HostBridge* hb : names_.host_bridges()) ports.push_back(port(hb, 1));
    b["ports:root0"] = ports;
    json decoders = json::array();
    for (size_t w = 0; w < f_.windows().size(); ++w) decoders.push_back(root_decoder(w));
    b["decoders:root0"] = decoders;
    return b;
  }

 private:
  // Linux enumerates a port only when a memdev below it probes (host bridges always).
  bool enumerated(const Port* p) const {
    for (const Port* q : names_.ports()) {
      if (q == p) return true;
    }
    return false;
  }

  // cxlsim's topology id, only with --extra.
  void add_id(json& j, const std::string& id) const {
    if (extra_) j["topology_id"] = id;
  }

  [[nodiscard]] json root_decoder(size_t w) const {
    const Cfmws& c = f_.windows()[w];
    const std::string name = names_.root_decoder(w);
    json d{{"decoder", name},
           {"resource", c.base().value()},
           {"size", c.size().value()},
           {"interleave_ways", c.ways()}};
    if (c.ways() > 1) d["interleave_granularity"] = c.granularity().value();
    d["max_available_extent"] = max_available_extent(w);
    if (c.spec().restrictions.persistent) d["pmem_capable"] = true;
    if (c.spec().restrictions.volatile_) d["volatile_capable"] = true;
    if (c.spec().restrictions.type2) d["accelmem_capable"] = true;
    d["nr_targets"] = c.ways();
    json targets = json::array();
    for (unsigned i = 0; i < c.ways(); ++i) {
      const HostBridge& hb = *c.targets()[i];
      targets.push_back({{"target", names_.host_bridge_acpi(hb)},
                         {"alias", LinuxNames::host_bridge_alias(hb)},
                         {"position", i},
                         {"id", hb.uid()}});
    }
    d["targets"] = targets;
    json regions = json::array();
    for (const auto& reg : r_.regions()) {
      if (reg->window == w) regions.push_back(region(*reg));
    }
    if (!regions.empty()) d["regions:" + name] = regions;
    return d;
  }

  [[nodiscard]] uint64_t max_available_extent(size_t w) const {
    const Cfmws& c = f_.windows()[w];
    uint64_t best = 0, at = c.base().value();
    std::vector<std::pair<uint64_t, uint64_t>> used;
    for (const auto& reg : r_.regions()) {
      if (reg->window == w) used.emplace_back(reg->base.value(), reg->end().value());
    }
    std::sort(used.begin(), used.end());
    for (auto [b, e] : used) {
      best = std::max(best, b - at);
      at = e;
    }
    return std::max(best, c.end().value() - at);
  }

  [[nodiscard]] json region(const Region& reg) const {
    json m = json::array();
    for (const RegionTarget& t : reg.targets) {
      json j{{"position", t.position},
             {"memdev", names_.memdev(t.memdev)},
             {"decoder", names_.endpoint_decoder(t.memdev, t.decoder)}};
      add_id(j, f_.memdev(t.memdev).id());
      m.push_back(j);
    }
    json j{{"region", fmt::format("region{}", reg.id)},
           {"resource", reg.base.value()},
           {"size", reg.size.value()},
           {"interleave_ways", reg.ways},
           {"interleave_granularity", reg.granularity.value()},
           {"decode_state", "commit"},
           {"mappings", m}};
    if (extra_) j["mode"] = to_string(reg.mode);
    return j;
  }

  [[nodiscard]] json dport_target(const Dport& d, unsigned position) const {
    return {{"target", names_.dport_address(d).name()},
            {"position", position},
            {"id", d.port_number()}};
  }

  json port(const Port* p, unsigned depth) const {
    const std::string name = names_.port(p);
    json j{{"port", name}, {"host", names_.port_host(*p)}, {"depth", depth}};
    add_id(j, p->id());
    json dports = json::array();
    for (const auto& d : p->dports()) {
      dports.push_back({{"dport", names_.dport_address(*d).name()}, {"id", d->port_number()}});
    }
    j["nr_dports"] = dports.size();
    j["dports"] = dports;
    json children = json::array(), endpoints = json::array();
    for (const auto& d : p->dports()) {
      if (d->child_switch() && enumerated(d->child_switch())) {
        children.push_back(port(d->child_switch(), depth + 1));
      }
      if (d->child_memdev() && !f_.memdev(*d->child_memdev()).is_type2()) {
        endpoints.push_back(endpoint(*d->child_memdev(), depth + 1));
      }
    }
    if (!children.empty()) j["ports:" + name] = children;
    if (!endpoints.empty()) j["endpoints:" + name] = endpoints;
    j["decoders:" + name] = port_decoders(p);
    return j;
  }

  json port_decoders(const Port* p) const {
    json out = json::array();
    if (!p->hdm()) {  // Linux's pass-through decoder: one target, the region's range when used
      json j{{"decoder", names_.port_decoder(p, 0)}};
      if (const Region* reg = r_.region_of_port_decoder(p, 0)) {
        j["resource"] = reg->base.value();
        j["size"] = reg->size.value();
        j["interleave_ways"] = 1;
        j["region"] = fmt::format("region{}", reg->id);
      } else {
        j["interleave_ways"] = 1;
        j["state"] = "disabled";
      }
      j["nr_targets"] = 1;
      j["targets"] = json::array({dport_target(*p->dports()[0], 0)});
      out.push_back(j);
      return out;
    }
    const HdmDecoderCapability& hdm = *p->hdm();
    for (unsigned n = 0; n < hdm.decoder_count(); ++n) {
      const DecoderState s = hdm.state(n);
      json j = decoder_json(names_.port_decoder(p, n), s, r_.region_of_port_decoder(p, n));
      const unsigned ways = s.ways.value_or(1);
      if (!s.committed) j["state"] = "disabled";
      json targets = json::array();
      for (unsigned i = 0; i < ways && i < HdmDecoderCapability::kMaxTargets; ++i) {
        const Dport* d = p->find_dport(s.targets[i]);
        if (!d) break;
        targets.push_back(dport_target(*d, i));
      }
      j["nr_targets"] = targets.size();
      if (!targets.empty()) j["targets"] = targets;
      out.push_back(j);
    }
    return out;
  }

  // Type 2 devices with their memory side's endpoint decoders; empty when there are none.
 public:
  [[nodiscard]] json accelerators() const {
    json out = json::array();
    for (size_t m = 0; m < f_.memdev_count(); ++m) {
      const Memdev& md = f_.memdev(m);
      if (!md.is_type2()) continue;
      std::string path;
      for (const auto& c : f_.memdev_path(m)) path += (path.empty() ? "" : " > ") + c;
      out.push_back({{"id", md.id()},
                     {"type", 2},
                     {"hdm_size", md.volatile_size().value()},
                     {"cache_size", md.cache_size().value()},
                     {"serial", md.serial()},
                     {"host", names_.memdev_address(m).name()},
                     {"path", path},
                     {"endpoint", names_.endpoint(m)},
                     {"decoders:" + names_.endpoint(m), endpoint_decoders(m)}});
    }
    return out;
  }

 private:
  [[nodiscard]] json endpoint(size_t m, unsigned depth) const {
    const std::string name = names_.endpoint(m);
    json e{{"endpoint", name}, {"host", names_.memdev(m)}, {"depth", depth}};
    add_id(e, f_.memdev(m).id());
    e["memdev"] = memdev(m);
    e["decoders:" + name] = endpoint_decoders(m);
    return e;
  }

  // cxl-cli prints a partition's size only when it is not zero, and the serial (the Device
  // Serial Number capability) always for QEMU's devices.
  [[nodiscard]] json memdev(size_t m) const {
    const Memdev& md = f_.memdev(m);
    json j{{"memdev", names_.memdev(m)}};
    if (md.persistent_size().value() != 0) j["pmem_size"] = md.persistent_size().value();
    if (md.volatile_size().value() != 0) j["ram_size"] = md.volatile_size().value();
    j["serial"] = md.serial();
    j["host"] = names_.memdev_address(m).name();
    add_id(j, md.id());
    j["partition_info"] = partition_info(m);
    return j;
  }

  // cxl-cli's partition_info: Identify Memory Device's capacities; when the device is
  // partitionable (alignment not 0) also Get Partition Info's active and next split.
  [[nodiscard]] json partition_info(size_t m) const {
    namespace op = device::opcode;
    namespace pl = device::payload;
    constexpr uint64_t kUnit = device::kCapacityUnit;
    device::MemdevCci& cci = f_.memdev(m).cci();
    const device::MboxResult id = cci.execute(op::kIdentifyMemoryDevice);
    if (id.rc != device::MboxReturn::kSuccess) return nullptr;
    const uint64_t align = pl::Identify::kPartitionAlignment.get(id.out) * kUnit;
    json j{{"total_size", pl::Identify::kTotalCapacity.get(id.out) * kUnit},
           {"volatile_only_size", pl::Identify::kVolatileOnly.get(id.out) * kUnit},
           {"persistent_only_size", pl::Identify::kPersistentOnly.get(id.out) * kUnit},
           {"partition_alignment_size", align}};
    if (align == 0) return j;
    const device::MboxResult pi = cci.execute(op::kGetPartitionInfo);
    if (pi.rc != device::MboxReturn::kSuccess) return j;
    j["active_volatile_size"] = pl::PartitionInfo::kActiveVolatile.get(pi.out) * kUnit;
    j["active_persistent_size"] = pl::PartitionInfo::kActivePersistent.get(pi.out) * kUnit;
    j["next_volatile_size"] = pl::PartitionInfo::kNextVolatile.get(pi.out) * kUnit;
    j["next_persistent_size"] = pl::PartitionInfo::kNextPersistent.get(pi.out) * kUnit;
    return j;
  }

  // The fields every decoder shows, port or endpoint: name, committed range, interleave, region.
  static json decoder_json(const std::string& name, const DecoderState& s, const Region* reg) {
    json j{{"decoder", name}};
    const unsigned ways = s.ways.value_or(1);
    if (s.committed) {
      j["resource"] = s.base.value();
      j["size"] = s.size.value();
    }
    j["interleave_ways"] = ways;
    if (ways > 1 && s.granularity) j["interleave_granularity"] = s.granularity->value();
    if (reg != nullptr) j["region"] = fmt::format("region{}", reg->id);
    return j;
  }

  [[nodiscard]] json endpoint_decoders(size_t m) const {
    const Memdev& md = f_.memdev(m);
    json decoders = json::array();
    for (unsigned n = 0; n < md.hdm().decoder_count(); ++n) {
      const DecoderState s = md.hdm().state(n);
      json j = decoder_json(names_.endpoint_decoder(m, n), s, r_.region_of_endpoint_decoder(m, n));
      if (!s.committed) {
        j["state"] = "disabled";
      } else {
        j["dpa_resource"] = s.dpa_base.value();
        j["dpa_size"] = s.dpa_size.value();
        j["mode"] = md.is_persistent(s.dpa_base) ? "pmem" : "ram";
      }
      if (s.committed && md.is_type2()) {
        j["target_type"] = s.target_type == HdmTargetType::kHostOnly ? "hdm-h" : "hdm-d";
      }
      decoders.push_back(j);
    }
    return decoders;
  }

  Fabric& f_;
  const RegionManager& r_;
  const LinuxNames& names_;
  bool extra_;
};

// Type 2 devices, after the memdevs (nothing when there are none).
void print_accelerators(const Fabric& f, const LinuxNames& names) {
  bool header = false;
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    const Memdev& a = f.memdev(m);
    if (!a.is_type2()) continue;
    if (!header) {
      std::cout << fmt::format("\n{:<16} {:>10} {:>10} {:>10}  {:<24} {}\n", "ACCELERATOR", "HDM",
                               "CACHE", "SERIAL", "DECODERS (committed)", "PATH");
    }
    header = true;
    std::string decoders, path;
    for (unsigned n = 0; n < a.hdm().committed_count(); ++n) {
      const DecoderState d = a.hdm().state(n);
      decoders += fmt::format("{}{}:{:#x}+{}", decoders.empty() ? "" : " ",
                              names.endpoint_decoder(m, n), d.base.value(), format_bytes(d.size));
    }
    for (const auto& c : f.memdev_path(m)) path += (path.empty() ? "" : " > ") + c;
    std::cout << fmt::format("{:<16} {:>10} {:>10} {:>#10x}  {:<24} {}\n", a.id(),
                             format_bytes(a.volatile_size()), format_bytes(a.cache_size()),
                             a.serial(), decoders.empty() ? "-" : decoders, path);
  }
}

void print_tables(const Session& s) {
  const Fabric& f = *s.fabric;
  const LinuxNames& names = s.regions->names();
  std::cout << fmt::format("{:<8} {:<16} {:>12} {:>12} {:>10}  {}\n", "MEMDEV", "ID", "PMEM", "RAM",
                           "SERIAL", "PATH");
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    if (f.memdev(m).is_type2()) continue;
    std::string path;
    for (const auto& c : f.memdev_path(m)) path += (path.empty() ? "" : " > ") + c;
    std::cout << fmt::format("{:<8} {:<16} {:>12} {:>12} {:>#10x}  {}\n", names.memdev(m),
                             f.memdev(m).id(), format_bytes(f.memdev(m).persistent_size()),
                             format_bytes(f.memdev(m).volatile_size()), f.memdev(m).serial(), path);
  }
  print_accelerators(f, names);
  std::cout << fmt::format("\n{:<11} {:<8} {:>18} {:>10} {:>5} {:>6}  {}\n", "DECODER", "WINDOW",
                           "BASE", "SIZE", "WAYS", "GRAN", "TARGETS");
  for (size_t w = 0; w < f.windows().size(); ++w) {
    const Cfmws& c = f.windows()[w];
    std::string targets;
    for (const auto* hb : c.targets()) targets += (targets.empty() ? "" : ",") + hb->id();
    std::cout << fmt::format("{:<11} {:<8} {:>#18x} {:>10} {:>5} {:>6}  {}\n",
                             names.root_decoder(w), c.id(), c.base().value(),
                             format_bytes(c.size()), c.ways(), c.granularity().value(), targets);
  }
  if (s.regions->regions().empty()) return;
  std::cout << fmt::format("\n{:<8} {:>18} {:>10} {:>5} {:>6}  {}\n", "REGION", "BASE", "SIZE",
                           "WAYS", "GRAN", "MAPPINGS (position:memdev:decoder)");
  for (const auto& r : s.regions->regions()) {
    std::string maps;
    for (const auto& t : r->targets) {
      maps += fmt::format("{}{}:{}:{}", maps.empty() ? "" : " ", t.position,
                          f.memdev(t.memdev).id(), names.endpoint_decoder(t.memdev, t.decoder));
    }
    std::cout << fmt::format("{:<8} {:>#18x} {:>10} {:>5} {:>6}  {}\n",
                             fmt::format("region{}", r->id), r->base.value(), format_bytes(r->size),
                             r->ways, r->granularity.value(), maps);
  }
}

}  // namespace

void register_list(CLI::App& app) {
  struct Args {
    std::string topology;
    std::vector<std::string> regions;
    bool json = false;
    bool extra = false;
    FabricOptions options{.map_backing_files = false};  // a view: creates no file
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("list", "List the fabric as Linux's `cxl list -vvv` shows it");
  cmd->add_option("topology", a->topology,
                  "Topology: a file (TOML or QEMU command line) or builtin:NAME")
      ->required();
  cmd->add_option("--region", a->regions,
                  "Create a region first (repeatable): "
                  "window=N,ways=W,granularity=G[,targets=ID:ID:...][,size=S] "
                  "(N: index, decoder0.N or window id; ID: topology id or memN)"
                  "[,mode=pmem|ram|dc]")
      ->allow_extra_args(false);
  add_fabric_options(cmd, a->options);
  cmd->add_flag("--json", a->json, "JSON as cxl list -vvv prints it in a QEMU 7.2 guest");
  cmd->add_flag("--extra", a->extra,
                "With --json: add what cxl list does not show: topology ids (topology_id), "
                "region modes and the Type 2 accelerators");
  cmd->callback([a] {
    const Session s = open_session(a->topology, a->regions, "", a->options);
    if (!s.rejected.empty()) finish(fail(s.rejected, 1));
    if (a->json) {
      const ListJson list(s, a->extra);
      json out = json::array({list.bus()});
      if (json acc = list.accelerators(); a->extra && !acc.empty()) {
        out.push_back({{"accelerators", std::move(acc)}});
      }
      std::cout << out.dump(2) << "\n";
    } else {
      print_tables(s);
    }
  });
}

}  // namespace cxlsim::cli
