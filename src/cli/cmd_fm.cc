// cxlsim fm: the fabric manager of a memory pool (docs/fm.md). `serve` runs the daemon on a Unix
// socket; every other subcommand is a client that sends FM-API requests (CXL 3.2 §7.6.7) to it
// and prints the answer (human on stdout, or --json). A request the fabric manager refuses ends
// with status 1 and the spec's return code named; bad arguments with status 2.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/dpa_extents.h"
#include "cli/fm_guest.h"
#include "cli/stop_signal.h"
#include "device/mbox_payloads.h"
#include "device/mbox_return_code.h"
#include "device/runtime_dir.h"
#include "fabric/topology_loader.h"
#include "fm/fabric_manager.h"
#include "fm/fm_client.h"
#include "fm/fm_keys.h"
#include "fm/fm_server.h"
#include "fm/fmapi_opcode.h"
#include "fm/fmapi_payloads.h"
#include "fm/pool_state_file.h"
#include "spec/error.h"
#include "spec/units.h"

namespace cxlsim::cli {
namespace {

namespace pl = fm::payload;
using fm::FmApiOpcode;
using nlohmann::json;

std::string default_socket() { return device::runtime_dir() + "/fm.sock"; }

struct FmOptions {
  // serve
  std::string pool;
  std::string state_dir;
  // client
  std::string socket;
  std::string key_file;
  bool json = false;
  bool quiet = false;
  bool force = false;
  bool contiguous = false;
  std::string host;
  std::string device;
  std::string ld;  // DEVICE:LDID
  std::string size;
  std::string tag;
  std::string share_tag;
  std::string qmp;
  std::vector<std::string> extents;  // DPA:LENGTH
  unsigned vppb = 0;
  unsigned region = 0;
  unsigned start = 0;
  std::vector<std::string> sizes;
};

// ---------------------------------------------------------------- serve

int serve(const FmOptions& o) {
  const Topology pool = load_valid_topology(o.pool);
  if (pool.hosts.empty()) {
    throw ValidationError(
        fmt::format("{}: not a pool (no [[host]]); see builtin:pool-2host", o.pool));
  }
  fm::FabricManager manager(pool, {o.state_dir, qmp_guest_connector(pool)});
  fm::FmServer server(manager);
  StopSignal stop_signal;
  device::ensure_runtime_dir_for(o.socket);
  server.listen(o.socket);
  stop_signal.watch([&] { server.stop(); });
  if (!o.quiet) {
    std::cerr << fmt::format(
        "cxlsim fm: pool {} ({} hosts, {} devices) on {}; state and keys in {} (admin key {})\n",
        pool.name, pool.hosts.size(), pool.mlds.size() + pool.dcds.size(), o.socket, o.state_dir,
        fm::KeyRing::admin_key_path(o.state_dir).string());
  }
  server.serve();
  if (o.json) std::cout << json{{"requests", server.requests()}}.dump() << "\n";
  return 0;
}

// ---------------------------------------------------------------- client helpers

std::string rc_name(uint16_t rc) {
  return std::string(device::return_code_name(static_cast<device::MboxReturn>(rc)));
}

// A connected, authenticated client (no key file: no Authenticate; the server then refuses).
std::unique_ptr<fm::FmClient> connect(const FmOptions& o) {
  const std::string key = o.key_file.empty() ? "" : fm::read_key_file(o.key_file);
  return std::make_unique<fm::FmClient>(o.socket, key);
}

// Throws OperationError naming the command and return code unless `r` succeeded.
void expect_success(const fm::CciMessage& r, const std::string& what, const FmOptions& o) {
  if (r.return_code == 0) return;
  std::string hint;
  if (r.return_code == static_cast<uint16_t>(device::MboxReturn::kInvalidSecurityState)) {
    hint = o.key_file.empty() ? " (no key given: --key-file DIR/admin.key)"
                              : " (this key may not do that)";
  }
  throw OperationError(fmt::format("{}: {}{}", what, rc_name(r.return_code), hint));
}

struct Names {
  std::vector<std::pair<std::string, unsigned>> hosts;     // id, vppbs (VCS ID = index)
  std::vector<std::pair<std::string, std::string>> ports;  // id, kind (port ID = index)

  [[nodiscard]] unsigned vcs(const std::string& host) const {
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (hosts[i].first == host) return static_cast<unsigned>(i);
    }
    throw ValidationError(fmt::format("no host '{}' in the pool", host));
  }
  [[nodiscard]] unsigned port(const std::string& device, const char* kind) const {
    for (size_t i = 0; i < ports.size(); ++i) {
      if (ports[i].first == device) {
        if (ports[i].second != kind) {
          throw ValidationError(fmt::format("'{}' is not a{} {}", device,
                                            std::string(kind) == "mld" ? "n" : "", kind));
        }
        return static_cast<unsigned>(i);
      }
    }
    throw ValidationError(fmt::format("no device '{}' in the pool", device));
  }
};

Names names(fm::FmClient& c, const FmOptions& o) {
  const auto r = c.request(static_cast<uint16_t>(FmApiOpcode::kGetPoolNames), {});
  expect_success(r, "Get Pool Names", o);
  const json j = json::parse(r.payload.begin(), r.payload.end());
  Names n;
  for (const auto& h : j.at("hosts")) n.hosts.emplace_back(h.at("id"), h.at("vppbs"));
  for (const auto& p : j.at("ports")) n.ports.emplace_back(p.at("id"), p.at("kind"));
  return n;
}

void print(const FmOptions& o, const json& j, const std::string& human) {
  if (o.json) {
    std::cout << j.dump(2) << "\n";
  } else if (!o.quiet) {
    std::cout << human;
  }
}

// "mld0:3" -> ("mld0", 3).
std::pair<std::string, unsigned> parse_ld(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw ValidationError(fmt::format("LD '{}': expected DEVICE:LDID (e.g. mld0:3)", text));
  }
  try {
    size_t used = 0;
    const unsigned long id = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || id > 0xfffe) throw std::invalid_argument("range");
    return {text.substr(0, colon), static_cast<unsigned>(id)};
  } catch (const std::logic_error&) {
    throw ValidationError(fmt::format("LD '{}': LDID is not a number below 65535", text));
  }
}

std::vector<uint8_t> extent_records(const std::vector<fm::DpaRange>& ranges, size_t at,
                                    std::vector<uint8_t> head) {
  namespace dp = device::payload;
  head.resize(at + ranges.size() * dp::DcExtent::kSize, 0);
  for (size_t i = 0; i < ranges.size(); ++i) {
    dp::DcExtent::kDpa.put(head, at + i * dp::DcExtent::kSize, ranges[i].dpa);
    dp::DcExtent::kLength.put(head, at + i * dp::DcExtent::kSize, ranges[i].length);
  }
  return head;
}

void put_tag(std::vector<uint8_t>& b, const device::ByteField& f, const std::string& hex) {
  if (hex.empty()) return;
  const fm::DcTag tag = fm::parse_tag(hex);
  f.put(b, tag);
}

// ---------------------------------------------------------------- client commands

int identify(const FmOptions& o) {
  auto c = connect(o);
  const auto id = c->request(static_cast<uint16_t>(FmApiOpcode::kIdentify), {});
  expect_success(id, "Identify", o);
  const auto sw = c->request(static_cast<uint16_t>(FmApiOpcode::kIdentifySwitchDevice), {});
  expect_success(sw, "Identify Switch Device", o);
  const auto& p = sw.payload;
  const json j = {{"principal", c->principal()},
                  {"vendor_id", pl::Identify::kVendorId.get(id.payload)},
                  {"device_id", pl::Identify::kDeviceId.get(id.payload)},
                  {"component_type", pl::Identify::kComponentType.get(id.payload)},
                  {"physical_ports", pl::IdentifySwitchDevice::kNumPhysicalPorts.get(p)},
                  {"vcss", pl::IdentifySwitchDevice::kNumVcss.get(p)},
                  {"total_vppbs", pl::IdentifySwitchDevice::kTotalVppbs.get(p)},
                  {"bound_vppbs", pl::IdentifySwitchDevice::kBoundVppbs.get(p)}};
  print(o, j,
        fmt::format("fabric manager (as {}): switch {:04x}:{:04x}, {} physical ports, {} VCSs, "
                    "{} of {} vPPBs bound\n",
                    c->principal(), j["vendor_id"].get<unsigned>(), j["device_id"].get<unsigned>(),
                    j["physical_ports"].get<unsigned>(), j["vcss"].get<unsigned>(),
                    j["bound_vppbs"].get<unsigned>(), j["total_vppbs"].get<unsigned>()));
  return 0;
}

int vcs_info(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::GetVcsInfoIn::kVcsIds, 0);
  pl::GetVcsInfoIn::kVppbListLimit.put(in, 0xff);
  std::vector<unsigned> ids;
  if (!o.host.empty()) {
    ids.push_back(n.vcs(o.host));
  } else {
    for (size_t i = 0; i < n.hosts.size(); ++i) ids.push_back(static_cast<unsigned>(i));
  }
  pl::GetVcsInfoIn::kNumVcss.put(in, ids.size());
  for (unsigned id : ids) in.push_back(static_cast<uint8_t>(id));
  const auto r = c->request(static_cast<uint16_t>(FmApiOpcode::kGetVirtualCxlSwitchInfo), in);
  expect_success(r, "Get Virtual CXL Switch Info", o);
  json j = json::array();
  std::string human;
  size_t at = pl::GetVcsInfoOut::kBlocks;
  for (size_t i = 0; i < pl::GetVcsInfoOut::kNumVcss.get(r.payload); ++i) {
    const auto id = static_cast<unsigned>(pl::VcsInfoBlock::kVcsId.get(r.payload, at));
    const bool valid = pl::VcsInfoBlock::kState.get(r.payload, at) == pl::kVcsEnabled;
    const auto count = pl::VcsInfoBlock::kNumVppbs.get(r.payload, at);
    const std::string host = id < n.hosts.size() ? n.hosts[id].first : fmt::format("vcs{}", id);
    at += pl::VcsInfoBlock::kVppbs;
    if (!valid && !o.host.empty()) {
      throw OperationError(fmt::format("{}: an invalid VCS for this key", o.host));
    }
    if (!valid) continue;  // not this key's host
    json vppbs = json::array();
    human += fmt::format("{} (VCS {}):\n", host, id);
    for (uint64_t v = 0; v < count; ++v, at += pl::VppbStatus::kSize) {
      const bool bound = pl::VppbStatus::kBindingStatus.get(r.payload, at) == pl::kVppbBoundLd;
      json e = {{"vppb", v}, {"bound", bound}};
      std::string what = "unbound";
      if (bound) {
        const auto port = pl::VppbStatus::kBoundPortId.get(r.payload, at);
        const auto ld = pl::VppbStatus::kBoundLdId.get(r.payload, at);
        const std::string dev = port < n.ports.size() ? n.ports[port].first : "?";
        e["device"] = dev;
        e["ld"] = ld;
        what = fmt::format("{}:{}", dev, ld);
      }
      vppbs.push_back(e);
      human += fmt::format("  vPPB {}: {}\n", v, what);
    }
    j.push_back({{"host", host}, {"vcs_id", id}, {"vppbs", vppbs}});
  }
  print(o, j, human);
  return 0;
}

int bind(const FmOptions& o) {
  const auto [device, ld] = parse_ld(o.ld);
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::BindVppb::kSize, 0);
  pl::BindVppb::kVcsId.put(in, n.vcs(o.host));
  pl::BindVppb::kVppbId.put(in, o.vppb);
  pl::BindVppb::kPhysicalPortId.put(in, n.port(device, "mld"));
  pl::BindVppb::kLdId.put(in, ld);
  expect_success(c->request(static_cast<uint16_t>(FmApiOpcode::kBindVppb), in),
                 fmt::format("bind {} vPPB {} to {}", o.host, o.vppb, o.ld), o);
  print(o, {{"host", o.host}, {"vppb", o.vppb}, {"device", device}, {"ld", ld}, {"bound", true}},
        fmt::format("{} vPPB {}: bound to {}\n", o.host, o.vppb, o.ld));
  return 0;
}

int unbind(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::UnbindVppb::kSize, 0);
  pl::UnbindVppb::kVcsId.put(in, n.vcs(o.host));
  pl::UnbindVppb::kVppbId.put(in, o.vppb);
  pl::UnbindVppb::kOption.put(in, o.force ? pl::kUnbindSurprise : 1);
  expect_success(c->request(static_cast<uint16_t>(FmApiOpcode::kUnbindVppb), in),
                 fmt::format("unbind {} vPPB {}", o.host, o.vppb), o);
  print(o, {{"host", o.host}, {"vppb", o.vppb}, {"bound", false}},
        fmt::format("{} vPPB {}: unbound\n", o.host, o.vppb));
  return 0;
}

int ld_info(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  const unsigned port = n.port(o.device, "mld");
  const auto info = c->tunnel(port, static_cast<uint16_t>(FmApiOpcode::kGetLdInfo), {});
  expect_success(info, "Get LD Info", o);
  const uint64_t size = pl::GetLdInfo::kMemorySize.get(info.payload);
  const auto lds = pl::GetLdInfo::kLdCount.get(info.payload);
  json j = {{"device", o.device}, {"memory_size", size}, {"ld_count", lds}};
  std::string human = fmt::format("{}: {} in {} LDs\n", o.device, format_bytes(Bytes(size)), lds);
  std::vector<uint8_t> in(pl::GetLdAllocationsIn::kSize, 0);
  pl::GetLdAllocationsIn::kListLimit.put(in, 0xff);
  const auto alloc = c->tunnel(port, static_cast<uint16_t>(FmApiOpcode::kGetLdAllocations), in);
  if (alloc.return_code == 0) {  // a host key may not read allocations
    json list = json::array();
    for (uint64_t i = 0; i < pl::GetLdAllocationsOut::kListLength.get(alloc.payload); ++i) {
      const uint64_t bytes =
          pl::LdAllocation::kRange1.get(
              alloc.payload, pl::GetLdAllocationsOut::kList + i * pl::LdAllocation::kSize) *
          pl::kLdGranularity;
      list.push_back({{"ld", i}, {"bytes", bytes}});
      human += fmt::format("  LD {}: {}\n", i, format_bytes(Bytes(bytes)));
    }
    j["allocations"] = list;
  }
  print(o, j, human);
  return 0;
}

int set_ld_alloc(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::SetLdAllocations::kList + o.sizes.size() * pl::LdAllocation::kSize,
                          0);
  pl::SetLdAllocations::kNumLds.put(in, o.sizes.size());
  pl::SetLdAllocations::kStartLdId.put(in, o.start);
  for (size_t i = 0; i < o.sizes.size(); ++i) {
    const uint64_t bytes = parse_bytes(o.sizes[i]).value();
    if (bytes % pl::kLdGranularity != 0) {
      throw ValidationError(fmt::format("LD size {}: not a multiple of 256M", o.sizes[i]));
    }
    pl::LdAllocation::kRange1.put(in, pl::SetLdAllocations::kList + i * pl::LdAllocation::kSize,
                                  bytes / pl::kLdGranularity);
  }
  expect_success(
      c->tunnel(n.port(o.device, "mld"), static_cast<uint16_t>(FmApiOpcode::kSetLdAllocations), in),
      "Set LD Allocations", o);
  print(o, {{"device", o.device}, {"start", o.start}, {"sizes", o.sizes}},
        fmt::format("{}: LDs {}.. set\n", o.device, o.start));
  return 0;
}

int dc_add(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::InitiateDcAdd::kExtents, 0);
  pl::InitiateDcAdd::kHostId.put(in, n.vcs(o.host));
  pl::InitiateDcAdd::kRegionNumber.put(in, o.region);
  put_tag(in, pl::InitiateDcAdd::kTag, o.share_tag.empty() ? o.tag : o.share_tag);
  if (!o.share_tag.empty()) {
    pl::InitiateDcAdd::kSelectionPolicy.put(in, pl::kPolicyEnableSharedAccess);
  } else if (!o.extents.empty()) {
    pl::InitiateDcAdd::kSelectionPolicy.put(in, pl::kPolicyPrescriptive);
    pl::InitiateDcAdd::kExtentCount.put(in, o.extents.size());
    in = extent_records(parse_extents(o.extents), pl::InitiateDcAdd::kExtents, in);
  } else {
    if (o.size.empty()) throw ValidationError("dc-add: SIZE, --extent or --share is required");
    pl::InitiateDcAdd::kSelectionPolicy.put(in,
                                            o.contiguous ? pl::kPolicyContiguous : pl::kPolicyFree);
    pl::InitiateDcAdd::kLength.put(in, parse_bytes(o.size).value());
  }
  expect_success(
      c->tunnel(n.port(o.device, "dcd"), static_cast<uint16_t>(FmApiOpcode::kInitiateDcAdd), in),
      fmt::format("dc-add to {} on {}", o.host, o.device), o);
  print(o, {{"device", o.device}, {"host", o.host}, {"added", true}},
        fmt::format("{}: capacity added for {}\n", o.device, o.host));
  return 0;
}

int dc_release(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  std::vector<uint8_t> in(pl::InitiateDcRelease::kExtents, 0);
  pl::InitiateDcRelease::kHostId.put(in, n.vcs(o.host));
  if (!o.extents.empty()) {
    pl::InitiateDcRelease::kFlags.put(in, pl::kRemovalPrescriptive);
    pl::InitiateDcRelease::kExtentCount.put(in, o.extents.size());
    in = extent_records(parse_extents(o.extents), pl::InitiateDcRelease::kExtents, in);
  } else if (!o.tag.empty()) {
    pl::InitiateDcRelease::kFlags.put(in, pl::kRemovalTagBased);
    put_tag(in, pl::InitiateDcRelease::kTag, o.tag);
    if (!o.size.empty()) pl::InitiateDcRelease::kLength.put(in, parse_bytes(o.size).value());
  } else {
    throw ValidationError("dc-release: --extent DPA:LENGTH or --tag TAG is required");
  }
  expect_success(c->tunnel(n.port(o.device, "dcd"),
                           static_cast<uint16_t>(FmApiOpcode::kInitiateDcRelease), in),
                 fmt::format("dc-release from {} on {}", o.host, o.device), o);
  print(o, {{"device", o.device}, {"host", o.host}, {"released", true}},
        fmt::format("{}: capacity released from {}\n", o.device, o.host));
  return 0;
}

int dc_info(const FmOptions& o) {
  auto c = connect(o);
  const Names n = names(*c, o);
  const unsigned port = n.port(o.device, "dcd");
  const auto info = c->tunnel(port, static_cast<uint16_t>(FmApiOpcode::kGetDcdInfo), {});
  expect_success(info, "Get DCD Info", o);
  const auto& p = info.payload;
  json j = {{"device", o.device},
            {"hosts", pl::GetDcdInfo::kNumHosts.get(p)},
            {"regions", pl::GetDcdInfo::kNumRegions.get(p)},
            {"total_capacity", pl::GetDcdInfo::kTotalCapacity.get(p) * pl::kLdGranularity}};
  std::string human = fmt::format(
      "{}: {} DC regions, {} for {} hosts\n", o.device, j["regions"].get<unsigned>(),
      format_bytes(Bytes(j["total_capacity"].get<uint64_t>())), j["hosts"].get<unsigned>());
  const std::string host = !o.host.empty()             ? o.host
                           : c->principal() != "admin" ? c->principal()
                                                       : n.hosts.front().first;
  std::vector<uint8_t> in(pl::GetHostDcRegionConfigIn::kSize, 0);
  pl::GetHostDcRegionConfigIn::kHostId.put(in, n.vcs(host));
  pl::GetHostDcRegionConfigIn::kRegionCount.put(in, 8);
  const auto cfg = c->tunnel(port, static_cast<uint16_t>(FmApiOpcode::kGetHostDcRegionConfig), in);
  expect_success(cfg, "Get Host DC Region Configuration for " + host, o);
  json regions = json::array();
  for (uint64_t i = 0; i < pl::GetHostDcRegionConfigOut::kRegionsReturned.get(cfg.payload); ++i) {
    const size_t b = pl::GetHostDcRegionConfigOut::kRegions + i * pl::DcRegionConfig::kSize;
    const uint64_t base = pl::DcRegionConfig::kBase.get(cfg.payload, b);
    const uint64_t len = pl::DcRegionConfig::kLength.get(cfg.payload, b);
    const uint64_t block = pl::DcRegionConfig::kBlockSize.get(cfg.payload, b);
    const bool sharable =
        (pl::DcRegionConfig::kAttributes1.get(cfg.payload, b) & pl::kRegionSharable) != 0;
    regions.push_back({{"region", i},
                       {"base", base},
                       {"length", len},
                       {"block_size", block},
                       {"sharable", sharable}});
    human += fmt::format("  region {}: DPA {:#x}, {}, blocks of {}{}\n", i, base,
                         format_bytes(Bytes(len)), format_bytes(Bytes(block)),
                         sharable ? ", sharable" : "");
  }
  j["host"] = host;
  j["region_config"] = regions;
  print(o, j, human);
  return 0;
}

int dc_extents(const FmOptions& o) {
  namespace dp = device::payload;
  auto c = connect(o);
  const Names n = names(*c, o);
  const unsigned port = n.port(o.device, "dcd");
  std::vector<std::string> hosts;
  if (!o.host.empty()) {
    hosts.push_back(o.host);
  } else if (c->principal() != "admin") {
    hosts.push_back(c->principal());
  } else {
    for (const auto& h : n.hosts) hosts.push_back(h.first);
  }
  json j = json::array();
  std::string human;
  for (const auto& host : hosts) {
    std::vector<uint8_t> in(pl::GetDcExtentListsIn::kSize, 0);
    pl::GetDcExtentListsIn::kHostId.put(in, n.vcs(host));
    pl::GetDcExtentListsIn::kExtentCount.put(in, 0xffffffffu);
    const auto r = c->tunnel(port, static_cast<uint16_t>(FmApiOpcode::kGetDcRegionExtentLists), in);
    expect_success(r, "Get DC Region Extent Lists for " + host, o);
    json list = json::array();
    human += fmt::format("{} on {} (generation {}):\n", host, o.device,
                         pl::GetDcExtentListsOut::kGeneration.get(r.payload));
    for (uint64_t i = 0; i < pl::GetDcExtentListsOut::kReturned.get(r.payload); ++i) {
      const size_t b = pl::GetDcExtentListsOut::kExtents + i * dp::DcExtent::kSize;
      fm::DcTag tag{};
      const auto t = dp::DcExtent::kTag.get(std::span<const uint8_t>(r.payload).subspan(b));
      std::copy(t.begin(), t.end(), tag.begin());
      const uint64_t dpa = dp::DcExtent::kDpa.get(r.payload, b);
      const uint64_t len = dp::DcExtent::kLength.get(r.payload, b);
      list.push_back({{"dpa", dpa}, {"length", len}, {"tag", fm::tag_hex(tag)}});
      human +=
          fmt::format("  {:#014x} +{} tag {}\n", dpa, format_bytes(Bytes(len)), fm::tag_hex(tag));
    }
    if (list.empty()) human += "  (none)\n";
    j.push_back({{"host", host}, {"device", o.device}, {"extents", list}});
  }
  print(o, j, human);
  return 0;
}

int state(const FmOptions& o) {
  auto c = connect(o);
  const auto r = c->request(static_cast<uint16_t>(FmApiOpcode::kGetPoolState), {});
  expect_success(r, "Get Pool State", o);
  std::cout << std::string(r.payload.begin(), r.payload.end());
  return 0;
}

int attach(const FmOptions& o) {
  auto c = connect(o);
  const std::string body = json{{"host", o.host}, {"qmp", o.qmp}}.dump();
  expect_success(c->request(static_cast<uint16_t>(FmApiOpcode::kAttachHost),
                            std::vector<uint8_t>(body.begin(), body.end())),
                 "attach the guest of " + o.host, o);
  print(o, {{"host", o.host}, {"qmp", o.qmp}, {"attached", true}},
        fmt::format("{}: guest at {} attached\n", o.host, o.qmp));
  return 0;
}

// Adds the client options every request subcommand shares.
CLI::App* client(CLI::App* fm, const char* name, const char* help, FmOptions& o) {
  auto* s = fm->add_subcommand(name, help);
  s->add_option("--socket", o.socket, "the fabric manager's socket")->default_str(default_socket());
  s->add_option("--key-file", o.key_file,
                "key to authenticate with (DIR/admin.key, DIR/keys/HOST.key)");
  s->add_flag("--json", o.json, "print the answer as JSON");
  s->add_flag("--quiet", o.quiet, "print nothing on success");
  return s;
}

}  // namespace

void register_fm(CLI::App& app) {
  auto* fm = app.add_subcommand(
      "fm", "the fabric manager of a memory pool: daemon and FM-API client (docs/fm.md)");
  fm->require_subcommand(1);
  auto o = std::make_shared<FmOptions>();
  o->socket = default_socket();

  auto* s =
      fm->add_subcommand("serve", "serve POOL's fabric manager on a Unix socket until SIGTERM");
  s->add_option("pool", o->pool, "pool topology (a file or builtin:pool-2host)")->required();
  s->add_option("--state", o->state_dir, "directory of the state, keys and LD backing files")
      ->required();
  s->add_option("--socket", o->socket, "Unix socket to listen on")->default_str(default_socket());
  s->add_flag("--json", o->json, "print the request count as JSON on exit");
  s->add_flag("--quiet", o->quiet, "no banner on stderr");
  s->callback([o] { finish(serve(*o)); });

  client(fm, "identify", "Identify and Identify Switch Device", *o)->callback([o] {
    finish(identify(*o));
  });
  auto* v = client(fm, "vcs-info", "Get Virtual CXL Switch Info: each host's vPPBs", *o);
  v->add_option("host", o->host, "one host (default: all the key may see)");
  v->callback([o] { finish(vcs_info(*o)); });

  auto* b = client(fm, "bind", "Bind vPPB: give HOST's vPPB an LD (DEVICE:LDID)", *o);
  b->add_option("host", o->host, "host")->required();
  b->add_option("vppb", o->vppb, "vPPB number")->required();
  b->add_option("ld", o->ld, "DEVICE:LDID, e.g. mld0:3")->required();
  b->callback([o] { finish(bind(*o)); });

  auto* u = client(fm, "unbind", "Unbind vPPB", *o);
  u->add_option("host", o->host, "host")->required();
  u->add_option("vppb", o->vppb, "vPPB number")->required();
  u->add_flag("--force", o->force, "surprise hot-remove, even while the guest's region uses it");
  u->callback([o] { finish(unbind(*o)); });

  auto* l = client(fm, "ld-info", "Get LD Info and Get LD Allocations of an MLD", *o);
  l->add_option("device", o->device, "MLD id")->required();
  l->callback([o] { finish(ld_info(*o)); });

  auto* la = client(fm, "set-ld-alloc", "Set LD Allocations: sizes of LDs from --start", *o);
  la->add_option("device", o->device, "MLD id")->required();
  la->add_option("sizes", o->sizes, "sizes, multiples of 256M")->required();
  la->add_option("--start", o->start, "first LD (default 0)");
  la->callback([o] { finish(set_ld_alloc(*o)); });

  auto* a = client(fm, "dc-add", "Initiate Dynamic Capacity Add", *o);
  a->add_option("device", o->device, "DCD id")->required();
  a->add_option("host", o->host, "host")->required();
  a->add_option("region", o->region, "DC region number")->required();
  a->add_option("size", o->size, "bytes to add (policy Free; e.g. 64M)");
  a->add_option("--tag", o->tag, "tag of the new capacity (32 hex digits)");
  a->add_flag("--contiguous", o->contiguous, "policy Contiguous: one extent");
  a->add_option("--extent", o->extents, "policy Prescriptive: DPA:LENGTH (repeatable)");
  a->add_option("--share", o->share_tag, "policy Enable Shared Access: the tag to share");
  a->callback([o] { finish(dc_add(*o)); });

  auto* r = client(fm, "dc-release", "Initiate Dynamic Capacity Release", *o);
  r->add_option("device", o->device, "DCD id")->required();
  r->add_option("host", o->host, "host")->required();
  r->add_option("--extent", o->extents, "policy Prescriptive: DPA:LENGTH (repeatable)");
  r->add_option("--tag", o->tag, "policy Tag-based: release what carries this tag");
  r->add_option("--length", o->size, "Tag-based: bytes (default all)");
  r->callback([o] { finish(dc_release(*o)); });

  auto* di = client(fm, "dc-info", "Get DCD Info and Get Host DC Region Configuration", *o);
  di->add_option("device", o->device, "DCD id")->required();
  di->add_option("host", o->host, "the host whose configuration to read (default: the first)");
  di->callback([o] { finish(dc_info(*o)); });

  auto* e = client(fm, "dc-extents", "Get DC Region Extent Lists", *o);
  e->add_option("device", o->device, "DCD id")->required();
  e->add_option("host", o->host, "one host (default: all the key may see)");
  e->callback([o] { finish(dc_extents(*o)); });

  client(fm, "state", "the fabric manager's whole state as JSON (admin)", *o)->callback([o] {
    finish(state(*o));
  });
  auto* at = client(fm, "attach", "attach HOST's running guest (its QMP socket)", *o);
  at->add_option("host", o->host, "host")->required();
  at->add_option("qmp", o->qmp, "the guest's QMP socket (\"\": detach a guest that is gone)")
      ->required();
  at->callback([o] { finish(attach(*o)); });
}

}  // namespace cxlsim::cli
