// Dynamic Capacity (CXL 3.1 §8.2.9.9.9): Get Dynamic Capacity Configuration (4800h), Get
// Dynamic Capacity Extent List (4801h), Add Dynamic Capacity Response (4802h), Release Dynamic
// Capacity (4803h). Extents come from the fabric manager (MemdevCci::offer_dc_extents) as Add
// Capacity events; only accepted extents are readable (MemdevCci::check_access).
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

// Input (Table 8-164): Region Count (1), Starting Region Index (1). Output (Table 8-165).
MboxReturn get_dc_config(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  using L = payload::DcConfig;
  using R = payload::DcRegionConfig;
  using T = payload::DcConfigTotals;
  const size_t want = payload::GetDcConfig::kRegionCount.get(in);
  const size_t start = payload::GetDcConfig::kStartRegion.get(in);
  if (start >= dc.regions.size()) return MboxReturn::kInvalidInput;
  const size_t fit = (dev.mailbox().payload_size() - L::kRegions - T::kSize) / R::kSize;
  const size_t n = std::min({want, dc.regions.size() - start, fit});
  L::kAvailableRegions.put(out, dc.regions.size());
  L::kRegionsReturned.put(out, n);
  out.resize(L::kRegions + n * R::kSize + T::kSize, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto& r = dc.regions[start + i];
    const size_t at = L::kRegions + i * R::kSize;
    R::kBase.put(out, at, r.base);
    R::kDecodeLength.put(out, at, (r.length + kCapacityUnit - 1) / kCapacityUnit);
    R::kLength.put(out, at, r.length);
    R::kBlockSize.put(out, at, r.block_size);
    R::kDsmadHandle.put(out, at, r.dsmad_handle);
    R::kFlags.put(out, at, r.sanitize_on_release ? 1u << 3 : 0);
  }
  const size_t at = L::kRegions + n * R::kSize;
  const auto used = dc.accepted.size() + dc.pending.size();
  T::kExtentsSupported.put(out, at, dc.max_extents);
  T::kExtentsAvailable.put(out, at, dc.max_extents - used);
  T::kTagsSupported.put(out, at, 0);
  T::kTagsAvailable.put(out, at, 0);
  return MboxReturn::kSuccess;
}

// Input (Table 8-166): Extent Count (4), Starting Extent Index (4). Output (Table 8-167).
MboxReturn get_dc_extents(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  using L = payload::DcExtentList;
  using E = payload::DcExtent;
  const size_t want = payload::GetDcExtentList::kExtentCount.get(in);
  const size_t start = payload::GetDcExtentList::kStartIndex.get(in);
  if (start > dc.accepted.size()) return MboxReturn::kInvalidInput;
  const size_t fit = (dev.mailbox().payload_size() - L::kExtents) / E::kSize;
  const size_t n = std::min({want, dc.accepted.size() - start, fit});
  out.resize(L::kExtents + n * E::kSize, 0);
  L::kReturned.put(out, n);
  L::kTotal.put(out, dc.accepted.size());
  L::kGeneration.put(out, dc.generation);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = dc.accepted[start + i];
    const size_t at = L::kExtents + i * E::kSize;
    E::kDpa.put(out, at, e.dpa);
    E::kLength.put(out, at, e.length);
    put_bytes(out, at + E::kTag.offset, e.tag);
    E::kSharedSequence.put(out, at, e.shared_sequence);
  }
  return MboxReturn::kSuccess;
}

// Input (Table 8-168): Updated Extent List Size (4), Flags (1), reserved (3), extents
// {DPA (8), Length (8), reserved (8)}. Decodes and checks the list against the regions:
// block-aligned, inside one region, no overlap within the list.
MboxReturn decode_extent_list(const DynamicCapacity& dc, std::span<const uint8_t> in,
                              std::vector<DcExtent>& list) {
  using L = payload::UpdatedExtentList;
  using E = payload::UpdatedExtent;
  const size_t count = L::kCount.get(in);
  if (in.size() != L::kExtents + count * E::kSize) return MboxReturn::kInvalidPayloadLength;
  for (size_t i = 0; i < count; ++i) {
    DcExtent e;
    e.dpa = E::kDpa.get(in, L::kExtents + i * E::kSize);
    e.length = E::kLength.get(in, L::kExtents + i * E::kSize);
    const auto region = dc.region_of(e.dpa, e.length);
    if (!region || e.length == 0) return MboxReturn::kInvalidPhysicalAddress;
    const uint64_t bs = dc.regions[*region].block_size;
    if (e.dpa % bs || e.length % bs) return MboxReturn::kInvalidPhysicalAddress;
    for (const auto& o : list) {
      if (o.overlaps(e.dpa, e.length)) return MboxReturn::kInvalidExtentList;
    }
    list.push_back(e);
  }
  return MboxReturn::kSuccess;
}

const DcExtent* containing(const std::vector<DcExtent>& v, const DcExtent& e) {
  for (const auto& o : v) {
    if (e.dpa >= o.dpa && e.dpa + e.length <= o.dpa + o.length) return &o;
  }
  return nullptr;
}

// Accepts a subset of the pending (offered) extents; the rest of the offer is dropped.
MboxReturn add_dc_response(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  std::vector<DcExtent> list;
  if (auto rc = decode_extent_list(dc, in, list); rc != MboxReturn::kSuccess) return rc;
  for (auto& e : list) {
    const DcExtent* offer = containing(dc.pending, e);
    if (!offer) return MboxReturn::kInvalidExtentList;
    e.tag = offer->tag;
    e.shared_sequence = offer->shared_sequence;
  }
  if (dc.accepted.size() + list.size() > dc.max_extents) return MboxReturn::kResourcesExhausted;
  for (const auto& e : list) dc.accepted.push_back(e);
  std::sort(dc.accepted.begin(), dc.accepted.end(),
            [](const DcExtent& a, const DcExtent& b) { return a.dpa < b.dpa; });
  dc.pending.clear();
  ++dc.generation;
  return MboxReturn::kSuccess;
}

// Returns accepted capacity to the device; each extent must lie within accepted capacity.
MboxReturn release_dc(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  if (payload::UpdatedExtentList::kCount.get(in) == 0) return MboxReturn::kInvalidInput;
  std::vector<DcExtent> list;
  if (auto rc = decode_extent_list(dc, in, list); rc != MboxReturn::kSuccess) return rc;
  for (const auto& e : list) {
    if (!dc.accepted_covers(e.dpa, e.length)) return MboxReturn::kInvalidExtentList;
  }
  // Splitting an extent in two needs a free extent slot.
  DynamicCapacity probe = dc;
  for (const auto& e : list) probe.release(e.dpa, e.length);
  if (probe.accepted.size() > dc.max_extents) return MboxReturn::kResourcesExhausted;
  for (const auto& e : list) {
    const auto region = *dc.region_of(e.dpa, e.length);
    if (dc.regions[region].sanitize_on_release) dev.media().erase(Dpa(e.dpa), Bytes(e.length));
  }
  dc.accepted = std::move(probe.accepted);
  ++dc.generation;
  return MboxReturn::kSuccess;
}

}  // namespace

void add_dcd_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetDcConfig, "Get Dynamic Capacity Configuration", get_dc_config,
               fixed_input(payload::GetDcConfig::kSize), 0, gate::kNone});
  t.push_back({opcode::kGetDcExtentList, "Get Dynamic Capacity Extent List", get_dc_extents,
               fixed_input(payload::GetDcExtentList::kSize), 0, gate::kNone});
  t.push_back({opcode::kAddDcResponse, "Add Dynamic Capacity Response", add_dc_response,
               variable_input(payload::UpdatedExtentList::kExtents),
               effect::kImmediateConfigChange | effect::kImmediateDataChange, gate::kNone});
  t.push_back({opcode::kReleaseDc, "Release Dynamic Capacity", release_dc,
               variable_input(payload::UpdatedExtentList::kExtents),
               effect::kImmediateConfigChange | effect::kImmediateDataChange, gate::kNone});
}

}  // namespace cxlsim::device
