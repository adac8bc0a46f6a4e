#include "timing/profile.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "spec/error.h"
#include "timing/profiles_embedded.h"

namespace cxlsim::timing {
namespace {

// Typed access to one TOML table, naming the offending key in errors.
class Table {
 public:
  Table(const toml::table* t, std::string origin, std::string section)
      : t_(t), origin_(std::move(origin)), section_(std::move(section)) {}

  double num(const char* key, double dflt, bool required = false) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (n == nullptr) {
      if (required) fail(key, "is missing");
      return dflt;
    }
    if (auto v = n->value<double>()) {
      // Checked before any conversion: NaN, infinities and absurd values are refused.
      if (*v < 0) fail(key, "must not be negative");
      if (!(*v <= 1e15)) fail(key, "must be a finite number, at most 1e15");
      return *v;
    }
    fail(key, "must be a number");
    return dflt;
  }
  unsigned count(const char* key, unsigned dflt, bool required = false) const {
    const double v = num(key, dflt, required);
    if (!(v >= 1 && v <= 4294967295.0) || v != std::floor(v)) {
      fail(key, "must be a positive integer below 2^32");
    }
    return static_cast<unsigned>(v);
  }
  Duration ns(const char* key, Duration dflt, bool required = false) const {
    return Duration::ns(num(key, dflt.nanoseconds(), required));
  }
  std::string str(const char* key, std::string dflt) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (n == nullptr) return dflt;
    if (auto v = n->value<std::string>()) return *v;
    fail(key, "must be a string");
    return dflt;
  }
  bool flag(const char* key, bool dflt) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (n == nullptr) return dflt;
    if (const auto* v = n->as_boolean()) return v->get();
    fail(key, "must be true or false");
  }
  // A size: integer bytes or a string parse_bytes reads ("30M", "1920K", "0x100000").
  Bytes bytes(const char* key, bool required) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (n == nullptr) {
      if (required) fail(key, "is missing");
      return {};
    }
    if (auto v = n->value<int64_t>(); v && n->is_integer()) {
      if (*v < 0) fail(key, "must not be negative");
      return Bytes(static_cast<uint64_t>(*v));
    }
    if (auto s = n->value<std::string>()) {
      try {
        return parse_bytes(*s);
      } catch (const ParseError& e) {
        fail(key, e.what());
      }
    }
    fail(key, "must be a size (bytes, or a string such as \"30M\")");
  }
  [[nodiscard]] bool present() const { return t_ != nullptr; }
  [[noreturn]] void fail(const char* key, std::string_view what) const {
    throw ParseError(fmt::format("profile {}: [{}] {} {}", origin_, section_, key, what));
  }

 private:
  const toml::table* t_;
  std::string origin_, section_;
};

toml::table parse_toml(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& e) {
    throw ParseError(
        fmt::format("profile {}: {} (line {})", origin, e.description(), e.source().begin.line));
  }
}

std::string read_text(std::string_view name_or_path) {
  std::string_view text = builtin_profile_text(name_or_path);
  if (!text.empty()) return std::string(text);
  std::ifstream in{std::string(name_or_path)};
  if (!in) {
    throw ParseError(fmt::format(
        "unknown profile '{}': not a built-in profile and not a readable file", name_or_path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Table section(const toml::table& root, const char* name, std::string_view origin) {
  return {root[name].as_table(), std::string(origin), name};
}

void check_kind(const toml::table& root, std::string_view origin, std::string_view want) {
  std::string kind = section(root, "profile", origin).str("kind", "");
  if (kind != want) {
    throw ParseError(
        fmt::format("profile {}: [profile] kind is '{}', expected '{}'", origin, kind, want));
  }
}

}  // namespace

std::string_view builtin_profile_text(std::string_view name) {
  for (size_t i = 0; i < kEmbeddedProfileCount; ++i) {
    if (name == kEmbeddedProfiles[i].name) return kEmbeddedProfiles[i].text;
  }
  return {};
}

namespace {
std::vector<std::string> builtin_of_kind(std::string_view kind) {
  std::vector<std::string> out;
  for (size_t i = 0; i < kEmbeddedProfileCount; ++i) {
    auto root = parse_toml(kEmbeddedProfiles[i].text, kEmbeddedProfiles[i].name);
    if (section(root, "profile", "").str("kind", "") == kind) {
      out.emplace_back(kEmbeddedProfiles[i].name);
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> builtin_device_profiles() { return builtin_of_kind("device"); }
std::vector<std::string> builtin_host_profiles() { return builtin_of_kind("host"); }

DeviceProfile parse_device_profile(std::string_view toml_text, std::string_view origin) {
  auto root = parse_toml(toml_text, origin);
  check_kind(root, origin, "device");
  DeviceProfile p;
  Table meta = section(root, "profile", origin);
  p.name = meta.str("name", std::string(origin));
  p.description = meta.str("description", "");
  p.cxl = meta.str("attach", "cxl") == "cxl";

  if (p.cxl) {
    Table l = section(root, "link", origin);
    p.link.lanes = l.count("lanes", 16, true);
    p.link.gt_per_s = l.num("gt_per_s", 32, true);
    std::string enc = l.str("encoding", "128b/130b");
    if (enc == "128b/130b") {
      p.link.encoding = 128.0 / 130.0;
    } else if (enc == "8b/10b") {
      p.link.encoding = 0.8;
    } else if (enc == "flit") {
      p.link.encoding = 1.0;
    } else {
      l.fail("encoding", "must be 128b/130b, 8b/10b or flit");
    }
    try {
      p.link.flit.mode = parse_flit_mode(l.str("flit", "68B"));
    } catch (const ParseError&) {
      l.fail("flit", "must be 68B or 256B");
    }
    p.link.port_latency = l.ns("port_latency_ns", p.link.port_latency, true);
    p.link.propagation = l.ns("propagation_ns", p.link.propagation);
    p.link.slots.req = l.num("req_slots", p.link.slots.req);
    p.link.slots.drs_header = l.num("drs_header_slots", p.link.slots.drs_header);
    p.link.slots.rwd_header = l.num("rwd_header_slots", p.link.slots.rwd_header);
    p.link.slots.ndr = l.num("ndr_slots", p.link.slots.ndr);
  }
  Table c = section(root, "controller", origin);
  p.frontend_latency = c.ns("frontend_latency_ns", Duration(), true);
  p.backend_latency = c.ns("backend_latency_ns", Duration(), true);
  p.queue_depth = c.count("queue_depth", 64, true);
  p.in_order = c.str("responses", "any-order") == "in-order";
  const std::string credits = c.str("credits", "all");
  if (credits != "all" && credits != "reads") c.fail("credits", "must be all or reads");
  p.read_credits_only = credits == "reads";
  if (const double gbps = c.num("throughput_gbps", 0); gbps > 0) {
    p.throughput = Bandwidth::gb_per_second(gbps);
  }
  if (!p.in_order && c.str("responses", "any-order") != "any-order") {
    c.fail("responses", "must be in-order or any-order");
  }

  Table d = section(root, "dram", origin);
  DramConfig& m = p.dram;
  m.channels = d.count("channels", m.channels, true);
  m.ranks = d.count("ranks", m.ranks);
  m.banks = d.count("banks", m.banks);
  m.row_bytes = Bytes(d.count("row_bytes", static_cast<unsigned>(m.row_bytes.value())));
  m.interleave = Bytes(d.count("interleave_bytes", static_cast<unsigned>(m.interleave.value())));
  if (d.num("bank_interleave_bytes", 0) > 0) {
    m.bank_interleave = Bytes(d.count("bank_interleave_bytes", 64));
    if (m.bank_interleave.value() % 64 != 0 ||
        m.row_bytes.value() % m.bank_interleave.value() != 0) {
      d.fail("bank_interleave_bytes", "must be a multiple of 64 that divides row_bytes");
    }
  }
  m.mt_per_s = d.num("mt_per_s", m.mt_per_s, true);
  m.bus_bytes = d.count("bus_bytes", m.bus_bytes);
  m.tRCD = d.ns("tRCD_ns", m.tRCD);
  m.tCL = d.ns("tCL_ns", m.tCL);
  m.tRP = d.ns("tRP_ns", m.tRP);
  m.tRAS = d.ns("tRAS_ns", m.tRAS);
  m.tRTP = d.ns("tRTP_ns", m.tRTP);
  m.tWR = d.ns("tWR_ns", m.tWR);
  m.tWTR = d.ns("tWTR_ns", m.tWTR);
  m.tRTW = d.ns("tRTW_ns", m.tRTW);
  m.tCCD = d.ns("tCCD_ns", m.tCCD);
  m.tRFC = d.ns("tRFC_ns", m.tRFC);
  m.tREFI = d.ns("tREFI_ns", m.tREFI);
  m.tRFCsb = d.ns("tRFCsb_ns", m.tRFCsb);
  m.write_batch = d.count("write_batch", m.write_batch);
  m.powerdown_idle = d.ns("powerdown_idle_ns", m.powerdown_idle);
  m.tXP = d.ns("tXP_ns", m.tXP);
  std::string refresh = d.str("refresh", "same-bank");
  if (refresh == "same-bank") {
    m.same_bank_refresh = true;
  } else if (refresh == "all-bank") {
    m.same_bank_refresh = false;
  } else {
    d.fail("refresh", "must be same-bank or all-bank");
  }
  if (m.interleave.value() % 64 != 0) d.fail("interleave_bytes", "must be a multiple of 64");
  return p;
}

HostProfile parse_host_profile(std::string_view toml_text, std::string_view origin) {
  auto root = parse_toml(toml_text, origin);
  check_kind(root, origin, "host");
  HostProfile h;
  Table meta = section(root, "profile", origin);
  h.name = meta.str("name", std::string(origin));
  h.description = meta.str("description", "");
  Table c = section(root, "core", origin);
  h.cores = c.count("cores", h.cores, true);
  h.lfb = c.count("lfb", h.lfb, true);
  h.max_outstanding = c.count("max_outstanding", h.max_outstanding, true);
  h.prefetch_distance = c.count("prefetch_distance", h.prefetch_distance, true);
  h.ooo_window = c.ns("ooo_window_ns", h.ooo_window, true);
  if (c.num("store_buffer", 0) > 0) h.store_buffer = c.count("store_buffer", 0);
  Table u = section(root, "uncore", origin);
  h.core_to_home = u.ns("core_to_home_ns", Duration(), true);
  h.home_to_core = u.ns("home_to_core_ns", Duration(), true);
  h.root_port_latency = u.ns("root_port_latency_ns", Duration(), true);
  h.switch_latency = u.ns("switch_latency_ns", Duration::ns(70));
  Table m = section(root, "mlc", origin);
  h.inject_unit = m.ns("inject_unit_ns", Duration(), true);
  h.loop_overhead = m.ns("loop_overhead_ns", Duration());
  h.chase_overhead = m.ns("chase_overhead_ns", Duration());
  h.loop_jitter = m.num("loop_jitter", h.loop_jitter);
  if (h.loop_jitter >= 1.0) m.fail("loop_jitter", "must be below 1");
  Table k = section(root, "cache", origin);
  if (k.present()) {
    h.cache.size = k.bytes("size", true);
    h.cache.ways = k.count("ways", 0, true);
    h.cache.hit_latency = k.ns("hit_latency_ns", Duration(), true);
    h.cache.enabled = true;  // checked as if enabled, so a disabled table is a valid one to turn on
    if (auto p = check(h.cache)) {
      k.fail(p->field == std::string_view("hit_latency") ? "hit_latency_ns" : p->field, p->what);
    }
    h.cache.enabled = k.flag("enabled", true);
  }
  Table a = section(root, "app", origin);
  if (a.present()) {
    h.app.insns_per_ns = a.num("insns_per_ns", h.app.insns_per_ns);
    if (h.app.insns_per_ns <= 0) a.fail("insns_per_ns", "must be positive");
    if (a.bytes("l1d_size", false).value() != 0) h.app.l1d_size = a.bytes("l1d_size", false);
    h.app.l1d_ways = a.count("l1d_ways", h.app.l1d_ways, false);
    if (a.bytes("l2_size", false).value() != 0) h.app.l2_size = a.bytes("l2_size", false);
    h.app.l2_ways = a.count("l2_ways", h.app.l2_ways, false);
    if (h.app.l1d_ways == 0 || h.app.l1d_size.value() % (uint64_t{h.app.l1d_ways} * 64) != 0) {
      a.fail("l1d_size", "must be a non-zero multiple of l1d_ways x 64 B");
    }
    if (h.app.l2_ways == 0 || h.app.l2_size.value() % (uint64_t{h.app.l2_ways} * 64) != 0) {
      a.fail("l2_size", "must be a non-zero multiple of l2_ways x 64 B");
    }
  }
  return h;
}

DeviceProfile load_device_profile(std::string_view name_or_path) {
  return parse_device_profile(read_text(name_or_path), name_or_path);
}

Duration snoop_response(const HostProfile& h) {
  return h.cache.hit_latency > Duration() ? h.cache.hit_latency : h.core_to_home + h.home_to_core;
}

HostProfile load_host_profile(std::string_view name_or_path) {
  return parse_host_profile(read_text(name_or_path), name_or_path);
}

}  // namespace cxlsim::timing
