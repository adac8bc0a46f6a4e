#include "fm/fabric_manager.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "device/durable_file.h"
#include "fm/fmapi_opcode.h"
#include "fm/fmapi_payloads.h"

namespace cxlsim::fm {

namespace {
namespace pl = payload;
using Op = FmApiOpcode;

constexpr uint16_t kVendorId = 0x1b36;  // the Red Hat/QEMU vendor id QEMU's CXL switch reports
constexpr uint16_t kSwitchDeviceId = 0xc001;
constexpr uint8_t kMaxMessageLog2 = 20;  // CciMessage::kMaxPayload

std::vector<DpaRange> read_ranges(std::span<const uint8_t> in, size_t at, uint64_t count) {
  std::vector<DpaRange> out;
  for (uint64_t i = 0; i < count; ++i) {
    const size_t base = at + i * device::payload::DcExtent::kSize;
    out.push_back({device::payload::DcExtent::kDpa.get(in, base),
                   device::payload::DcExtent::kLength.get(in, base)});
  }
  return out;
}

DcTag read_tag(std::span<const uint8_t> in, const device::ByteField& f) {
  DcTag tag{};
  const auto b = f.get(in);
  std::copy(b.begin(), b.end(), tag.begin());
  return tag;
}

// The state directory holds keys and the pool's memory: its owner's alone (0700).
void make_private_dir(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

// Creates a sparse file of `size` bytes when missing (an LD's memory).
void ensure_file(const std::filesystem::path& p, uint64_t size) {
  if (std::filesystem::exists(p)) return;
  std::filesystem::create_directories(p.parent_path());
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("{}: cannot be created", p.string()));
  }
  ::close(fd);
}
}  // namespace

FabricManager::FabricManager(const Topology& pool, FabricManagerOptions options)
    : options_(std::move(options)),
      keys_((make_private_dir(options_.state_dir), KeyRing::open(options_.state_dir, pool))),
      pool_(pool) {
  std::ifstream in(state_path());
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    PoolState s = decode_pool_state(ss.str(), pool, state_path().string());
    pool_ = std::move(s.pool);
    guests_ = std::move(s.guests);
  }
}

std::filesystem::path FabricManager::state_path() const {
  return options_.state_dir / kPoolStateFileName;
}

Pool FabricManager::pool() const {
  std::lock_guard lock(mu_);
  return pool_;
}

LdBacking FabricManager::backing(const LdRef& ld) const {
  const std::string id = fmt::format("{}-ld{}", ld.device, ld.ld);
  const auto bytes = pool_.ld_allocations(ld.device);
  return {id, options_.state_dir / "backing" / (id + ".mem"),
          ld.ld < bytes.size() ? bytes[ld.ld] : 0};
}

CciMessage FabricManager::handle(const Principal& who, const CciMessage& request) {
  std::lock_guard lock(mu_);
  Reply r;
  try {
    r = dispatch(who, request.opcode, request.payload);
  } catch (const std::exception&) {
    r = {MboxReturn::kInternalError, {}};
  }
  CciMessage out{
      CciMessage::kResponse, request.tag, request.opcode, static_cast<uint16_t>(r.rc), {}};
  if (r.rc == MboxReturn::kSuccess) out.payload = std::move(r.payload);
  return out;
}

FabricManager::Reply FabricManager::dispatch(const Principal& who, uint16_t opcode, Payload in) {
  switch (static_cast<Op>(opcode)) {
    case Op::kIdentify:
      return identify();
    case Op::kIdentifySwitchDevice:
      return identify_switch();
    case Op::kGetVirtualCxlSwitchInfo:
      return vcs_info(who, in);
    case Op::kBindVppb:
      return bind(who, in);
    case Op::kUnbindVppb:
      return unbind(who, in);
    case Op::kTunnelManagementCommand:
      return tunnel(who, in);
    case Op::kGetPoolNames:
      return pool_names();
    case Op::kAttachHost:
      return attach_guest(who, in);
    case Op::kGetPoolState:
      return who.admin() ? pool_state() : Reply{MboxReturn::kInvalidSecurityState, {}};
    default:
      return {MboxReturn::kUnsupported, {}};
  }
}

FabricManager::Reply FabricManager::identify() const {
  Reply r;
  r.payload.resize(pl::Identify::kSize, 0);
  pl::Identify::kVendorId.put(r.payload, kVendorId);
  pl::Identify::kDeviceId.put(r.payload, kSwitchDeviceId);
  pl::Identify::kMaxMessageSize.put(r.payload, kMaxMessageLog2);
  pl::Identify::kComponentType.put(r.payload, 0);  // switch
  return r;
}

FabricManager::Reply FabricManager::identify_switch() const {
  Reply r;
  r.payload.resize(pl::IdentifySwitchDevice::kSize, 0);
  const auto& hosts = pool_.topology().hosts;
  pl::IdentifySwitchDevice::kNumPhysicalPorts.put(r.payload, pool_.port_count());
  pl::IdentifySwitchDevice::kNumVcss.put(r.payload, hosts.size());
  auto ports = pl::IdentifySwitchDevice::kActivePortBitmask.in(r.payload);
  for (unsigned p = 0; p < pool_.port_count() && p / 8 < ports.size(); ++p) {
    ports[p / 8] = static_cast<uint8_t>(ports[p / 8] | 1u << (p % 8));
  }
  auto vcss = pl::IdentifySwitchDevice::kActiveVcsBitmask.in(r.payload);
  unsigned total = 0;
  unsigned bound = 0;
  for (size_t v = 0; v < hosts.size() && v / 8 < vcss.size(); ++v) {
    vcss[v / 8] = static_cast<uint8_t>(vcss[v / 8] | 1u << (v % 8));
    total += hosts[v].vppbs;
  }
  for (const auto& [host, vppbs] : pool_.bindings()) bound += static_cast<unsigned>(vppbs.size());
  pl::IdentifySwitchDevice::kTotalVppbs.put(r.payload, total);
  pl::IdentifySwitchDevice::kBoundVppbs.put(r.payload, bound);
  return r;
}

FabricManager::Reply FabricManager::vcs_info(const Principal& who, Payload in) const {
  if (in.size() < pl::GetVcsInfoIn::kVcsIds) return {MboxReturn::kInvalidPayloadLength, {}};
  const auto start = static_cast<unsigned>(pl::GetVcsInfoIn::kStartVppb.get(in));
  const auto limit = static_cast<unsigned>(pl::GetVcsInfoIn::kVppbListLimit.get(in));
  const auto n = static_cast<size_t>(pl::GetVcsInfoIn::kNumVcss.get(in));
  if (in.size() != pl::GetVcsInfoIn::kVcsIds + n) return {MboxReturn::kInvalidPayloadLength, {}};
  Reply r;
  r.payload.resize(pl::GetVcsInfoOut::kBlocks, 0);
  pl::GetVcsInfoOut::kNumVcss.put(r.payload, n);
  for (size_t i = 0; i < n; ++i) {
    const auto id = in[pl::GetVcsInfoIn::kVcsIds + i];
    const PoolHostSpec* h = pool_.host_at(id);
    if (h != nullptr && !who.admin() && h->id != who.host) h = nullptr;  // not this key's
    const size_t base = r.payload.size();
    r.payload.resize(base + pl::VcsInfoBlock::kVppbs, 0);
    pl::VcsInfoBlock::kVcsId.put(r.payload, base, id);
    pl::VcsInfoBlock::kState.put(r.payload, base, h ? pl::kVcsEnabled : pl::kVcsInvalid);
    const unsigned total = h ? h->vppbs : 0;
    const unsigned count = start < total ? std::min(limit, total - start) : 0;
    pl::VcsInfoBlock::kNumVppbs.put(r.payload, base, count);
    for (unsigned v = start; v < start + count; ++v) {
      const size_t e = r.payload.size();
      r.payload.resize(e + pl::VppbStatus::kSize, 0);
      const auto ld = pool_.bound(h->id, v);
      pl::VppbStatus::kBindingStatus.put(r.payload, e, ld ? pl::kVppbBoundLd : pl::kVppbUnbound);
      pl::VppbStatus::kBoundPortId.put(r.payload, e, ld ? *pool_.port_id(ld->device) : 0xff);
      pl::VppbStatus::kBoundLdId.put(r.payload, e, ld ? ld->ld : 0xff);
    }
  }
  return r;
}

MboxReturn FabricManager::commit(Pool next, GuestMap guests) {
  try {
    device::write_file_durably(state_path().string(), encode_pool_state(next, guests), 0600);
  } catch (const std::exception&) {
    return MboxReturn::kInternalError;
  }
  pool_ = std::move(next);
  guests_ = std::move(guests);
  return MboxReturn::kSuccess;
}

std::unique_ptr<GuestPort> FabricManager::guest_of(const std::string& host) const {
  auto it = guests_.find(host);
  if (it == guests_.end() || !options_.connect_guest) return nullptr;
  return options_.connect_guest(host, it->second);
}

FabricManager::Reply FabricManager::bind(const Principal& who, Payload in) {
  if (!who.admin()) return {MboxReturn::kInvalidSecurityState, {}};
  if (in.size() != pl::BindVppb::kSize) return {MboxReturn::kInvalidPayloadLength, {}};
  const PoolHostSpec* h = pool_.host_at(static_cast<unsigned>(pl::BindVppb::kVcsId.get(in)));
  const std::string device =
      pool_.device_at(static_cast<unsigned>(pl::BindVppb::kPhysicalPortId.get(in)));
  if (h == nullptr || device.empty()) return {MboxReturn::kInvalidInput, {}};
  const auto vppb = static_cast<unsigned>(pl::BindVppb::kVppbId.get(in));
  const LdRef ld{device, static_cast<unsigned>(pl::BindVppb::kLdId.get(in))};
  Pool next = pool_;
  if (const MboxReturn rc = next.bind(h->id, vppb, ld); rc != MboxReturn::kSuccess) {
    return {rc, {}};
  }
  const LdBacking b = backing(ld);
  ensure_file(b.path, b.size);
  auto guest = guest_of(h->id);
  if (guest) guest->hot_add(vppb, b);  // throws: Internal Error, nothing recorded
  const MboxReturn rc = commit(std::move(next), guests_);
  if (rc != MboxReturn::kSuccess && guest) guest->hot_remove(vppb, b);
  return {rc, {}};
}

FabricManager::Reply FabricManager::unbind(const Principal& who, Payload in) {
  if (!who.admin()) return {MboxReturn::kInvalidSecurityState, {}};
  if (in.size() != pl::UnbindVppb::kSize) return {MboxReturn::kInvalidPayloadLength, {}};
  const PoolHostSpec* h = pool_.host_at(static_cast<unsigned>(pl::UnbindVppb::kVcsId.get(in)));
  if (h == nullptr) return {MboxReturn::kInvalidInput, {}};
  const auto vppb = static_cast<unsigned>(pl::UnbindVppb::kVppbId.get(in));
  const bool surprise = (pl::UnbindVppb::kOption.get(in) & 0xfu) == pl::kUnbindSurprise;
  const auto ld = pool_.bound(h->id, vppb);
  Pool next = pool_;
  if (const MboxReturn rc = next.unbind(h->id, vppb); rc != MboxReturn::kSuccess) return {rc, {}};
  if (auto guest = guest_of(h->id)) {
    const LdBacking b = backing(*ld);
    // A managed hot-remove waits for the host to stop using the device (§7.6.7.2.3): while a
    // region of the guest uses it, the unbind cannot complete and is refused.
    if (!surprise && guest->in_use(b)) return {MboxReturn::kBusy, {}};
    guest->hot_remove(vppb, b);
  }
  return {commit(std::move(next), guests_), {}};
}

FabricManager::Reply FabricManager::tunnel(const Principal& who, Payload in) {
  if (in.size() < pl::TunnelIn::kMessage) return {MboxReturn::kInvalidPayloadLength, {}};
  const auto size = static_cast<size_t>(pl::TunnelIn::kCommandSize.get(in));
  if (in.size() != pl::TunnelIn::kMessage + size) return {MboxReturn::kInvalidPayloadLength, {}};
  const std::string device =
      pool_.device_at(static_cast<unsigned>(pl::TunnelIn::kPortOrLdId.get(in)));
  const auto inner = decode_cci_message(in.subspan(pl::TunnelIn::kMessage));
  if (device.empty() || pl::TunnelIn::kTargetType.get(in) != 0 || !inner ||
      inner->category != CciMessage::kRequest) {
    return {MboxReturn::kInvalidInput, {}};
  }
  const Reply inner_reply = device_command(who, device, inner->opcode, inner->payload);
  CciMessage response{
      CciMessage::kResponse, inner->tag, inner->opcode, static_cast<uint16_t>(inner_reply.rc), {}};
  if (inner_reply.rc == MboxReturn::kSuccess) response.payload = inner_reply.payload;
  const std::vector<uint8_t> bytes = encode_cci_message(response);
  Reply r;
  r.payload.resize(pl::TunnelOut::kMessage, 0);
  pl::TunnelOut::kResponseLength.put(r.payload, bytes.size());
  r.payload.insert(r.payload.end(), bytes.begin(), bytes.end());
  return r;
}

FabricManager::Reply FabricManager::device_command(const Principal& who, const std::string& device,
                                                   uint16_t opcode, Payload in) {
  const Topology& t = pool_.topology();
  if (const MldSpec* m = t.find_mld(device)) {
    switch (static_cast<Op>(opcode)) {
      case Op::kGetLdInfo:
        return ld_info(who, *m);
      case Op::kGetLdAllocations:
        return get_ld_allocations(who, *m, in);
      case Op::kSetLdAllocations:
        return set_ld_allocations(who, *m, in);
      default:
        return {MboxReturn::kUnsupported, {}};
    }
  }
  const DcdSpec* d = t.find_dcd(device);
  switch (static_cast<Op>(opcode)) {
    case Op::kGetDcdInfo:
      return dcd_info(*d);
    case Op::kGetHostDcRegionConfig:
      return dc_region_config(who, *d, in);
    case Op::kGetDcRegionExtentLists:
      return dc_extent_lists(who, *d, in);
    case Op::kInitiateDcAdd:
      return dc_add(who, *d, in);
    case Op::kInitiateDcRelease:
      return dc_release(who, *d, in);
    default:
      return {MboxReturn::kUnsupported, {}};
  }
}

FabricManager::Reply FabricManager::ld_info(const Principal& who, const MldSpec& m) const {
  bool mine = who.admin();
  for (unsigned i = 0; i < m.lds && !mine; ++i) {
    const auto hosts = pool_.hosts_of({m.id, i});
    mine = std::ranges::find(hosts, who.host) != hosts.end();
  }
  if (!mine) return {MboxReturn::kInvalidSecurityState, {}};
  Reply r;
  r.payload.resize(pl::GetLdInfo::kSize, 0);
  pl::GetLdInfo::kMemorySize.put(r.payload, m.ld_size.value() * m.lds);
  pl::GetLdInfo::kLdCount.put(r.payload, m.lds);
  return r;
}

FabricManager::Reply FabricManager::get_ld_allocations(const Principal& who, const MldSpec& m,
                                                       Payload in) const {
  if (!who.admin()) return {MboxReturn::kInvalidSecurityState, {}};
  if (in.size() != pl::GetLdAllocationsIn::kSize) return {MboxReturn::kInvalidPayloadLength, {}};
  const auto start = static_cast<unsigned>(pl::GetLdAllocationsIn::kStartLdId.get(in));
  const auto limit = static_cast<unsigned>(pl::GetLdAllocationsIn::kListLimit.get(in));
  if (start >= m.lds) return {MboxReturn::kInvalidInput, {}};
  const unsigned count = std::min(limit, m.lds - start);
  const auto bytes = pool_.ld_allocations(m.id);
  Reply r;
  r.payload.resize(pl::GetLdAllocationsOut::kList + count * pl::LdAllocation::kSize, 0);
  pl::GetLdAllocationsOut::kNumLds.put(r.payload, m.lds);
  pl::GetLdAllocationsOut::kStartLdId.put(r.payload, start);
  pl::GetLdAllocationsOut::kListLength.put(r.payload, count);
  for (unsigned i = 0; i < count; ++i) {
    pl::LdAllocation::kRange1.put(r.payload,
                                  pl::GetLdAllocationsOut::kList + i * pl::LdAllocation::kSize,
                                  bytes[start + i] / pl::kLdGranularity);
  }
  return r;
}

FabricManager::Reply FabricManager::set_ld_allocations(const Principal& who, const MldSpec& m,
                                                       Payload in) {
  if (!who.admin()) return {MboxReturn::kInvalidSecurityState, {}};
  if (in.size() < pl::SetLdAllocations::kList) return {MboxReturn::kInvalidPayloadLength, {}};
  const auto n = static_cast<size_t>(pl::SetLdAllocations::kNumLds.get(in));
  const auto start = static_cast<unsigned>(pl::SetLdAllocations::kStartLdId.get(in));
  if (in.size() != pl::SetLdAllocations::kList + n * pl::LdAllocation::kSize) {
    return {MboxReturn::kInvalidPayloadLength, {}};
  }
  std::vector<uint64_t> bytes;
  for (size_t i = 0; i < n; ++i) {
    const size_t base = pl::SetLdAllocations::kList + i * pl::LdAllocation::kSize;
    const uint64_t mult = pl::LdAllocation::kRange1.get(in, base);
    if (pl::LdAllocation::kRange2.get(in, base) != 0 || mult > (1ull << 36)) {
      return {MboxReturn::kInvalidInput, {}};  // one range per LD here
    }
    bytes.push_back(mult * pl::kLdGranularity);
  }
  Pool next = pool_;
  if (const MboxReturn rc = next.set_ld_allocations(m.id, start, bytes);
      rc != MboxReturn::kSuccess) {
    return {rc, {}};
  }
  const MboxReturn rc = commit(std::move(next), guests_);
  Reply r{rc, {}};
  if (rc == MboxReturn::kSuccess) r.payload.assign(in.begin(), in.end());  // the result, as set
  return r;
}

FabricManager::Reply FabricManager::dcd_info(const DcdSpec& d) const {
  Reply r;
  r.payload.resize(pl::GetDcdInfo::kSize, 0);
  pl::GetDcdInfo::kNumHosts.put(r.payload, pool_.topology().hosts.size());
  pl::GetDcdInfo::kNumRegions.put(r.payload, d.dc_regions.size());
  pl::GetDcdInfo::kAddPolicies.put(r.payload, 0xf);      // free, contiguous, prescriptive, shared
  pl::GetDcdInfo::kReleasePolicies.put(r.payload, 0x3);  // tag-based, prescriptive
  uint64_t total = 0;
  for (size_t i = 0; i < d.dc_regions.size(); ++i) {
    total += d.dc_regions[i].value();
    device::LeField{pl::GetDcdInfo::kBlockSizeMasks + 8 * i, 8}.put(r.payload,
                                                                    d.dc_block_size.value());
  }
  pl::GetDcdInfo::kTotalCapacity.put(r.payload, total / pl::kLdGranularity);
  return r;
}

std::optional<std::string> FabricManager::dcd_host(const Principal& who, uint64_t host_id,
                                                   Reply* refusal) const {
  const PoolHostSpec* h = host_id <= 0xff ? pool_.host_at(static_cast<unsigned>(host_id)) : nullptr;
  if (h == nullptr) {
    *refusal = {MboxReturn::kInvalidInput, {}};
    return std::nullopt;
  }
  if (!who.admin() && h->id != who.host) {
    *refusal = {MboxReturn::kInvalidSecurityState, {}};
    return std::nullopt;
  }
  return h->id;
}

FabricManager::Reply FabricManager::dc_region_config(const Principal& who, const DcdSpec& d,
                                                     Payload in) const {
  if (in.size() != pl::GetHostDcRegionConfigIn::kSize) {
    return {MboxReturn::kInvalidPayloadLength, {}};
  }
  Reply refusal;
  if (!dcd_host(who, pl::GetHostDcRegionConfigIn::kHostId.get(in), &refusal)) return refusal;
  const auto start = static_cast<unsigned>(pl::GetHostDcRegionConfigIn::kStartRegion.get(in));
  const auto limit = static_cast<unsigned>(pl::GetHostDcRegionConfigIn::kRegionCount.get(in));
  const auto regions = static_cast<unsigned>(d.dc_regions.size());
  if (start >= regions) return {MboxReturn::kInvalidInput, {}};
  const unsigned count = std::min(limit, regions - start);
  Reply r;
  r.payload.resize(pl::GetHostDcRegionConfigOut::kRegions, 0);
  pl::GetHostDcRegionConfigOut::kHostId.put(r.payload,
                                            pl::GetHostDcRegionConfigIn::kHostId.get(in));
  pl::GetHostDcRegionConfigOut::kAvailableRegions.put(r.payload, regions);
  pl::GetHostDcRegionConfigOut::kRegionsReturned.put(r.payload, count);
  for (unsigned i = start; i < start + count; ++i) {
    const size_t b = r.payload.size();
    r.payload.resize(b + pl::DcRegionConfig::kSize, 0);
    pl::DcRegionConfig::kBase.put(r.payload, b, Pool::region_base(d, i));
    pl::DcRegionConfig::kDecodeLength.put(r.payload, b, d.dc_regions[i].value());
    pl::DcRegionConfig::kLength.put(r.payload, b, d.dc_regions[i].value());
    pl::DcRegionConfig::kBlockSize.put(r.payload, b, d.dc_block_size.value());
    pl::DcRegionConfig::kAttributes1.put(r.payload, b, d.shared ? pl::kRegionSharable : 0);
  }
  r.payload.resize(r.payload.size() + pl::GetHostDcRegionConfigOut::kTrailerSize, 0);
  return r;
}

FabricManager::Reply FabricManager::dc_extent_lists(const Principal& who, const DcdSpec& d,
                                                    Payload in) const {
  if (in.size() != pl::GetDcExtentListsIn::kSize) return {MboxReturn::kInvalidPayloadLength, {}};
  Reply refusal;
  const auto host = dcd_host(who, pl::GetDcExtentListsIn::kHostId.get(in), &refusal);
  if (!host) return refusal;
  const auto all = pool_.extents(d.id, *host);
  const uint64_t start = pl::GetDcExtentListsIn::kStartIndex.get(in);
  if (start > all.size()) return {MboxReturn::kInvalidInput, {}};
  const uint64_t count =
      std::min<uint64_t>(pl::GetDcExtentListsIn::kExtentCount.get(in), all.size() - start);
  namespace dp = device::payload;
  Reply r;
  r.payload.resize(pl::GetDcExtentListsOut::kExtents + count * dp::DcExtent::kSize, 0);
  pl::GetDcExtentListsOut::kHostId.put(r.payload, pl::GetDcExtentListsIn::kHostId.get(in));
  pl::GetDcExtentListsOut::kStartIndex.put(r.payload, start);
  pl::GetDcExtentListsOut::kReturned.put(r.payload, count);
  pl::GetDcExtentListsOut::kTotal.put(r.payload, all.size());
  pl::GetDcExtentListsOut::kGeneration.put(r.payload, pool_.generation());
  for (uint64_t i = 0; i < count; ++i) {
    const PoolExtent& e = all[start + i];
    const size_t b = pl::GetDcExtentListsOut::kExtents + i * dp::DcExtent::kSize;
    dp::DcExtent::kDpa.put(r.payload, b, e.dpa);
    dp::DcExtent::kLength.put(r.payload, b, e.length);
    std::copy(e.tag.begin(), e.tag.end(),
              r.payload.begin() + static_cast<long>(b + dp::DcExtent::kTag.offset));
  }
  return r;
}

FabricManager::Reply FabricManager::dc_add(const Principal& who, const DcdSpec& d, Payload in) {
  if (!who.admin()) return {MboxReturn::kInvalidSecurityState, {}};
  if (in.size() < pl::InitiateDcAdd::kExtents) return {MboxReturn::kInvalidPayloadLength, {}};
  Reply refusal;
  const auto host = dcd_host(who, pl::InitiateDcAdd::kHostId.get(in), &refusal);
  if (!host) return refusal;
  const auto policy = static_cast<uint8_t>(pl::InitiateDcAdd::kSelectionPolicy.get(in) & 0xf);
  const auto region = static_cast<unsigned>(pl::InitiateDcAdd::kRegionNumber.get(in));
  const uint64_t length = pl::InitiateDcAdd::kLength.get(in);
  const DcTag tag = read_tag(in, pl::InitiateDcAdd::kTag);
  const uint64_t count = pl::InitiateDcAdd::kExtentCount.get(in);
  const size_t extents_size = in.size() - pl::InitiateDcAdd::kExtents;
  Pool next = pool_;
  MboxReturn rc = MboxReturn::kInvalidInput;
  if (policy == pl::kPolicyFree || policy == pl::kPolicyContiguous) {
    rc =
        next.dc_add(d.id, *host, region, length, tag,
                    policy == pl::kPolicyFree ? AddPolicy::kFree : AddPolicy::kContiguous, nullptr);
  } else if (policy == pl::kPolicyPrescriptive) {
    if (extents_size != count * device::payload::DcExtent::kSize) {
      return {MboxReturn::kInvalidExtentList, {}};
    }
    rc = next.dc_add_ranges(d.id, *host, read_ranges(in, pl::InitiateDcAdd::kExtents, count), tag);
  } else if (policy == pl::kPolicyEnableSharedAccess) {
    rc = next.dc_share(d.id, *host, region, tag);
  }
  if (rc != MboxReturn::kSuccess) return {rc, {}};
  return {commit(std::move(next), guests_), {}};
}

FabricManager::Reply FabricManager::dc_release(const Principal& who, const DcdSpec& d, Payload in) {
  if (in.size() < pl::InitiateDcRelease::kExtents) return {MboxReturn::kInvalidPayloadLength, {}};
  Reply refusal;
  const auto host = dcd_host(who, pl::InitiateDcRelease::kHostId.get(in), &refusal);
  if (!host) return refusal;
  const auto policy = static_cast<uint8_t>(pl::InitiateDcRelease::kFlags.get(in) & 0xf);
  const uint64_t count = pl::InitiateDcRelease::kExtentCount.get(in);
  Pool next = pool_;
  MboxReturn rc = MboxReturn::kInvalidInput;
  if (policy == pl::kRemovalPrescriptive) {
    if (in.size() - pl::InitiateDcRelease::kExtents != count * device::payload::DcExtent::kSize) {
      return {MboxReturn::kInvalidExtentList, {}};
    }
    rc = next.dc_release_ranges(d.id, *host,
                                read_ranges(in, pl::InitiateDcRelease::kExtents, count));
  } else if (policy == pl::kRemovalTagBased) {
    rc = next.dc_release_tag(d.id, *host, read_tag(in, pl::InitiateDcRelease::kTag),
                             pl::InitiateDcRelease::kLength.get(in));
  }
  if (rc != MboxReturn::kSuccess) return {rc, {}};
  return {commit(std::move(next), guests_), {}};
}

FabricManager::Reply FabricManager::pool_names() const {
  nlohmann::json j = {{"pool", pool_.topology().name},
                      {"hosts", nlohmann::json::array()},
                      {"ports", nlohmann::json::array()}};
  for (const auto& h : pool_.topology().hosts) {
    j["hosts"].push_back({{"id", h.id}, {"vppbs", h.vppbs}});
  }
  for (unsigned p = 0; p < pool_.port_count(); ++p) {
    const std::string id = pool_.device_at(p);
    j["ports"].push_back({{"id", id}, {"kind", pool_.topology().find_mld(id) ? "mld" : "dcd"}});
  }
  const std::string text = j.dump();
  return {MboxReturn::kSuccess, std::vector<uint8_t>(text.begin(), text.end())};
}

FabricManager::Reply FabricManager::attach_guest(const Principal& who, Payload in) {
  nlohmann::json j = nlohmann::json::parse(in.begin(), in.end(), nullptr, false);
  if (!j.is_object() || !j.contains("host") || !j["host"].is_string() || !j.contains("qmp") ||
      !j["qmp"].is_string()) {
    return {MboxReturn::kInvalidInput, {}};
  }
  const std::string host = j["host"].get<std::string>();
  if (pool_.topology().find_pool_host(host) == nullptr) return {MboxReturn::kInvalidInput, {}};
  if (!who.admin() && who.host != host) return {MboxReturn::kInvalidSecurityState, {}};
  GuestMap guests = guests_;
  if (j["qmp"].get<std::string>().empty()) {  // detach: the guest is gone
    guests.erase(host);
    return {commit(pool_, std::move(guests)), {}};
  }
  if (!options_.connect_guest) return {MboxReturn::kUnsupported, {}};
  guests[host] = j["qmp"].get<std::string>();
  auto guest = options_.connect_guest(host, guests[host]);  // throws: Internal Error
  // The guest gets every LD already bound to its host (a restarted guest, or a late attach).
  if (auto it = pool_.bindings().find(host); it != pool_.bindings().end()) {
    for (const auto& [vppb, ld] : it->second) guest->hot_add(vppb, backing(ld));
  }
  return {commit(pool_, std::move(guests)), {}};
}

FabricManager::Reply FabricManager::pool_state() const {
  const std::string text = encode_pool_state(pool_, guests_);
  return {MboxReturn::kSuccess, std::vector<uint8_t>(text.begin(), text.end())};
}

}  // namespace cxlsim::fm
