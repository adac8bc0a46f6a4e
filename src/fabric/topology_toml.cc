// Reading and writing the TOML topology format (docs/topology_format.md). toml++ is used only
// in this file; the rest of cxlsim sees the Topology structure.
#include "fabric/topology_toml.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <limits>
#include <map>
#include <set>

#include "fabric/topology_schema.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

constexpr std::string_view kTopLevelKeys[] = {
    "version",         "name",  "hdm_decoders", "window", "host_bridge", "root_port", "switch",
    "downstream_port", "type3", "type2",        "host",   "mld",         "dcd"};

// One [[kind]] element of the file. Reads typed values and remembers which keys were read,
// so that finish() can reject keys nobody asked for.
class Element {
 public:
  Element(const toml::table& table, std::string_view kind, size_t index, std::string_view origin)
      : table_(table), kind_(kind), index_(index), origin_(origin) {}

  // "file.toml:12: [[type3]] 'mem0'" (or "#N" when the element has no usable id).
  [[nodiscard]] std::string where() const {
    std::string name;
    if (auto id = table_["id"].value<std::string>()) {
      name = fmt::format("'{}'", *id);
    } else {
      name = fmt::format("#{}", index_ + 1);
    }
    return fmt::format("{}:{}: [[{}]] {}", origin_, table_.source().begin.line, kind_, name);
  }

  [[noreturn]] void error(std::string_view key, std::string_view what) const {
    throw ParseError(fmt::format("{}: key '{}': {}", where(), key, what));
  }

  bool has(std::string_view key) {
    used_.insert(std::string(key));
    return table_.contains(key);
  }

  std::string required_string(std::string_view key) {
    if (!has(key)) throw ParseError(fmt::format("{}: missing required key '{}'", where(), key));
    return string(key, "");
  }

  std::string string(std::string_view key, std::string_view fallback) {
    if (!has(key)) return std::string(fallback);
    auto v = table_[key].value<std::string>();
    if (!v) error(key, "expected a string");
    return *v;
  }

  // An unsigned number no larger than `max`.
  unsigned uint(std::string_view key, unsigned fallback, unsigned max) {
    if (!has(key)) return fallback;
    auto v = table_[key].value<int64_t>();
    if (!v || table_[key].type() != toml::node_type::integer) error(key, "expected an integer");
    if (*v < 0 || static_cast<uint64_t>(*v) > max) {
      error(key, fmt::format("{} is out of range 0..{}", *v, max));
    }
    return static_cast<unsigned>(*v);
  }

  // A byte count: a string with a unit ("256M", "4G", "0x1000") or a plain integer of bytes.
  Bytes size(std::string_view key, Bytes fallback) {
    if (!has(key)) return fallback;
    const toml::node& n = *table_.get(key);
    if (n.is_integer()) {
      int64_t v = *n.value<int64_t>();
      if (v < 0) error(key, "a size cannot be negative");
      return Bytes(static_cast<uint64_t>(v));
    }
    if (!n.is_string()) {
      error(key, "expected a size such as \"256M\" or an integer number of bytes");
    }
    try {
      return parse_bytes(*n.value<std::string>());
    } catch (const ParseError& e) {
      error(key, e.what());
    }
  }

  // A 64-bit number: an integer, or a string for values above 2^63 ("0x..." or decimal); with
  // `units`, strings may also carry a size unit ("256G").
  uint64_t u64(std::string_view key, uint64_t fallback, bool units) {
    if (!has(key)) return fallback;
    const toml::node& n = *table_.get(key);
    if (n.is_integer()) {
      int64_t v = *n.value<int64_t>();
      if (v < 0) error(key, "cannot be negative");
      return static_cast<uint64_t>(v);
    }
    if (!n.is_string()) error(key, "expected an integer or a \"0x...\" string");
    std::string text = *n.value<std::string>();
    if (units) {
      try {
        return parse_bytes(text).value();
      } catch (const ParseError& e) {
        error(key, e.what());
      }
    }
    std::string_view s = text;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      error(key, fmt::format("'{}' is not a number (decimal or 0x hexadecimal)", text));
    }
    return v;
  }

  bool boolean(std::string_view key, bool fallback) {
    if (!has(key)) return fallback;
    auto v = table_[key].value<bool>();
    if (!v || !table_[key].is_boolean()) error(key, "expected true or false");
    return *v;
  }

  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const toml::array* arr = table_[key].as_array();
    if (arr == nullptr) error(key, R"(expected an array of strings, e.g. ["hb0", "hb1"])");
    for (const toml::node& n : *arr) {
      auto s = n.value<std::string>();
      if (!s || !n.is_string()) error(key, "expected an array of strings");
      out.push_back(*s);
    }
    return out;
  }

  // An array of sizes, each as size() reads one.
  std::vector<Bytes> sizes(std::string_view key) {
    std::vector<Bytes> out;
    if (!has(key)) return out;
    const toml::array* arr = table_[key].as_array();
    if (arr == nullptr) error(key, R"(expected an array of sizes, e.g. ["256M", "1G"])");
    for (const toml::node& n : *arr) {
      if (n.is_integer() && *n.value<int64_t>() >= 0) {
        out.emplace_back(static_cast<uint64_t>(*n.value<int64_t>()));
        continue;
      }
      if (!n.is_string()) error(key, "expected an array of sizes such as \"256M\"");
      try {
        out.push_back(parse_bytes(*n.value<std::string>()));
      } catch (const ParseError& e) {
        error(key, e.what());
      }
    }
    return out;
  }

  // A PCIe link speed: "32GT/s" (or "32"), or a number of GT/s (32, 2.5).
  std::optional<LinkSpeed> link_speed(std::string_view key) {
    if (!has(key)) return std::nullopt;
    const toml::node& n = *table_.get(key);
    std::optional<LinkSpeed> s;
    if (n.is_string()) {
      s = parse_link_speed(*n.value<std::string>());
    } else if (n.is_integer() || n.is_floating_point()) {
      s = link_speed_of(*n.value<double>());
    } else {
      error(key, "expected a link speed such as \"32GT/s\"");
    }
    if (!s) error(key, "not a PCIe link speed (2.5GT/s, 5GT/s, 8GT/s, 16GT/s, 32GT/s, 64GT/s)");
    return s;
  }

  // Rejects every key that was not read.
  void finish() const {
    for (const auto& [k, v] : table_) {
      if (!used_.contains(std::string(k.str()))) {
        throw ParseError(fmt::format("{}: unknown key '{}'", where(), k.str()));
      }
    }
  }

 private:
  const toml::table& table_;
  std::string kind_;
  size_t index_;
  std::string_view origin_;
  std::set<std::string, std::less<>> used_;
};

// `link_width` (lanes; validated later) and `link_speed` of a port or device.
LinkCaps parse_link(Element& e) {
  LinkCaps c;
  if (e.has("link_width")) c.width = e.uint("link_width", 0, 255);
  c.speed = e.link_speed("link_speed");
  return c;
}

WindowRestrictions parse_restrictions(Element& e) {
  if (!e.has("restrictions")) return WindowRestrictions{};
  WindowRestrictions r{.type2 = false,
                       .type3 = false,
                       .volatile_ = false,
                       .persistent = false,
                       .fixed_config = false};
  for (const std::string& s : e.strings("restrictions")) {
    if (s == "type2") {
      r.type2 = true;
    } else if (s == "type3") {
      r.type3 = true;
    } else if (s == "volatile") {
      r.volatile_ = true;
    } else if (s == "persistent") {
      r.persistent = true;
    } else if (s == "fixed") {
      r.fixed_config = true;
    } else {
      e.error("restrictions",
              fmt::format(
                  "unknown restriction '{}' (use type2, type3, volatile, persistent, fixed)", s));
    }
  }
  return r;
}

WindowSpec parse_window(Element& e) {
  WindowSpec w;
  w.id = e.required_string("id");
  if (e.has("base")) w.base = e.u64("base", 0, true);
  if (!e.has("size")) throw ParseError(fmt::format("{}: missing required key 'size'", e.where()));
  w.size = e.size("size", Bytes(0));
  w.targets = e.strings("targets");
  w.granularity = e.size("granularity", Bytes(256));
  w.restrictions = parse_restrictions(e);
  return w;
}

HostBridgeSpec parse_host_bridge(Element& e) {
  HostBridgeSpec hb;
  hb.id = e.required_string("id");
  if (!e.has("bus_nr")) {
    throw ParseError(fmt::format("{}: missing required key 'bus_nr'", e.where()));
  }
  hb.bus_nr = e.uint("bus_nr", 0, 255);
  hb.uid = e.uint("uid", hb.bus_nr, std::numeric_limits<unsigned>::max());
  return hb;
}

// Ports without an explicit number take their position among their parent's ports: `seen`
// counts the ports read so far per parent (a map, so that reading stays near-linear).
using PortsPerParent = std::map<std::string, unsigned, std::less<>>;

// The fields root ports and switch downstream ports share: port number (by default the next
// free one below `parent`), chassis, slot and link capabilities.
template <typename PortSpec>
void parse_port_fields(Element& e, PortSpec& port, PortsPerParent& seen,
                       const std::string& parent) {
  port.port_number = e.uint("port", seen[parent]++, 255);
  port.chassis = e.uint("chassis", 0, 255);
  port.slot = e.uint("slot", 0, 65535);
  port.link = parse_link(e);
}

RootPortSpec parse_root_port(Element& e, PortsPerParent& seen) {
  RootPortSpec rp;
  rp.id = e.required_string("id");
  rp.host_bridge = e.required_string("host_bridge");
  parse_port_fields(e, rp, seen, rp.host_bridge);
  return rp;
}

SwitchSpec parse_switch(Element& e) {
  SwitchSpec s;
  s.id = e.required_string("id");
  s.parent = e.required_string("parent");
  s.mailbox_cci = e.boolean("mailbox_cci", false);
  s.link = parse_link(e);
  return s;
}

DownstreamPortSpec parse_downstream_port(Element& e, PortsPerParent& seen) {
  DownstreamPortSpec dp;
  dp.id = e.required_string("id");
  dp.switch_id = e.required_string("switch");
  parse_port_fields(e, dp, seen, dp.switch_id);
  return dp;
}

Type3Spec parse_type3(Element& e) {
  Type3Spec d;
  d.id = e.required_string("id");
  d.parent = e.required_string("parent");
  d.volatile_size = e.size("volatile", Bytes(0));
  d.persistent_size = e.size("persistent", Bytes(0));
  d.lsa_size = e.size("lsa", Bytes(0));
  d.partitionable = e.boolean("partitionable", true);
  d.serial = e.u64("serial", 0, false);
  d.volatile_backing = {e.string("volatile_object", ""), e.string("volatile_path", "")};
  d.persistent_backing = {e.string("persistent_object", ""), e.string("persistent_path", "")};
  d.lsa_backing = {e.string("lsa_object", ""), e.string("lsa_path", "")};
  d.dc_regions = e.sizes("dc_regions");
  d.dc_block_size = e.size("dc_block_size", d.dc_block_size);
  d.link = parse_link(e);
  d.shared = e.boolean("shared", false);
  d.snoop_filter =
      e.uint("snoop_filter", Type3Spec::kDefaultSnoopFilter, Type3Spec::kMaxSnoopFilter);
  if (d.snoop_filter == 0) e.error("snoop_filter", "must be at least 1");
  return d;
}

Type2Spec parse_type2(Element& e) {
  Type2Spec d;
  d.id = e.required_string("id");
  d.parent = e.required_string("parent");
  d.hdm_size = e.size("hdm", Bytes(0));
  d.cache_size = e.size("cache", Bytes(0));
  d.serial = e.u64("serial", 0, false);
  d.link = parse_link(e);
  return d;
}

PoolHostSpec parse_host(Element& e) {
  PoolHostSpec h;
  h.id = e.required_string("id");
  h.vppbs = e.uint("vppbs", h.vppbs, 256);  // vPPB numbers are 8-bit (CXL 3.1 §7.6.7.2)
  return h;
}

MldSpec parse_mld(Element& e) {
  MldSpec m;
  m.id = e.required_string("id");
  m.lds = e.uint("lds", m.lds, 16);  // an MLD has at most 16 LDs (CXL 3.1 §2.4)
  m.ld_size = e.size("ld_size", Bytes(0));
  m.shared = e.boolean("shared", false);
  return m;
}

DcdSpec parse_dcd(Element& e) {
  DcdSpec d;
  d.id = e.required_string("id");
  d.dc_regions = e.sizes("dc_regions");
  d.dc_block_size = e.size("dc_block_size", d.dc_block_size);
  d.shared = e.boolean("shared", false);
  return d;
}

// Calls `fn(Element&)` for each table of the array `key` ([[key]] in the file).
template <typename Fn>
void for_each_element(const toml::table& root, std::string_view key, std::string_view origin,
                      Fn fn) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    throw ParseError(fmt::format("{}:{}: '{}' must be an array of tables: write [[{}]], not [{}]",
                                 origin, node->source().begin.line, key, key, key));
  }
  size_t i = 0;
  for (const toml::node& n : *arr) {
    const toml::table* t = n.as_table();
    if (t == nullptr) {
      throw ParseError(fmt::format("{}:{}: every '{}' entry must be a table ([[{}]])", origin,
                                   n.source().begin.line, key, key));
    }
    Element e(*t, key, i++, origin);
    fn(e);
    e.finish();
  }
}

// TOML basic string with escapes.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string link_keys(const LinkCaps& c) {
  std::string out;
  if (c.width) out += fmt::format("link_width = {}\n", *c.width);
  if (c.speed) out += fmt::format("link_speed = {}\n", quote(format_link_speed(*c.speed)));
  return out;
}

std::string quote_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quote(v[i]);
  return out + "]";
}

std::string u64_value(uint64_t v) {
  if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return fmt::format("{}", v);
  return fmt::format("\"0x{:x}\"", v);
}

std::string size_value(Bytes b) { return quote(format_qemu_size(b)); }

std::vector<std::string> restriction_names(const WindowRestrictions& r) {
  std::vector<std::string> out;
  if (r.type2) out.emplace_back("type2");
  if (r.type3) out.emplace_back("type3");
  if (r.volatile_) out.emplace_back("volatile");
  if (r.persistent) out.emplace_back("persistent");
  if (r.fixed_config) out.emplace_back("fixed");
  return out;
}

void emit_backing(std::string& out, std::string_view kind, const BackingSpec& b) {
  if (!b.object_id.empty()) out += fmt::format("{}_object = {}\n", kind, quote(b.object_id));
  if (!b.path.empty()) out += fmt::format("{}_path = {}\n", kind, quote(b.path));
}

}  // namespace

Topology parse_topology_toml(std::string_view text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw ParseError(fmt::format("{}:{}:{}: TOML syntax error: {}", origin, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  for (const auto& [k, v] : root) {
    bool known = false;
    for (auto key : kTopLevelKeys) known = known || key == k.str();
    if (!known) {
      throw ParseError(fmt::format(
          "{}:{}: unknown top-level key '{}' (expected one of: version, name, hdm_decoders, "
          "[[window]], [[host_bridge]], [[root_port]], [[switch]], "
          "[[downstream_port]], [[type3]], [[type2]], [[host]], [[mld]], [[dcd]])",
          origin, v.source().begin.line, k.str()));
    }
  }
  if (const toml::node* v = root.get("version")) {
    auto n = v->value<int64_t>();
    if (!v->is_integer() || *n != kTopologyTomlVersion) {
      throw ParseError(
          fmt::format("{}:{}: unsupported format version (this cxlsim reads version {})", origin,
                      v->source().begin.line, kTopologyTomlVersion));
    }
  }
  Topology t;
  if (const toml::node* v = root.get("name")) {
    if (!v->is_string()) {
      throw ParseError(
          fmt::format("{}:{}: 'name' must be a string", origin, v->source().begin.line));
    }
    t.name = *v->value<std::string>();
  }
  if (const toml::node* v = root.get("hdm_decoders")) {
    const auto n = v->value<int64_t>();
    if (!v->is_integer() || *n < 1 || *n > 32) {
      throw ParseError(fmt::format("{}:{}: 'hdm_decoders' must be an integer from 1 to 32", origin,
                                   v->source().begin.line));
    }
    t.hdm_decoders = static_cast<unsigned>(*n);
  }
  for_each_element(root, "window", origin,
                   [&](Element& e) { t.windows.push_back(parse_window(e)); });
  for_each_element(root, "host_bridge", origin,
                   [&](Element& e) { t.host_bridges.push_back(parse_host_bridge(e)); });
  PortsPerParent root_ports_seen, downstream_ports_seen;
  for_each_element(root, "root_port", origin, [&](Element& e) {
    t.root_ports.push_back(parse_root_port(e, root_ports_seen));
  });
  for_each_element(root, "switch", origin,
                   [&](Element& e) { t.switches.push_back(parse_switch(e)); });
  for_each_element(root, "downstream_port", origin, [&](Element& e) {
    t.downstream_ports.push_back(parse_downstream_port(e, downstream_ports_seen));
  });
  for_each_element(root, "type3", origin, [&](Element& e) { t.type3.push_back(parse_type3(e)); });
  for_each_element(root, "type2", origin, [&](Element& e) { t.type2.push_back(parse_type2(e)); });
  for_each_element(root, "host", origin, [&](Element& e) { t.hosts.push_back(parse_host(e)); });
  for_each_element(root, "mld", origin, [&](Element& e) { t.mlds.push_back(parse_mld(e)); });
  for_each_element(root, "dcd", origin, [&](Element& e) { t.dcds.push_back(parse_dcd(e)); });
  return t;
}

namespace {

// Writes the keys schema::topology_elements visits as TOML text (sizes as QEMU size strings,
// only what is set for optional keys).
class TomlWriter {
 public:
  explicit TomlWriter(std::string& out) : out_(out) {}
  void element(std::string_view kind) { out_ += fmt::format("\n[[{}]]\n", kind); }
  void text(std::string_view key, const std::string& v) { line(key, quote(v)); }
  void texts(std::string_view key, const std::vector<std::string>& v) { line(key, quote_list(v)); }
  void number(std::string_view key, unsigned v) { line(key, fmt::format("{}", v)); }
  void serial(std::string_view key, uint64_t v) { line(key, u64_value(v)); }
  void flag(std::string_view key, bool v, bool dflt) {
    if (v != dflt) line(key, v ? "true" : "false");
  }
  void size(std::string_view key, Bytes v) { line(key, size_value(v)); }
  void address(std::string_view key, const std::optional<uint64_t>& v) {
    if (v) line(key, fmt::format("\"0x{:x}\"", *v));
  }
  void restrictions(std::string_view key, const WindowRestrictions& r) {
    line(key, quote_list(restriction_names(r)));
  }
  void backing(std::string_view kind, const BackingSpec& b) { emit_backing(out_, kind, b); }
  void dc(const std::vector<Bytes>& regions, Bytes block_size) {
    if (regions.empty()) return;
    std::vector<std::string> sizes;
    sizes.reserve(regions.size());
    for (Bytes b : regions) sizes.push_back(format_qemu_size(b));
    line("dc_regions", quote_list(sizes));
    size("dc_block_size", block_size);
  }
  void link(const LinkCaps& c) { out_ += link_keys(c); }
  void port_link(const std::string& /*port*/, const LinkCaps& c) { link(c); }

 private:
  void line(std::string_view key, const std::string& value) {
    out_ += fmt::format("{} = {}\n", key, value);
  }
  std::string& out_;
};

}  // namespace

std::string to_toml(const Topology& t) {
  std::string out = fmt::format("# cxlsim topology (docs/topology_format.md)\nversion = {}\n",
                                kTopologyTomlVersion);
  if (!t.name.empty()) out += fmt::format("name = {}\n", quote(t.name));
  if (t.hdm_decoders) out += fmt::format("hdm_decoders = {}\n", *t.hdm_decoders);
  TomlWriter w(out);
  schema::topology_elements(w, t);
  return out;
}

}  // namespace cxlsim
