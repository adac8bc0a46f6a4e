#include "fm/pool_state_file.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "spec/error.h"

namespace cxlsim::fm {

using nlohmann::json;

namespace {
constexpr const char* kFormat = "cxlsim-fm-state";
constexpr int kVersion = 1;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw ParseError(fmt::format("{}: {}", origin, what));
}

void check_rc(MboxReturn rc, const std::string& origin, const std::string& entry) {
  if (rc != MboxReturn::kSuccess) {
    fail(origin, fmt::format("{} refused ({})", entry, device::return_code_name(rc)));
  }
}

void replay_allocations(Pool& p, const json& j, const std::string& origin) {
  for (const auto& [mld, list] : j.items()) {
    check_rc(p.set_ld_allocations(mld, 0, list.get<std::vector<uint64_t>>()), origin,
             "ld_allocations of " + mld);
  }
}

void replay_bindings(Pool& p, const json& j, const std::string& origin) {
  for (const auto& b : j) {
    const std::string host = b.at("host").get<std::string>();
    const auto vppb = b.at("vppb").get<unsigned>();
    check_rc(p.bind(host, vppb, {b.at("device").get<std::string>(), b.at("ld").get<unsigned>()}),
             origin, fmt::format("binding of {} vPPB {}", host, vppb));
  }
}

void replay_extents(Pool& p, const json& j, const std::string& origin) {
  for (const auto& e : j) {
    const std::string device = e.at("device").get<std::string>();
    const DpaRange r{e.at("dpa").get<uint64_t>(), e.at("length").get<uint64_t>()};
    check_rc(p.dc_add_ranges(device, e.at("host").get<std::string>(), {r},
                             parse_tag(e.at("tag").get<std::string>())),
             origin, fmt::format("extent {:#x}+{:#x} of {}", r.dpa, r.length, device));
  }
}
}  // namespace

std::string tag_hex(const DcTag& tag) {
  std::string out;
  for (uint8_t b : tag) out += fmt::format("{:02x}", b);
  return out;
}

DcTag parse_tag(const std::string& hex) {
  DcTag tag{};
  if (hex.size() != 2 * tag.size()) throw ParseError("tag '" + hex + "': not 32 hex digits");
  for (size_t i = 0; i < tag.size(); ++i) {
    unsigned v = 0;
    for (char c : hex.substr(2 * i, 2)) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) throw ParseError("tag '" + hex + "': not 32 lowercase hex digits");
      v = v * 16 + static_cast<unsigned>(d);
    }
    tag[i] = static_cast<uint8_t>(v);
  }
  return tag;
}

std::string encode_pool_state(const Pool& pool, const GuestMap& guests) {
  json j = {{"format", kFormat}, {"version", kVersion}, {"pool", pool.topology().name}};
  j["ld_allocations"] = json::object();
  for (const auto& m : pool.topology().mlds) j["ld_allocations"][m.id] = pool.ld_allocations(m.id);
  j["bindings"] = json::array();
  for (const auto& [host, vppbs] : pool.bindings()) {
    for (const auto& [vppb, ld] : vppbs) {
      j["bindings"].push_back(
          {{"host", host}, {"vppb", vppb}, {"device", ld.device}, {"ld", ld.ld}});
    }
  }
  j["extents"] = json::array();
  for (const auto& e : pool.all_extents()) {
    j["extents"].push_back({{"device", e.device},
                            {"host", e.host},
                            {"dpa", e.dpa},
                            {"length", e.length},
                            {"tag", tag_hex(e.tag)}});
  }
  j["guests"] = guests;
  return j.dump(1) + "\n";
}

PoolState decode_pool_state(const std::string& text, const Topology& topology,
                            const std::string& origin) {
  PoolState s{Pool(topology), {}};
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != kFormat) fail(origin, "not a cxlsim fabric-manager state file");
    if (j.value("version", 0) != kVersion) {
      fail(origin,
           fmt::format("version {} (this cxlsim reads {})", j.value("version", 0), kVersion));
    }
    if (j.value("pool", "") != topology.name) {
      fail(origin, fmt::format("state of pool '{}', not '{}'", j.value("pool", ""), topology.name));
    }
    replay_allocations(s.pool, j.at("ld_allocations"), origin);
    replay_bindings(s.pool, j.at("bindings"), origin);
    replay_extents(s.pool, j.at("extents"), origin);
    s.guests = j.at("guests").get<GuestMap>();
    for (const auto& [host, path] : s.guests) {
      if (topology.find_pool_host(host) == nullptr) fail(origin, "guest of unknown host " + host);
    }
  } catch (const json::exception& e) {
    fail(origin, e.what());
  }
  return s;
}

}  // namespace cxlsim::fm
