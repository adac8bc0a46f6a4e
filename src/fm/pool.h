// The state a fabric manager keeps for a pool (fabric/topology.h: hosts, MLDs, DCDs): which LD
// each host's vPPB is bound to (CXL 3.2 §7.6.7.2.2-3), how much capacity each LD of an MLD has
// (§7.6.7.4.3) and which DC extents each host holds (§7.6.7.6.5-6). Every rule of a change is
// checked here, in one place, before anything changes: a refused change returns the spec's
// return code (§8.2.10 Table 8-34) and leaves the state exactly as it was.
//
// Numbering, as FM-API sees the pool: the VCS ID of a host is its index in the topology's hosts;
// the physical port ID of a device is its index in the MLDs followed by the DCDs; the Host ID of
// DCD commands (the LD-ID of the host interface) is the host's VCS ID. A DCD's DPA space is its
// DC regions one after the other (region i starts at the sum of the sizes before it).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "device/mbox_return_code.h"
#include "fabric/topology.h"

namespace cxlsim::fm {

using device::MboxReturn;

// An LD of a pooled MLD: device id and LD-ID.
struct LdRef {
  std::string device;
  unsigned ld = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  auto operator<=>(const LdRef&) const = default;
};

using DcTag = std::array<uint8_t, 16>;

// A DPA range of a DCD.
struct DpaRange {
  uint64_t dpa = 0;
  uint64_t length = 0;
  auto operator<=>(const DpaRange&) const = default;
};

// Capacity of a DCD that one host may access.
struct PoolExtent {
  std::string device;
  std::string host;
  uint64_t dpa = 0;
  uint64_t length = 0;
  DcTag tag{};
  auto operator<=>(const PoolExtent&) const = default;
};

// How Initiate Dynamic Capacity Add selects capacity (§7.6.7.6.5).
enum class AddPolicy : uint8_t { kFree = 0, kContiguous = 1 };

class Pool {
 public:
  // `t` must validate (topology_validate.h); the pool keeps a copy. Every LD starts with its
  // topology size allocated.
  explicit Pool(Topology t);

  [[nodiscard]] const Topology& topology() const { return t_; }

  // FM-API numbering (see the file comment); nullopt/nullptr when out of range or unknown.
  [[nodiscard]] std::optional<unsigned> vcs_id(const std::string& host) const;
  [[nodiscard]] const PoolHostSpec* host_at(unsigned vcs_id) const;
  [[nodiscard]] std::optional<unsigned> port_id(const std::string& device) const;
  [[nodiscard]] unsigned port_count() const;
  // The device id at a physical port ("" when none).
  [[nodiscard]] std::string device_at(unsigned port_id) const;

  // Binds host's vPPB to `ld`. Invalid Input: unknown host, vPPB, MLD or LD, or an LD without
  // capacity; Busy: the vPPB is already bound, the LD is bound in this VCS already, or it is bound
  // to another host and the MLD is not shared.
  MboxReturn bind(const std::string& host, unsigned vppb, const LdRef& ld);
  // Unbinds host's vPPB. Invalid Input: unknown host or vPPB, or the vPPB is not bound.
  MboxReturn unbind(const std::string& host, unsigned vppb);
  // The LD bound to host's vPPB, if any.
  [[nodiscard]] std::optional<LdRef> bound(const std::string& host, unsigned vppb) const;
  // Hosts an LD is bound to (via any vPPB), in host order.
  [[nodiscard]] std::vector<std::string> hosts_of(const LdRef& ld) const;

  // Bytes allocated to each LD of an MLD (empty for an unknown device).
  [[nodiscard]] std::vector<uint64_t> ld_allocations(const std::string& mld) const;
  // Sets the allocations of LDs start.. (§7.6.7.4.3). Invalid Input: unknown MLD, LDs past the
  // last, a size not a multiple of 256 MiB, or a total above the device's capacity; Busy: a
  // changed LD is bound.
  MboxReturn set_ld_allocations(const std::string& mld, unsigned start,
                                const std::vector<uint64_t>& bytes);

  // Where region `region` of `d` starts in its DPA space.
  [[nodiscard]] static uint64_t region_base(const DcdSpec& d, unsigned region);

  // Initiate DC Add with selection policy Free or Contiguous: `length` bytes of unassigned
  // capacity of the region, at the lowest offsets. Invalid Input: unknown device, host or region,
  // length zero or not a multiple of the block size; Resources Exhausted: not that much
  // unassigned (Contiguous: in one piece). `added` receives the new extents.
  MboxReturn dc_add(const std::string& device, const std::string& host, unsigned region,
                    uint64_t length, const DcTag& tag, AddPolicy policy,
                    std::vector<PoolExtent>* added);
  // Policy Prescriptive: exactly these ranges. Invalid Input: unknown device or host; Invalid
  // Extent List: empty list, a range not block-aligned, outside one region, overlapping another
  // range of the list or capacity this host holds, or held by another host (unless the device is
  // shared and that capacity carries the same tag: then this host gains access to it).
  MboxReturn dc_add_ranges(const std::string& device, const std::string& host,
                           const std::vector<DpaRange>& ranges, const DcTag& tag);
  // Policy Enable Shared Access: `host` gains the extents another host holds with `tag` in
  // `region`. Invalid Input: unknown device, host or region, device not shared, no such tagged
  // capacity, or the host can already access it.
  MboxReturn dc_share(const std::string& device, const std::string& host, unsigned region,
                      const DcTag& tag);
  // Removal policy Prescriptive: each range must be whole blocks inside one extent the host holds
  // (which is split around it). Invalid Input: unknown device or host; Invalid Extent List: empty
  // list, a range not block-aligned, or one the host does not hold.
  MboxReturn dc_release_ranges(const std::string& device, const std::string& host,
                               const std::vector<DpaRange>& ranges);
  // Removal policy Tag-based: every extent the host holds with `tag`. Invalid Input: unknown
  // device or host, or no capacity with that tag; Resources Exhausted: `length` (0: all) exceeds
  // what the tag holds.
  MboxReturn dc_release_tag(const std::string& device, const std::string& host, const DcTag& tag,
                            uint64_t length);

  // Extents of a device a host holds, in DPA order (all hosts' when `host` is empty).
  [[nodiscard]] std::vector<PoolExtent> extents(const std::string& device,
                                                const std::string& host) const;
  [[nodiscard]] const std::vector<PoolExtent>& all_extents() const { return extents_; }
  // host -> (vPPB -> LD).
  [[nodiscard]] const std::map<std::string, std::map<unsigned, LdRef>>& bindings() const {
    return bindings_;
  }
  // Changes so far (the Extent List Generation Number of §7.6.7.6.4 counts all of them).
  [[nodiscard]] uint32_t generation() const { return generation_; }

  // The invariants (no unshared LD bound to two hosts; LD allocations within the device; no
  // capacity held twice unless shared with one tag; every extent inside one region and
  // block-aligned); empty when they hold, else what is wrong.
  [[nodiscard]] std::string check_invariants() const;

  bool operator==(const Pool&) const = default;

 private:
  [[nodiscard]] bool valid_host(const std::string& host) const;
  // Whether `r` is whole blocks inside one region of `d` (no overflow for any values).
  [[nodiscard]] static bool range_fits(const DcdSpec& d, const DpaRange& r);
  // The unassigned pieces of a region, in order.
  [[nodiscard]] std::vector<DpaRange> free_ranges(const DcdSpec& d, unsigned region) const;

  Topology t_;
  std::map<std::string, std::map<unsigned, LdRef>> bindings_;
  std::map<std::string, std::vector<uint64_t>> ld_bytes_;
  std::vector<PoolExtent> extents_;  // kept in (device, dpa, host) order
  uint32_t generation_ = 0;
};

}  // namespace cxlsim::fm
