#include "fabric/qemu_cmdline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

// ---- Splitting the text into words, as a POSIX shell would for these command lines ----

std::vector<std::string> shell_words(std::string_view text, std::string_view origin) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!in_word && c == '#') {  // a comment, as in the shell: to the end of the line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r')) {  // continuation
        i += text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n' ? 2 : 1;
        continue;
      }
      if (i + 1 < text.size()) {
        cur += text[++i];
        in_word = true;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t end = text.find(c, i + 1);
      if (end == std::string_view::npos) {
        throw ParseError(
            fmt::format("{}: unterminated {} quote", origin, c == '\'' ? "single" : "double"));
      }
      cur.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    cur += c;
    in_word = true;
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

bool is_program(std::string_view w) {
  size_t slash = w.rfind('/');
  std::string_view base = slash == std::string_view::npos ? w : w.substr(slash + 1);
  return base.starts_with("qemu-") || base == "sudo";
}

bool is_placeholder(std::string_view w) { return w == "..." || w == "\u2026"; }

// QEMU options that take no argument (qemu-options.hx); every other option takes one.
bool takes_no_argument(std::string_view opt) {
  static const std::set<std::string_view> kFlags = {
      "nographic",  "enable-kvm",  "snapshot",        "S",           "s",
      "no-reboot",  "no-shutdown", "daemonize",       "full-screen", "no-acpi",
      "no-hpet",    "nodefaults",  "no-user-config",  "no-graphic",  "no-fd-bootchk",
      "win2k-hack", "no-quit",     "only-migratable", "version",     "help",
      "preconfig",  "old-param",   "semihosting",     "alt-grab",    "ctrl-grab",
      "no-frame",   "curses",      "portrait",        "xen-attach",  "watchdog-action-none"};
  return kFlags.contains(opt);
}

struct Option {
  std::string name;   // without leading dashes
  std::string value;  // "" for flags
  [[nodiscard]] std::string text() const {
    return value.empty() ? "-" + name : fmt::format("-{} {}", name, value);
  }
};

std::vector<Option> options_of(const std::vector<std::string>& words, std::string_view origin) {
  std::vector<Option> out;
  size_t i = 0;
  if (!words.empty() && is_program(words[0])) {
    ++i;
    while (i < words.size() && !words[i].starts_with("-") && !is_placeholder(words[i])) {
      ++i;  // sudo qemu-...
    }
  }
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (is_placeholder(w) || is_program(w)) continue;
    if (!w.starts_with("-") || w == "-") {
      throw ParseError(fmt::format(
          "{}: unexpected word '{}' (expected a QEMU option such as -device)", origin, w));
    }
    Option o{w.substr(w.starts_with("--") ? 2 : 1), ""};
    if (!takes_no_argument(o.name) && i + 1 < words.size() && !is_placeholder(words[i + 1]) &&
        !(words[i + 1].starts_with("-") && words[i + 1].size() > 1)) {
      o.value = words[++i];
    }
    out.push_back(std::move(o));
  }
  return out;
}

// ---- QEMU "driver,key=value,key=value" option values (",," is a literal comma) ----

struct KeyValues {
  std::string head;  // a leading element without '=' (driver, machine or object type)
  std::vector<std::pair<std::string, std::string>> pairs;

  [[nodiscard]] std::optional<std::string> get(std::string_view key) const {
    std::optional<std::string> v;
    for (const auto& [k, val] : pairs) {
      if (k == key) v = val;
    }
    return v;
  }
};

KeyValues split_key_values(std::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') {
      if (i + 1 < s.size() && s[i + 1] == ',') {
        cur += ',';
        ++i;
        continue;
      }
      parts.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += s[i];
  }
  parts.push_back(std::move(cur));
  KeyValues kv;
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    if (eq == std::string::npos) {
      if (i == 0) {
        kv.head = parts[i];
      } else if (!parts[i].empty()) {
        kv.pairs.emplace_back(parts[i], "on");  // "share" means share=on
      }
      continue;
    }
    kv.pairs.emplace_back(parts[i].substr(0, eq), parts[i].substr(eq + 1));
  }
  return kv;
}

// ---- Import ----

struct Backend {
  Bytes size;
  std::string path;
};

class Importer {
 public:
  explicit Importer(std::string_view origin) : origin_(origin) {}

  Topology run(const std::vector<Option>& options) {
    for (const Option& o : options) {
      if (o.name == "object") object(o);
    }
    for (const Option& o : options) {
      if (o.name == "device") {
        device(o);
      } else if (o.name == "M" || o.name == "machine") {
        machine(o);
      } else if (o.name == "cxl-fixed-memory-window") {
        legacy_window(o);
      }
    }
    finish_windows();
    t_.hdm_decoders = 1;  // QEMU 7.2's host bridges, switches and cxl-type3 implement one
    return std::move(t_);
  }

 private:
  [[noreturn]] void fail(const Option& o, std::string_view what) const {
    throw ParseError(fmt::format("{}: {}: {}", origin_, o.text(), what));
  }

  [[nodiscard]] std::string required(const Option& o, const KeyValues& kv,
                                     std::string_view key) const {
    auto v = kv.get(key);
    if (!v || v->empty()) fail(o, fmt::format("missing {}=", key));
    return *v;
  }

  [[nodiscard]] Bytes size_of(const Option& o, std::string_view key,
                              const std::string& text) const {
    try {
      return parse_bytes(text);
    } catch (const ParseError& e) {
      fail(o, fmt::format("{}: {}", key, e.what()));
    }
  }

  [[nodiscard]] uint64_t number(const Option& o, std::string_view key, const std::string& text,
                                uint64_t max) const {
    std::string_view s = text;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
      fail(o, fmt::format("{}='{}' is not a number", key, text));
    }
    if (v > max) fail(o, fmt::format("{}={} is out of range 0..{}", key, text, max));
    return v;
  }

  [[nodiscard]] unsigned small(const Option& o, const KeyValues& kv, std::string_view key,
                               uint64_t max) const {
    auto v = kv.get(key);
    return v ? static_cast<unsigned>(number(o, key, *v, max)) : 0u;
  }

  void object(const Option& o) {
    KeyValues kv = split_key_values(o.value);
    std::string type = kv.head.empty() ? kv.get("qom-type").value_or("") : kv.head;
    if (type != "memory-backend-file" && type != "memory-backend-ram") return;
    std::string id = required(o, kv, "id");
    Backend b{size_of(o, "size", required(o, kv, "size")), kv.get("mem-path").value_or("")};
    if (type == "memory-backend-file" && b.path.empty()) fail(o, "missing mem-path=");
    if (!backends_.emplace(id, b).second) {
      fail(o, fmt::format("object id '{}' is defined twice", id));
    }
  }

  BackingSpec backing(const Option& o, std::string_view key, const std::string& id,
                      Bytes& size) const {
    auto it = backends_.find(id);
    if (it == backends_.end()) {
      fail(o,
           fmt::format("{}='{}' does not name a memory-backend-file or memory-backend-ram object",
                       key, id));
    }
    size = it->second.size;
    return BackingSpec{id, it->second.path};
  }

  void device(const Option& o) {
    if (o.value.starts_with("{")) {
      fail(o, "JSON option syntax is not supported; use driver,key=value,...");
    }
    KeyValues kv = split_key_values(o.value);
    std::string driver = kv.head.empty() ? kv.get("driver").value_or("") : kv.head;
    if (driver == "pxb-cxl") {
      HostBridgeSpec hb{required(o, kv, "id"), 0, small(o, kv, "bus_nr", 255)};
      hb.uid = hb.bus_nr;
      t_.host_bridges.push_back(hb);
    } else if (driver == "cxl-rp") {
      t_.root_ports.push_back({required(o, kv, "id"), required(o, kv, "bus"),
                               small(o, kv, "port", 255), small(o, kv, "chassis", 255),
                               small(o, kv, "slot", 65535)});
    } else if (driver == "cxl-upstream") {
      t_.switches.push_back({required(o, kv, "id"), required(o, kv, "bus")});
    } else if (driver == "cxl-downstream") {
      t_.downstream_ports.push_back({required(o, kv, "id"), required(o, kv, "bus"),
                                     small(o, kv, "port", 255), small(o, kv, "chassis", 255),
                                     small(o, kv, "slot", 65535)});
    } else if (driver == "cxl-type3") {
      type3(o, kv);
    } else if (driver == "cxl-switch-mailbox-cci") {
      // QEMU links target= when it creates the device: the switch comes first.
      const std::string target = required(o, kv, "target");
      auto s = std::find_if(t_.switches.begin(), t_.switches.end(),
                            [&](const SwitchSpec& w) { return w.id == target; });
      if (s == t_.switches.end()) {
        fail(o, fmt::format("target='{}' names no cxl-upstream defined before it", target));
      }
      s->mailbox_cci = true;
    } else if (driver.starts_with("cxl-")) {
      fail(o,
           fmt::format("device '{}' is not supported (cxlsim reads pxb-cxl, cxl-rp, cxl-upstream, "
                       "cxl-downstream, cxl-switch-mailbox-cci, cxl-type3)",
                       driver));
    }
  }

  void type3(const Option& o, const KeyValues& kv) {
    Type3Spec d;
    d.partitionable = false;  // QEMU 7.2: volatile-only and persistent-only capacity
    d.id = kv.get("id").value_or(fmt::format("cxl-type3-{}", t_.type3.size()));
    d.parent = required(o, kv, "bus");
    auto memdev = kv.get("memdev");
    auto pmem = kv.get("persistent-memdev");
    if (memdev && pmem) fail(o, "memdev= and persistent-memdev= cannot be used together");
    if (memdev) d.persistent_backing = backing(o, "memdev", *memdev, d.persistent_size);
    if (pmem) d.persistent_backing = backing(o, "persistent-memdev", *pmem, d.persistent_size);
    if (auto v = kv.get("volatile-memdev")) {
      d.volatile_backing = backing(o, "volatile-memdev", *v, d.volatile_size);
    }
    if (auto v = kv.get("volatile-dc-memdev")) dc_regions(o, kv, *v, d);
    if (auto v = kv.get("lsa")) d.lsa_backing = backing(o, "lsa", *v, d.lsa_size);
    if (!memdev && !pmem && !kv.get("volatile-memdev") && d.dc_regions.empty()) {
      fail(o,
           "no memory: give memdev=, persistent-memdev=, volatile-memdev= or volatile-dc-memdev=");
    }
    if (auto v = kv.get("sn")) d.serial = number(o, "sn", *v, UINT64_MAX);
    t_.type3.push_back(std::move(d));
  }

  // QEMU 10's volatile-dc-memdev=M,num-dc-regions=N: M's size split evenly over N regions
  // (hw/mem/cxl_type3.c), each a multiple of 256 MiB (CXL 3.1 §8.2.9.9.9.1).
  void dc_regions(const Option& o, const KeyValues& kv, const std::string& id, Type3Spec& d) {
    Bytes total(0);
    BackingSpec unused = backing(o, "volatile-dc-memdev", id, total);
    (void)unused;
    auto n = kv.get("num-dc-regions");
    const uint64_t count = n ? number(o, "num-dc-regions", *n, 8) : 0;
    if (count == 0) fail(o, "volatile-dc-memdev= needs num-dc-regions=1..8");
    const Bytes region(total.value() / count);
    if (region.value() * count != total.value() || region.value() % MiB(256).value() != 0) {
      fail(o, fmt::format("volatile-dc-memdev '{}' ({}) does not split into {} regions of a "
                          "multiple of 256 MiB",
                          id, format_bytes(total), count));
    }
    d.dc_regions.assign(count, region);
  }

  struct PendingWindow {
    std::map<unsigned, std::string> targets;
    std::optional<Bytes> size;
    std::optional<Bytes> granularity;
    Option where;
  };

  void machine(const Option& o) {
    KeyValues kv = split_key_values(o.value);
    for (const auto& [key, value] : kv.pairs) {
      if (key == "cxl") {
        if (value != "on" && value != "off" && value != "true" && value != "false") {
          fail(o, "cxl= must be on or off");
        }
        continue;
      }
      if (!key.starts_with("cxl-fmw.")) continue;  // type=, accel=, gic-version=, ...
      // cxl-fmw.N.<field>
      std::string_view rest = std::string_view(key).substr(8);
      size_t dot = rest.find('.');
      if (dot == std::string_view::npos) fail(o, fmt::format("'{}' is not cxl-fmw.N.<field>", key));
      unsigned n = static_cast<unsigned>(number(o, key, std::string(rest.substr(0, dot)), 255));
      window_field(o, windows_[n], key, rest.substr(dot + 1), value);
    }
  }

  void window_field(const Option& o, PendingWindow& w, const std::string& key,
                    std::string_view field, const std::string& value) {
    w.where = o;
    if (field.starts_with("targets.")) {
      unsigned m = static_cast<unsigned>(number(o, key, std::string(field.substr(8)), 255));
      w.targets[m] = value;
    } else if (field == "size") {
      w.size = size_of(o, key, value);
    } else if (field == "interleave-granularity") {
      w.granularity = size_of(o, key, value);
    } else {
      fail(o, fmt::format("unknown window field '{}'", key));
    }
  }

  // QEMU 7.0: -cxl-fixed-memory-window targets.0=cxl.1,size=4G[,interleave-granularity=8k]
  void legacy_window(const Option& o) {
    KeyValues kv = split_key_values(o.value);
    unsigned n = windows_.empty() ? 0 : windows_.rbegin()->first + 1;
    PendingWindow& w = windows_[n];
    if (!kv.head.empty()) fail(o, fmt::format("unexpected '{}'", kv.head));
    for (const auto& [key, value] : kv.pairs) {
      if (key == "targets") {
        w.targets[static_cast<unsigned>(w.targets.size())] = value;
      } else {
        window_field(o, w, key, key, value);
      }
    }
  }

  void finish_windows() {
    unsigned expect = 0;
    for (auto& [n, w] : windows_) {
      if (n != expect++) {
        fail(w.where, fmt::format("cxl-fmw.{} is given but cxl-fmw.{} is not", n, expect - 1));
      }
      WindowSpec spec;
      spec.id = fmt::format("cfmw{}", n);
      if (!w.size) fail(w.where, fmt::format("cxl-fmw.{}.size is missing", n));
      spec.size = *w.size;
      spec.granularity = w.granularity.value_or(Bytes(256));  // QEMU's default
      unsigned m = 0;
      for (const auto& [idx, target] : w.targets) {
        if (idx != m++) fail(w.where, fmt::format("cxl-fmw.{}.targets.{} is missing", n, m - 1));
        spec.targets.push_back(target);
      }
      if (spec.targets.empty()) fail(w.where, fmt::format("cxl-fmw.{} has no targets", n));
      // QEMU 7.2's CFMWS advertises 0x0f: Type 2, Type 3, volatile and persistent.
      spec.restrictions = WindowRestrictions{true, true, true, true, false};
      t_.windows.push_back(std::move(spec));
    }
  }

  std::string_view origin_;
  Topology t_;
  std::map<std::string, Backend> backends_;
  std::map<unsigned, PendingWindow> windows_;
};

// ---- Export ----

class Exporter {
 public:
  Exporter(const Topology& t, const QemuExportOptions& opt) : t_(t), opt_(opt) {}

  std::vector<std::string> run() {
    validate_or_throw(t_);
    check_ids();
    for (const auto& d : t_.type2) {
      if (!opt_.accel_sockets.contains(d.id)) {
        throw ValidationError(fmt::format(
            "type2 '{}': QEMU 7.2 has no CXL Type 2 device model (`cxlsim vm run` boots it on "
            "cxlsim's own QEMU build with the cxlsim-accel device, docs/accel.md)",
            d.id));
      }
    }
    machine();
    for (const auto& d : t_.type3) objects(d);
    for (const auto& hb : t_.host_bridges) {
      add("-device", fmt::format("pxb-cxl,bus_nr={},bus=pcie.0,id={}", hb.bus_nr, hb.id));
    }
    for (const auto& hb : t_.host_bridges) {
      for (const auto& rp : t_.root_ports) {
        if (rp.host_bridge != hb.id) continue;
        auto [chassis, slot] = unique_slot(rp.chassis, rp.slot);
        add("-device", fmt::format("cxl-rp,port={},bus={},id={},chassis={},slot={}", rp.port_number,
                                   hb.id, rp.id, chassis, slot));
        below(rp.id, 0);
      }
    }
    return std::move(args_);
  }

 private:
  // QEMU's id_wellformed(): a letter, then letters, digits, '-', '.' or '_'.
  static bool qemu_id(std::string_view id) {
    if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
    for (char c : id) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        return false;
      }
    }
    return true;
  }

  void check_ids() const {
    auto check = [](const std::string& id, std::string_view kind) {
      if (!qemu_id(id)) {
        throw ValidationError(
            fmt::format("{} '{}': QEMU ids start with a letter and hold only letters, digits, "
                        "'-', '.' and '_'",
                        kind, id));
      }
    };
    for (const auto& e : t_.host_bridges) check(e.id, "host_bridge");
    for (const auto& e : t_.root_ports) check(e.id, "root_port");
    for (const auto& e : t_.switches) check(e.id, "switch");
    for (const auto& e : t_.downstream_ports) check(e.id, "downstream_port");
    for (const auto& e : t_.type2) check(e.id, "type2");
    for (const auto& e : t_.type3) {
      check(e.id, "type3");
      check(object_for(e.persistent_backing, e.id, "pmem"), "memory backend object");
      check(object_for(e.lsa_backing, e.id, "lsa"), "memory backend object");
    }
  }

  // QEMU option values escape ',' as ",,".
  static std::string escape_commas(std::string_view s) {
    std::string out;
    for (char c : s) out += c == ',' ? std::string(",,") : std::string(1, c);
    return out;
  }

  void add(std::string opt, std::string value) {
    args_.push_back(std::move(opt));
    args_.push_back(std::move(value));
  }

  void machine() {
    std::string m = "q35,cxl=on";
    for (size_t n = 0; n < t_.windows.size(); ++n) {
      const WindowSpec& w = t_.windows[n];
      for (size_t i = 0; i < w.targets.size(); ++i) {
        m += fmt::format(",cxl-fmw.{}.targets.{}={}", n, i, w.targets[i]);
      }
      m += fmt::format(",cxl-fmw.{}.size={},cxl-fmw.{}.interleave-granularity={}", n,
                       format_qemu_size(w.size), n, format_qemu_size(w.granularity));
    }
    add("-machine", m);
  }

  [[nodiscard]] std::string path_for(const BackingSpec& b, const std::string& device,
                                     std::string_view kind) const {
    if (!b.path.empty()) return escape_commas(b.path);
    return escape_commas(fmt::format("{}/{}-{}.raw", opt_.backing_dir, device, kind));
  }

  [[nodiscard]] std::string object_for(const BackingSpec& b, const std::string& device,
                                       std::string_view kind) const {
    return b.object_id.empty() ? fmt::format("{}-{}", device, kind) : b.object_id;
  }

  void objects(const Type3Spec& d) {
    const bool q10 = opt_.qemu == QemuTarget::v10_0;
    if (!d.dc_regions.empty() && !q10) {
      throw ValidationError(
          fmt::format("type3 '{}': QEMU 7.2 cannot model dynamic capacity ({} DC regions); "
                      "remove dc_regions or export for QEMU 10 (--qemu 10)",
                      d.id, d.dc_regions.size()));
    }
    if (d.volatile_size != Bytes(0) && !q10) {
      throw ValidationError(
          fmt::format("type3 '{}': QEMU 7.2 cannot model volatile capacity ({}); "
                      "volatile-memdev= needs QEMU 8.0 or later (--qemu 10)",
                      d.id, format_bytes(d.volatile_size)));
    }
    for (const auto& r : d.dc_regions) {
      // QEMU 10 splits volatile-dc-memdev evenly over num-dc-regions (hw/mem/cxl_type3.c).
      if (r != d.dc_regions.front()) {
        throw ValidationError(fmt::format(
            "type3 '{}': QEMU 10 gives every DC region the same size; regions differ ({} and {})",
            d.id, format_bytes(d.dc_regions.front()), format_bytes(r)));
      }
    }
    if (d.lsa_size == Bytes(0) && opt_.lsa_when_absent == Bytes(0)) {
      throw ValidationError(fmt::format("type3 '{}': QEMU 7.2 requires an LSA (set lsa)", d.id));
    }
    if (d.volatile_size != Bytes(0)) {
      backend(object_for(d.volatile_backing, d.id, "vmem"),
              path_for(d.volatile_backing, d.id, "vmem"), d.volatile_size);
    }
    if (d.persistent_size != Bytes(0) || !q10) {
      backend(object_for(d.persistent_backing, d.id, "pmem"),
              path_for(d.persistent_backing, d.id, "pmem"), d.persistent_size);
    }
    if (!d.dc_regions.empty()) {
      Bytes total(0);
      for (const auto& r : d.dc_regions) total = total + r;
      backend(fmt::format("{}-dc", d.id), path_for(BackingSpec{}, d.id, "dc"), total);
    }
    Bytes lsa = d.lsa_size == Bytes(0) ? opt_.lsa_when_absent : d.lsa_size;
    backend(object_for(d.lsa_backing, d.id, "lsa"), path_for(d.lsa_backing, d.id, "lsa"), lsa);
  }

  void backend(const std::string& id, const std::string& path, Bytes size) {
    add("-object", fmt::format("memory-backend-file,id={},share=on,mem-path={},size={}", id, path,
                               format_qemu_size(size)));
  }

  // The cxl-type3 device: QEMU 7.2's memdev= (persistent only) or QEMU 10's persistent-memdev=,
  // volatile-memdev= and volatile-dc-memdev= with num-dc-regions=.
  [[nodiscard]] std::string type3_device(const Type3Spec& d, const std::string& port) const {
    std::string v = fmt::format("cxl-type3,bus={}", port);
    if (opt_.qemu == QemuTarget::v7_2) {
      v += fmt::format(",memdev={}", object_for(d.persistent_backing, d.id, "pmem"));
    } else {
      if (d.persistent_size != Bytes(0)) {
        v += fmt::format(",persistent-memdev={}", object_for(d.persistent_backing, d.id, "pmem"));
      }
      if (d.volatile_size != Bytes(0)) {
        v += fmt::format(",volatile-memdev={}", object_for(d.volatile_backing, d.id, "vmem"));
      }
      if (!d.dc_regions.empty()) {
        v += fmt::format(",volatile-dc-memdev={}-dc,num-dc-regions={}", d.id, d.dc_regions.size());
      }
    }
    v += fmt::format(",lsa={},id={}", object_for(d.lsa_backing, d.id, "lsa"), d.id);
    if (d.serial != 0) v += fmt::format(",sn=0x{:x}", d.serial);
    return v;
  }

  // QEMU 7.2 rejects two ports with one (chassis, slot); later duplicates move to a free slot.
  std::pair<unsigned, unsigned> unique_slot(unsigned chassis, unsigned slot) {
    while (!used_slots_.insert({chassis, slot}).second) slot = slot + 1 > 65535 ? 0 : slot + 1;
    return {chassis, slot};
  }

  // Emits what is below `port`: a switch with its downstream ports (recursively) or a device.
  void below(const std::string& port, int depth) {
    if (depth > 64) return;  // a cycle; validate() reports it
    for (const auto& s : t_.switches) {
      if (s.parent != port) continue;
      if (!s.mailbox_cci) {
        add("-device", fmt::format("cxl-upstream,bus={},id={}", port, s.id));
      } else {
        if (opt_.qemu != QemuTarget::v10_0) {
          throw ValidationError(fmt::format(
              "switch '{}': QEMU 7.2 has no switch mailbox CCI (cxl-switch-mailbox-cci); remove "
              "mailbox_cci or export for QEMU 10 (--qemu 10)",
              s.id));
        }
        // The CCI is function 1 of the upstream port's device (QEMU 10
        // docs/system/devices/cxl.rst).
        add("-device",
            fmt::format("cxl-upstream,bus={},id={},addr=0.0,multifunction=on", port, s.id));
        add("-device", fmt::format("cxl-switch-mailbox-cci,bus={},addr=0.1,target={},id={}-cci",
                                   port, s.id, s.id));
      }
      for (const auto& dp : t_.downstream_ports) {
        if (dp.switch_id != s.id) continue;
        auto [chassis, slot] = unique_slot(dp.chassis, dp.slot);
        add("-device", fmt::format("cxl-downstream,port={},bus={},id={},chassis={},slot={}",
                                   dp.port_number, s.id, dp.id, chassis, slot));
        below(dp.id, depth + 1);
      }
    }
    for (const auto& d : t_.type3) {
      if (d.parent != port) continue;
      add("-device", type3_device(d, port));
    }
    for (const auto& d : t_.type2) {
      if (d.parent != port) continue;
      add("-device", fmt::format("cxlsim-accel,bus={},id={},socket={}", port, d.id,
                                 escape_commas(opt_.accel_sockets.at(d.id))));
    }
  }

  const Topology& t_;
  const QemuExportOptions& opt_;
  std::vector<std::string> args_;
  std::set<std::pair<unsigned, unsigned>> used_slots_;
};

std::string shell_quote(std::string_view w) {
  bool plain = !w.empty();
  for (char c : w) {
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                      std::string_view("_./,=:+-@%").find(c) != std::string_view::npos);
  }
  if (plain) return std::string(w);
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Topology parse_qemu_cmdline(std::string_view text, std::string_view origin) {
  return Importer(origin).run(options_of(shell_words(text, origin), origin));
}

bool looks_like_qemu_cmdline(std::string_view text) {
  // The first word that is not blank or in a '#' comment line.
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i < text.size() && text[i] == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    break;
  }
  size_t end = i;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
  std::string_view w = text.substr(i, end - i);
  return is_program(w) || (w.size() > 1 && w[0] == '-');
}

std::vector<std::string> to_qemu_args(const Topology& t, const QemuExportOptions& options) {
  return Exporter(t, options).run();
}

std::string format_qemu_command(const std::vector<std::string>& args, bool one_line,
                                std::string_view program) {
  std::string out = shell_quote(program);
  for (const auto& arg : args) {
    bool starts_option = arg.starts_with("-");
    out += (starts_option && !one_line) ? " \\\n  " : " ";
    out += shell_quote(arg);
  }
  return out;
}

}  // namespace cxlsim
