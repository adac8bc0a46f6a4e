// Dynamic capacity on a running QEMU 10 guest (docs/vm.md, "Dynamic capacity over QMP"): the
// fabric manager's Initiate Dynamic Capacity Add / Release (CXL 3.1 §7.6.7.6.5-6) as QEMU 10's
// QMP commands cxl-add-dynamic-capacity / cxl-release-dynamic-capacity (qapi/cxl.json), which
// queue the extents and log Dynamic Capacity Event Records the guest answers with Add Dynamic
// Capacity Response (4802h) / Release Dynamic Capacity (4803h).
//
// Extents are given as cxlsim's `mbox dc` and `fm dc-add` give them: device physical addresses
// (DPA) and lengths. QEMU takes offsets from the DC region's base; the conversion uses the
// topology's Type 3 device, whose DC regions start after its static capacity (as QEMU's and
// cxlsim's devices both place them).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fabric/topology.h"
#include "vm/qmp.h"

namespace cxlsim::vm {

struct DcRange {
  uint64_t dpa = 0;
  uint64_t length = 0;
};

// Selection policies of Initiate Dynamic Capacity Add (CXL 3.1 Table 7-70); QEMU 10 implements
// Prescriptive only and answers the others with an error.
enum class DcSelectionPolicy { kFree, kContiguous, kPrescriptive };

struct DcAddRequest {
  std::string device;  // the Type 3 device's topology id, its QEMU id
  uint16_t host_id = 0;
  std::optional<unsigned> region;  // DC region index; from the extents when absent
  DcSelectionPolicy policy = DcSelectionPolicy::kPrescriptive;
  std::vector<DcRange> extents;  // Prescriptive: the extents
  uint64_t length = 0;           // Free, Contiguous: the bytes wanted (sent as one extent at
                                 // offset 0: QEMU's extent list is required)
  std::string tag;               // a UUID, or 32 hex digits; empty: none
};

struct DcReleaseRequest {
  std::string device;
  uint16_t host_id = 0;
  std::optional<unsigned> region;
  std::vector<DcRange> extents;  // Prescriptive removal; empty: Tag-based (by `tag`)
  std::string tag;
  bool forced = false;
  bool sanitize = false;
};

// The QMP arguments of each command for a guest booted from `t`. Throws ValidationError when
// the device is no Type 3 of `t` or has no DC regions, the region index is out of range, an
// extent is empty, not a multiple of the region's block size or outside the region, the
// extents span regions, Free/Contiguous lacks a region or a length, the tag is no UUID, or nothing
// names what to release.
nlohmann::json dc_add_arguments(const Topology& t, const DcAddRequest& r);
nlohmann::json dc_release_arguments(const Topology& t, const DcReleaseRequest& r);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" for a UUID in either spelling (32 hex digits, or
// already dashed); throws ValidationError otherwise.
std::string dc_tag_uuid(const std::string& tag);

// Sends the command; QEMU's refusals come back as QmpError (its text quoted).
void dc_add(Qmp& qmp, const Topology& t, const DcAddRequest& r);
void dc_release(Qmp& qmp, const Topology& t, const DcReleaseRequest& r);

}  // namespace cxlsim::vm
