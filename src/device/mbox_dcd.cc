// Dynamic Capacity (CXL 3.1 §8.2.9.9.9): Get Dynamic Capacity Configuration (4800h), Get
// Dynamic Capacity Extent List (4801h), Add Dynamic Capacity Response (4802h), Release Dynamic
// Capacity (4803h). Extents come from the fabric manager (MemdevCci::offer_dc_extents) as Add
// Capacity events; only accepted extents are readable (MemdevCci::check_access).
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr size_t kRegionConfigSize = 0x28;
constexpr size_t kExtentSize = 0x28;
constexpr size_t kUpdatedExtentSize = 0x18;

// Input (Table 8-164): Region Count (1), Starting Region Index (1). Output (Table 8-165).
MboxReturn get_dc_config(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  const size_t want = get_u8(in, 0);
  const size_t start = get_u8(in, 1);
  if (start >= dc.regions.size()) return MboxReturn::kInvalidInput;
  const size_t tail = 16;  // extents/tags supported and available
  const size_t fit = (dev.mailbox().payload_size() - 8 - tail) / kRegionConfigSize;
  const size_t n = std::min({want, dc.regions.size() - start, fit});
  put_le(out, 0, dc.regions.size(), 1);
  put_le(out, 1, n, 1);
  out.resize(8, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto& r = dc.regions[start + i];
    const size_t at = out.size();
    put_le(out, at + 0x00, r.base, 8);
    put_le(out, at + 0x08, (r.length + kCapacityUnit - 1) / kCapacityUnit, 8);  // decode length
    put_le(out, at + 0x10, r.length, 8);
    put_le(out, at + 0x18, r.block_size, 8);
    put_le(out, at + 0x20, r.dsmad_handle, 4);
    put_le(out, at + 0x24, r.sanitize_on_release ? 1u << 3 : 0, 4);
  }
  const size_t at = out.size();
  const auto used = dc.accepted.size() + dc.pending.size();
  put_le(out, at + 0, dc.max_extents, 4);
  put_le(out, at + 4, dc.max_extents - used, 4);
  put_le(out, at + 8, 0, 4);   // tags supported
  put_le(out, at + 12, 0, 4);  // tags available
  return MboxReturn::kSuccess;
}

// Input (Table 8-166): Extent Count (4), Starting Extent Index (4). Output (Table 8-167).
MboxReturn get_dc_extents(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const auto& dc = dev.state().dc;
  if (dc.regions.empty()) return MboxReturn::kUnsupported;
  const size_t want = get_u32(in, 0);
  const size_t start = get_u32(in, 4);
  if (start > dc.accepted.size()) return MboxReturn::kInvalidInput;
  const size_t fit = (dev.mailbox().payload_size() - 0x10) / kExtentSize;
  const size_t n = std::min({want, dc.accepted.size() - start, fit});
  put_le(out, 0x0, n, 4);
  put_le(out, 0x4, dc.accepted.size(), 4);
  put_le(out, 0x8, dc.generation, 4);
  put_le(out, 0xc, 0, 4);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = dc.accepted[start + i];
    const size_t at = out.size();
    put_le(out, at, e.dpa, 8);
    put_le(out, at + 8, e.length, 8);
    put_bytes(out, at + 16, e.tag);
    put_le(out, at + 32, e.shared_sequence, 2);
    put_le(out, at + 34, 0, 6);
  }
  return MboxReturn::kSuccess;
}

// Input (Table 8-168): Updated Extent List Size (4), Flags (1), reserved (3), extents
// {DPA (8), Length (8), reserved (8)}. Decodes and checks the list against the regions:
// block-aligned, inside one region, no overlap within the list.
MboxReturn decode_extent_list(const DynamicCapacity& dc, std::span<const uint8_t> in,
                              std::vector<DcExtent>& list) {
  const size_t count = get_u32(in, 0);
  if (in.size() != 8 + count * kUpdatedExtentSize) return MboxReturn::kInvalidPayloadLength;
  for (size_t i = 0; i < count; ++i) {
    DcExtent e;
    e.dpa = get_u64(in, 8 + i * kUpdatedExtentSize);
    e.length = get_u64(in, 16 + i * kUpdatedExtentSize);
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
  if (get_u32(in, 0) == 0) return MboxReturn::kInvalidInput;
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
               fixed_input(2), 0, gate::kNone});
  t.push_back({opcode::kGetDcExtentList, "Get Dynamic Capacity Extent List", get_dc_extents,
               fixed_input(8), 0, gate::kNone});
  t.push_back({opcode::kAddDcResponse, "Add Dynamic Capacity Response", add_dc_response,
               variable_input(8), effect::kImmediateConfigChange | effect::kImmediateDataChange,
               gate::kNone});
  t.push_back({opcode::kReleaseDc, "Release Dynamic Capacity", release_dc, variable_input(8),
               effect::kImmediateConfigChange | effect::kImmediateDataChange, gate::kNone});
}

}  // namespace cxlsim::device
