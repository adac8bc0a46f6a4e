// `cxlsim topology ...`: show, validate, export-qemu, convert. Every subcommand takes the
// topology argument load_topology() understands (a file, builtin:NAME or newick:TREE).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/exit_status.h"
#include "device/runtime_dir.h"
#include "fabric/builtin_topologies.h"
#include "fabric/qemu_cmdline.h"
#include "fabric/topology_loader.h"
#include "fabric/topology_schema.h"
#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"

namespace cxlsim::cli {
namespace {

constexpr const char* kTopologyHelp =
    "Topology: a file (cxlsim TOML, a QEMU command line or a CXLMemSim Newick tree, told apart by "
    "content), builtin:NAME, or newick:TREE";

std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }
std::string serial_text(uint64_t v) { return v == 0 ? "none" : hex(v); }

std::string restrictions_text(const WindowRestrictions& r) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  };
  add(r.type2, "type2");
  add(r.type3, "type3");
  add(r.volatile_, "volatile");
  add(r.persistent, "persistent");
  add(r.fixed_config, "fixed");
  return s.empty() ? "none" : s;
}

// ", link x8 32GT/s" for a link end that states its capability; "" otherwise.
std::string link_text(const LinkCaps& c) { return c.empty() ? "" : ", link " + to_string(c); }

// Link end plus, below a root or downstream port, what the link trains to when that differs.
std::string port_link_text(const Topology& t, const std::string& port, const LinkCaps& own) {
  const LinkCaps trained = t.trained_link_below(port);
  std::string s = link_text(own);
  if (!trained.empty() && trained != own) s += ", trains " + to_string(trained);
  return s;
}

// ---- show: a tree for people ----

class TreePrinter {
 public:
  TreePrinter(const Topology& t, std::ostream& out) : t_(t), out_(out) {}

  void print() {
    out_ << "topology " << (t_.name.empty() ? "(unnamed)" : "'" + t_.name + "'") << "\n";
    out_ << "windows:\n";
    if (t_.windows.empty()) out_ << "  (none)\n";
    for (const auto& w : t_.windows) {
      std::string targets;
      for (const auto& x : w.targets) targets += (targets.empty() ? "" : ", ") + x;
      out_ << fmt::format("  {}: {} at {}, {}-way over [{}], granularity {}, restrictions {}\n",
                          w.id, format_bytes(w.size), w.base ? hex(*w.base) : "(assigned at build)",
                          w.targets.size(), targets, format_bytes(w.granularity),
                          restrictions_text(w.restrictions));
    }
    for (const auto& hb : t_.host_bridges) {
      out_ << fmt::format("host bridge {} (uid {}, bus {})\n", hb.id, hb.uid, hb.bus_nr);
      std::vector<const RootPortSpec*> rps;
      for (const auto& rp : t_.root_ports) {
        if (rp.host_bridge == hb.id) rps.push_back(&rp);
      }
      for (size_t i = 0; i < rps.size(); ++i) {
        bool last = i + 1 == rps.size();
        const auto& rp = *rps[i];
        out_ << fmt::format("{}root port {} (port {}, chassis {}, slot {}{})\n",
                            last ? "└─ " : "├─ ", rp.id, rp.port_number, rp.chassis, rp.slot,
                            port_link_text(t_, rp.id, rp.link));
        shown_.insert(rp.id);
        below(rp.id, last ? "   " : "│  ", 0);
      }
      shown_.insert(hb.id);
    }
    pool();
    unconnected();
  }

 private:
  // The memory pool, if any: hosts with their VCS, pooled MLDs and DCDs.
  void pool() {
    for (const auto& h : t_.hosts) {
      out_ << fmt::format("host {}: VCS with vPPBs 0-{}\n", h.id, h.vppbs - 1);
    }
    for (const auto& m : t_.mlds) {
      out_ << fmt::format("mld {}: {} LDs of {}{}\n", m.id, m.lds, format_bytes(m.ld_size),
                          m.shared ? ", shareable" : "");
    }
    for (const auto& d : t_.dcds) {
      std::vector<std::string> regions;
      for (Bytes r : d.dc_regions) regions.push_back(format_bytes(r));
      out_ << fmt::format("dcd {}: DC regions [{}], block size {}{}\n", d.id,
                          fmt::join(regions, ", "), format_bytes(d.dc_block_size),
                          d.shared ? ", shareable" : "");
    }
  }

  // Elements the tree did not reach (dangling or cyclic references): listed so nothing hides.
  void unconnected() {
    std::vector<std::string> rest;
    auto check = [&](const auto& v, const char* kind) {
      for (const auto& e : v) {
        if (!shown_.contains(e.id)) rest.push_back(fmt::format("{} {}", kind, e.id));
      }
    };
    check(t_.host_bridges, "host bridge");
    check(t_.root_ports, "root port");
    check(t_.switches, "switch");
    check(t_.downstream_ports, "downstream port");
    check(t_.type3, "type3");
    check(t_.type2, "type2");
    if (rest.empty()) return;
    out_ << "not connected (see `cxlsim topology validate`):\n";
    for (const auto& r : rest) out_ << "  " << r << "\n";
  }

  void line(const std::string& prefix, bool last, const std::string& text) {
    out_ << prefix << (last ? "└─ " : "├─ ") << text << "\n";
  }

  void below(const std::string& port, const std::string& prefix, int depth) {
    if (depth > 32) return;  // a cycle; validate reports it
    std::vector<std::string> items;
    for (const auto& s : t_.switches) {
      if (s.parent == port) items.push_back("s:" + s.id);
    }
    for (const auto& d : t_.type3) {
      if (d.parent == port) items.push_back("3:" + d.id);
    }
    for (const auto& d : t_.type2) {
      if (d.parent == port) items.push_back("2:" + d.id);
    }
    if (items.empty()) out_ << prefix << "└─ (empty)\n";
    for (size_t i = 0; i < items.size(); ++i) {
      bool last = i + 1 == items.size();
      std::string id = items[i].substr(2);
      if (!shown_.insert(id).second) continue;  // reached twice: a cycle
      std::string next = prefix + (last ? "   " : "│  ");
      if (items[i][0] == 's') {
        const LinkCaps& up = t_.find_switch(id)->link;
        line(prefix, last,
             "switch " + id + (up.empty() ? "" : " (upstream link " + to_string(up) + ")"));
        std::vector<const DownstreamPortSpec*> dps;
        for (const auto& dp : t_.downstream_ports) {
          if (dp.switch_id == id) dps.push_back(&dp);
        }
        for (size_t j = 0; j < dps.size(); ++j) {
          bool dlast = j + 1 == dps.size();
          shown_.insert(dps[j]->id);
          line(next, dlast,
               fmt::format("downstream port {} (port {}, chassis {}, slot {}{})", dps[j]->id,
                           dps[j]->port_number, dps[j]->chassis, dps[j]->slot,
                           port_link_text(t_, dps[j]->id, dps[j]->link)));
          below(dps[j]->id, next + (dlast ? "   " : "│  "), depth + 1);
        }
      } else if (items[i][0] == '3') {
        line(prefix, last, type3_text(*t_.find_type3(id)));
      } else {
        const Type2Spec& d = *t_.find_type2(id);
        line(prefix, last,
             fmt::format("type2 {}: hdm {}, cache {}, serial {}{}", d.id, format_bytes(d.hdm_size),
                         format_bytes(d.cache_size), serial_text(d.serial), link_text(d.link)));
      }
    }
  }

  static std::string type3_text(const Type3Spec& d) {
    std::string s = fmt::format("type3 {}:", d.id);
    if (d.volatile_size != Bytes(0)) {
      s += fmt::format(" volatile {}{},", format_bytes(d.volatile_size),
                       backing_text(d.volatile_backing));
    }
    if (d.persistent_size != Bytes(0)) {
      s += fmt::format(" persistent {}{},", format_bytes(d.persistent_size),
                       backing_text(d.persistent_backing));
    }
    if (d.lsa_size != Bytes(0)) s += fmt::format(" lsa {},", format_bytes(d.lsa_size));
    return s + fmt::format(" serial {}{}", serial_text(d.serial), link_text(d.link));
  }

  static std::string backing_text(const BackingSpec& b) {
    return b.path.empty() ? " (RAM)" : fmt::format(" ({})", b.path);
  }

  const Topology& t_;
  std::ostream& out_;
  std::set<std::string> shown_;
};

// ---- JSON ----

// link_width / link_speed ("32GT/s") where the element states them.
void add_link(nlohmann::json& x, const LinkCaps& c) {
  if (c.width) x["link_width"] = *c.width;
  if (c.speed) x["link_speed"] = format_link_speed(*c.speed);
}

// The above, plus trained_link_width / trained_link_speed for the link below a port.
void add_port_link(nlohmann::json& x, const Topology& t, const std::string& port,
                   const LinkCaps& own) {
  add_link(x, own);
  const LinkCaps trained = t.trained_link_below(port);
  if (trained.width) x["trained_link_width"] = *trained.width;
  if (trained.speed) x["trained_link_speed"] = format_link_speed(*trained.speed);
}

// Writes the keys schema::topology_elements visits as JSON: numbers as numbers (sizes in bytes),
// every optional key present (null or empty when unset), and for root and downstream ports the
// link they train to.
class JsonWriter {
 public:
  // Every element array is present, empty when the topology has none of that kind.
  JsonWriter(nlohmann::json& root, const Topology& t) : root_(root), t_(t) {
    for (const auto& [kind, array] : kArray) root_[array] = nlohmann::json::array();
  }
  void element(const std::string& kind) {
    auto& a = root_[kArray.at(kind)];
    a.push_back(nlohmann::json::object());
    cur_ = &a.back();
  }
  void text(const char* key, const std::string& v) { (*cur_)[key] = v; }
  void texts(const char* key, const std::vector<std::string>& v) { (*cur_)[key] = v; }
  void number(const char* key, unsigned v) { (*cur_)[key] = v; }
  void serial(const char* key, uint64_t v) { (*cur_)[key] = v; }
  void flag(const char* key, bool v, bool /*dflt*/) { (*cur_)[key] = v; }
  void size(const char* key, Bytes v) { (*cur_)[key] = v.value(); }
  void address(const char* key, const std::optional<uint64_t>& v) {
    (*cur_)[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  }
  void restrictions(const char* key, const WindowRestrictions& r) { (*cur_)[key] = r.encode(); }
  void backing(const std::string& kind, const BackingSpec& b) {
    (*cur_)[kind + "_path"] = b.path;
    (*cur_)[kind + "_object"] = b.object_id;
  }
  void dc(const std::vector<Bytes>& regions, Bytes block_size) {
    auto& a = (*cur_)["dc_regions"] = nlohmann::json::array();
    for (Bytes r : regions) a.push_back(r.value());
    (*cur_)["dc_block_size"] = block_size.value();
  }
  void link(const LinkCaps& c) { add_link(*cur_, c); }
  void port_link(const std::string& port, const LinkCaps& c) { add_port_link(*cur_, t_, port, c); }

 private:
  // Element kind (the TOML table name) -> its JSON array.
  static inline const std::map<std::string, std::string, std::less<>> kArray = {
      {"window", "windows"},
      {"host_bridge", "host_bridges"},
      {"root_port", "root_ports"},
      {"switch", "switches"},
      {"downstream_port", "downstream_ports"},
      {"type3", "type3"},
      {"type2", "type2"},
      {"host", "hosts"},
      {"mld", "mlds"},
      {"dcd", "dcds"}};
  nlohmann::json& root_;
  const Topology& t_;
  nlohmann::json* cur_ = nullptr;
};

nlohmann::json to_json(const Topology& t) {
  using nlohmann::json;
  json j;
  j["format"] = "cxlsim-topology";
  j["version"] = kTopologyTomlVersion;
  j["name"] = t.name;
  if (t.hdm_decoders) j["hdm_decoders"] = *t.hdm_decoders;
  JsonWriter w(j, t);
  schema::topology_elements(w, t);
  return j;
}

// ---- subcommands ----

struct Args {
  std::string topology;
  bool json = false;
  bool one_line = false;
  std::string backing_dir = device::runtime_dir();  // per user, never a shared /tmp path
  std::string to = "toml";
  std::string output;
  std::string qemu = "7";  // export-qemu: QEMU release (fabric/qemu_cmdline.h QemuTarget)
};

void add_topology_arg(CLI::App* cmd, Args& a) {
  cmd->add_option("topology", a.topology, kTopologyHelp)->required();
}

void write_output(const Args& a, const std::string& text) {
  if (a.output.empty()) {
    std::cout << text;
    return;
  }
  std::ofstream out(a.output, std::ios::binary);
  out << text;
  if (!out) finish(fail(fmt::format("cannot write '{}'", a.output), kExitFailed));
}

void run_show(const Args& a) {
  Topology t = load_topology(a.topology);
  if (a.json) {
    std::cout << to_json(t).dump(2) << "\n";
    return;
  }
  TreePrinter(t, std::cout).print();
}

void run_validate(const Args& a) {
  Topology t = load_topology(a.topology);
  auto diags = validate(t);
  bool bad = has_errors(diags);
  if (a.json) {
    nlohmann::json j{
        {"topology", a.topology}, {"valid", !bad}, {"diagnostics", nlohmann::json::array()}};
    for (const auto& d : diags) {
      j["diagnostics"].push_back(
          {{"severity", d.severity == Severity::kError ? "error" : "warning"},
           {"element", d.element},
           {"message", d.message}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& d : diags) std::cout << to_string(d) << "\n";
    size_t errors = 0;
    for (const auto& d : diags) errors += d.severity == Severity::kError ? 1 : 0;
    std::cout << fmt::format(
        "{}: {} ({} errors, {} warnings; {} host bridges, {} switches, {} devices, {} windows)\n",
        a.topology, bad ? "invalid" : "valid", errors, diags.size() - errors, t.host_bridges.size(),
        t.switches.size(), t.type3.size() + t.type2.size(), t.windows.size());
  }
  finish(bad ? 1 : 0);
}

// QEMU 7.2 has no link width/speed properties: says on stderr which elements lose theirs.
void note_timing_only_links(const Topology& t) {
  std::string ids;
  auto scan = [&](const auto& v) {
    for (const auto& e : v) {
      if (!e.link.empty()) ids += (ids.empty() ? "" : ", ") + e.id;
    }
  };
  scan(t.root_ports);
  scan(t.switches);
  scan(t.downstream_ports);
  scan(t.type3);
  scan(t.type2);
  if (ids.empty()) return;
  std::cerr << fmt::format(
      "cxlsim: note: link_width/link_speed of {} are timing-only and not exported "
      "(QEMU 7.2 has no link width/speed properties)\n",
      ids);
}

void run_export_qemu(const Args& a) {
  Topology t = load_topology(a.topology);
  note_timing_only_links(t);
  QemuExportOptions opt;
  opt.backing_dir = a.backing_dir;
  opt.qemu = a.qemu == "10" ? QemuTarget::v10_0 : QemuTarget::v7_2;
  auto args = to_qemu_args(t, opt);
  if (a.json) {
    std::cout << nlohmann::json{{"program", "qemu-system-x86_64"}, {"args", args}}.dump(2) << "\n";
    return;
  }
  std::cout << format_qemu_command(args, a.one_line) << "\n";
}

void run_convert(const Args& a) {
  Topology t = load_topology(a.topology);
  if (a.to == "toml") {
    write_output(a, to_toml(t));
  } else if (a.to == "json") {
    write_output(a, to_json(t).dump(2) + "\n");
  } else {
    QemuExportOptions opt;
    opt.backing_dir = a.backing_dir;
    note_timing_only_links(t);
    write_output(a, format_qemu_command(to_qemu_args(t, opt), false) + "\n");
  }
}

}  // namespace

void register_topology(CLI::App& app) {
  auto* topo = app.add_subcommand("topology", "Show, check, convert and export CXL topologies");
  topo->require_subcommand(1);
  auto a = std::make_shared<Args>();
  std::string builtins;
  for (auto n : builtin_topology_names()) {
    builtins += (builtins.empty() ? "" : ", ") + std::string(n);
  }
  topo->footer("Built-in topologies: " + builtins);

  auto* show = topo->add_subcommand("show",
                                    "Print the topology as a tree: host bridges, ports, switches, "
                                    "devices and windows");
  add_topology_arg(show, *a);
  show->add_flag("--json", a->json, "Print the topology as JSON (sizes in bytes)");
  show->callback([a] { run_show(*a); });

  auto* val = topo->add_subcommand("validate",
                                   "Check the topology; exit 0 when valid, 1 when it has errors "
                                   "(warnings do not fail)");
  add_topology_arg(val, *a);
  val->add_flag("--json", a->json, "Print the diagnostics as JSON");
  val->callback([a] { run_validate(*a); });

  auto* exp = topo->add_subcommand("export-qemu",
                                   "Print a QEMU 7.2 or 10.0 command line (qemu-system-x86_64) "
                                   "that builds this topology");
  add_topology_arg(exp, *a);
  exp->add_option("--backing-dir", a->backing_dir,
                  "Directory for memory-backend files of devices without a path")
      ->capture_default_str();
  exp->add_option("--qemu", a->qemu,
                  "QEMU release: 7 (memdev=, persistent only) or 10 (persistent-memdev=, "
                  "volatile-memdev=, volatile-dc-memdev=)")
      ->check(CLI::IsMember({"7", "10"}))
      ->capture_default_str();
  exp->add_flag("--one-line", a->one_line,
                "Print the command on one line instead of one option per line");
  exp->add_flag("--json", a->json, "Print the arguments as a JSON array");
  exp->callback([a] { run_export_qemu(*a); });

  auto* conv = topo->add_subcommand(
      "convert", "Convert a topology (e.g. a QEMU command line) to another format");
  add_topology_arg(conv, *a);
  conv->add_option("--to", a->to, "Output format")
      ->check(CLI::IsMember({"toml", "json", "qemu"}))
      ->capture_default_str();
  conv->add_option("-o,--output", a->output, "Write to this file instead of stdout");
  conv->add_option("--backing-dir", a->backing_dir,
                   "With --to qemu: directory for memory-backend files")
      ->capture_default_str();
  conv->callback([a] { run_convert(*a); });
}

}  // namespace cxlsim::cli
