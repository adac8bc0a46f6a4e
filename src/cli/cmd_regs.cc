// `cxlsim regs FILE --component ID [--region SPEC]... [--json]`: one component's registers as
// software reads them: its PCIe configuration space (header, capabilities, CXL DVSECs by name)
// and its component register block (capability headers, RAS, Link, HDM decoders field by
// field), after the given regions are created.
// `cxlsim regs FILE --cedt [--json|--raw]`: the ACPI CEDT of the platform (CHBS per host bridge,
// CFMWS per window); --raw prints the table's bytes in hex.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/region_spec.h"
#include "spec/dvsec.h"

namespace cxlsim::cli {
namespace {

using nlohmann::json;

// The HDM Decoder Capability field by field, each value read through the component block
// (block offset `at` + the field's register offset).
json hdm_fields(const ComponentRegisters& block, uint32_t at, const HdmDecoderCapability& hdm) {
  json out = json::array();
  for (const PlacedStructure& st : hdm.registers().structures()) {
    for (const FieldDesc& f : st.fields) {
      const uint32_t off = st.base + f.offset;
      const uint32_t reg = block.read32(at + off);
      const uint32_t mask = f.bits() >= 32 ? 0xFFFFFFFFu : (1u << f.bits()) - 1;
      // Decoder n's registers sit at 0x10 + 0x20 n (CXL 3.1 §8.2.4.20.5).
      const json decoder = off >= 0x10 ? json((off - 0x10) / 0x20) : json(nullptr);
      out.push_back({{"field", f.name},
                     {"decoder", decoder},
                     {"offset", at + off},
                     {"bits", fmt::format("{}:{}", f.msb, f.lsb)},
                     {"value", (reg >> f.lsb) & mask},
                     {"access", access_name(f.access)},
                     {"section", f.section}});
    }
  }
  return out;
}

json component_json(const ComponentRegisterView& v) {
  json j{{"id", v.id}, {"kind", component_kind_name(v.kind)}};
  if (v.chbcr) j["chbcr"] = v.chbcr->value();
  if (v.config) {
    j["config_space"] = {{"summary", describe(*v.config)}, {"registers", v.config->to_json()}};
  }
  json cr = v.component->to_json();
  json caps = json::array();
  const uint32_t cm = ComponentRegisters::kCacheMemOffset;
  const uint32_t n = v.component->read32(cm) >> 24;
  for (uint32_t i = 1; i <= n; ++i) {
    const uint32_t h = v.component->read32(cm + 4 * i);
    caps.push_back({{"id", h & 0xFFFF}, {"version", (h >> 16) & 0xF}, {"offset", cm + (h >> 20)}});
  }
  cr["capability_headers"] = caps;
  if (v.hdm) {
    if (auto at = v.component->find_capability(CacheMemCapabilityId::kHdmDecoder)) {
      cr["hdm_fields"] = hdm_fields(*v.component, *at, *v.hdm);
    }
  }
  j["component_registers"] = std::move(cr);
  return j;
}

// Every field of a RegisterFile::to_json() dump, one per line.
void print_structures(const json& regs) {
  for (const auto& s : regs["structures"]) {
    std::cout << fmt::format("  {} @ {:#x}\n", s["name"].get<std::string>(),
                             s["base"].get<uint32_t>());
    for (const auto& f : s["fields"]) {
      std::cout << fmt::format("    {:#06x} [{:>5}] {:<7} {:<44} {:#x}\n",
                               f["offset"].get<uint32_t>(), f["bits"].get<std::string>(),
                               f["access"].get<std::string>(), f["field"].get<std::string>(),
                               f["value"].get<uint64_t>());
    }
  }
}

void print_component(const json& j) {
  std::cout << fmt::format("{} ({})\n", j["id"].get<std::string>(), j["kind"].get<std::string>());
  if (j.contains("chbcr")) {
    std::cout << fmt::format("CHBCR (CEDT CHBS base): {:#x}\n", j["chbcr"].get<uint64_t>());
  }
  if (j.contains("config_space")) {
    const json& s = j["config_space"]["summary"];
    std::cout << fmt::format(
        "\nCONFIG SPACE  vendor {:04x} device {:04x} class {:06x} header type {}",
        s["vendor_id"].get<unsigned>(), s["device_id"].get<unsigned>(),
        s["class_code"].get<unsigned>(), s["header_type"].get<unsigned>());
    if (s.contains("port_type")) std::cout << " port type " << s["port_type"].get<std::string>();
    if (s.contains("port_number")) std::cout << " port number " << s["port_number"].get<unsigned>();
    std::cout << "\n";
    for (const auto& d : s["dvsecs"]) {
      std::cout << fmt::format("  DVSEC {} {:<36} @ {:#x}\n", d["id"].get<unsigned>(),
                               d["name"].get<std::string>(), d["offset"].get<unsigned>());
    }
    for (const auto& b : s["register_blocks"]) {
      std::cout << fmt::format("  register block id {} in BAR{} + {:#x}\n", b["id"].get<unsigned>(),
                               b["bir"].get<unsigned>(), b["offset"].get<uint64_t>());
    }
    print_structures(j["config_space"]["registers"]);
  }
  const json& cr = j["component_registers"];
  std::cout << "\nCOMPONENT REGISTERS\n";
  for (const auto& c : cr["capability_headers"]) {
    std::cout << fmt::format("  capability id {} version {} @ {:#x}\n", c["id"].get<unsigned>(),
                             c["version"].get<unsigned>(), c["offset"].get<uint32_t>());
  }
  print_structures(cr["cache_mem"]);
  if (cr.contains("hdm_fields")) {
    std::cout << "  HDM Decoder Capability\n";
    for (const auto& f : cr["hdm_fields"]) {
      const std::string name = f["decoder"].is_null()
                                   ? f["field"].get<std::string>()
                                   : fmt::format("Decoder {} {}", f["decoder"].get<unsigned>(),
                                                 f["field"].get<std::string>());
      std::cout << fmt::format("    {:#06x} [{:>5}] {:<44} {:#x}\n", f["offset"].get<uint32_t>(),
                               f["bits"].get<std::string>(), name, f["value"].get<uint32_t>());
    }
  }
}

void print_cedt(const Cedt& t) {
  std::cout << fmt::format("CEDT revision {}\n", t.revision);
  std::cout << fmt::format("{:<6} {:>6} {:>18} {:>10} {:>5} {:>6} {:>6}  {}\n", "TYPE", "UID",
                           "BASE", "SIZE", "WAYS", "GRAN", "RESTR", "TARGETS (UID)");
  for (const CedtStructure& st : t.structures) {
    if (const Chbs* c = std::get_if<Chbs>(&st)) {
      std::cout << fmt::format("{:<6} {:>6} {:>#18x} {:>10} {:>5} {:>6} {:>6}  {}\n", "CHBS",
                               c->uid, c->base.value(), format_bytes(c->length), "-", "-", "-",
                               c->cxl_version == Chbs::kVersionCxl2 ? "CXL 2.0+" : "RCH");
    } else if (const CedtCfmws* w = std::get_if<CedtCfmws>(&st)) {
      std::string targets;
      for (uint32_t u : w->targets) targets += (targets.empty() ? "" : ",") + std::to_string(u);
      std::cout << fmt::format("{:<6} {:>6} {:>#18x} {:>10} {:>5} {:>6} {:>#6x}  {}\n", "CFMWS",
                               "-", w->base.value(), format_bytes(w->size), w->ways(),
                               w->granularity().value(), w->restrictions, targets);
    }
  }
}

void print_hex(const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i < bytes.size(); i += 16) {
    std::string line = fmt::format("{:04x}:", i);
    for (size_t k = i; k < std::min(bytes.size(), i + 16); ++k) {
      line += fmt::format(" {:02x}", bytes[k]);
    }
    std::cout << line << "\n";
  }
}

}  // namespace

void register_regs(CLI::App& app) {
  struct Args {
    std::string topology;
    std::string component;
    std::vector<std::string> regions;
    bool cedt = false;
    bool json = false;
    bool raw = false;
    FabricOptions options{.map_backing_files = false};  // a view: creates no file
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "regs", "Dump a component's config space and component registers, or the CEDT");
  cmd->add_option("topology", a->topology,
                  "Topology: a file (TOML or QEMU command line) or builtin:NAME")
      ->required();
  auto* comp =
      cmd->add_option("--component", a->component, "Topology id of a host bridge, port or memdev");
  auto* cedt = cmd->add_flag("--cedt", a->cedt, "Print the ACPI CEDT (CHBS, CFMWS)");
  comp->excludes(cedt);
  cmd->add_option("--region", a->regions,
                  "Create a region first (repeatable): "
                  "window=N,ways=W,granularity=G[,targets=ID:ID:...][,size=S] "
                  "(N: index, decoder0.N or window id; ID: topology id or memN)"
                  "[,mode=pmem|ram|dc]")
      ->allow_extra_args(false);
  add_fabric_options(cmd, a->options);
  cmd->add_flag("--json", a->json, "JSON: register dumps with every field");
  cmd->add_flag("--raw", a->raw, "With --cedt: the encoded table as hex bytes");
  cmd->callback([a] {
    if (a->component.empty() && !a->cedt) finish(fail("regs: give --component ID or --cedt"));
    if (a->raw && !a->cedt) finish(fail("regs: --raw needs --cedt"));
    const Session s = open_session(a->topology, a->regions, "", a->options);
    if (!s.rejected.empty()) finish(fail(s.rejected, 1));
    if (a->cedt) {
      const Cedt t = s.fabric->cedt();
      if (a->raw) {
        print_hex(encode_cedt(t));
      } else if (a->json) {
        std::cout << to_json(t).dump(2) << "\n";
      } else {
        print_cedt(t);
      }
      return;
    }
    const auto v = s.fabric->find_component(a->component);
    if (!v) {
      finish(fail(fmt::format("regs: unknown component '{}' (not a host bridge, port or memdev id)",
                              a->component)));
    }
    const json j = component_json(*v);
    if (a->json) {
      std::cout << j.dump(2) << "\n";
    } else {
      print_component(j);
    }
  });
}

}  // namespace cxlsim::cli
