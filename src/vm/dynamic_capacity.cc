#include "vm/dynamic_capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "device/mbox_payload.h"
#include "spec/error.h"
#include "spec/units.h"

namespace cxlsim::vm {
namespace {

using nlohmann::json;

struct Region {
  uint64_t base = 0;
  uint64_t length = 0;
  uint64_t block = 0;
};

// The DC regions of device `id` of `t`, at the DPAs the device reports (after its static
// capacity, in order: CXL 3.1 §8.2.9.9.9.2; QEMU 10's cxl_create_dc_regions does the same).
std::vector<Region> regions_of(const Topology& t, const std::string& id) {
  const auto d =
      std::find_if(t.type3.begin(), t.type3.end(), [&](const Type3Spec& s) { return s.id == id; });
  if (d == t.type3.end()) {
    throw ValidationError(fmt::format("device '{}': no such Type 3 device in the topology", id));
  }
  if (d->dc_regions.empty()) {
    throw ValidationError(fmt::format("device '{}' has no dynamic capacity regions", id));
  }
  std::vector<Region> out;
  uint64_t base = d->volatile_size.value() + d->persistent_size.value();
  for (Bytes len : d->dc_regions) {
    out.push_back({base, len.value(), d->dc_block_size.value()});
    base += len.value();
  }
  return out;
}

// The region index of every extent, checked; `region` when given must agree.
unsigned region_index(const std::vector<Region>& regions, const std::string& device,
                      std::optional<unsigned> region, const std::vector<DcRange>& extents) {
  if (region && *region >= regions.size()) {
    throw ValidationError(fmt::format("device '{}': DC region {} does not exist (it has {})",
                                      device, *region, regions.size()));
  }
  std::optional<unsigned> found = region;
  for (const auto& e : extents) {
    const auto r = std::find_if(regions.begin(), regions.end(), [&](const Region& g) {
      return e.dpa >= g.base && e.length <= g.length && e.dpa - g.base <= g.length - e.length;
    });
    if (e.length == 0 || r == regions.end()) {
      throw ValidationError(fmt::format("extent {:#x}:{:#x}: not inside a DC region of '{}'", e.dpa,
                                        e.length, device));
    }
    const auto index = static_cast<unsigned>(r - regions.begin());
    if (found && *found != index) {
      throw ValidationError(
          fmt::format("extent {:#x}:{:#x} is in DC region {}, not {}: one "
                      "request names one region",
                      e.dpa, e.length, index, *found));
    }
    if ((e.dpa - r->base) % r->block != 0 || e.length % r->block != 0) {
      throw ValidationError(
          fmt::format("extent {:#x}:{:#x}: not a multiple of DC region {}'s "
                      "block size {}",
                      e.dpa, e.length, index, format_bytes(Bytes(r->block))));
    }
    found = index;
  }
  if (!found) throw ValidationError("a DC region (--region) or an extent is required");
  return *found;
}

json offsets(const std::vector<Region>& regions, unsigned region,
             const std::vector<DcRange>& extents) {
  json out = json::array();
  for (const auto& e : extents) {
    out.push_back({{"offset", e.dpa - regions[region].base}, {"len", e.length}});
  }
  return out;
}

std::string qom_path(const std::string& device) { return "/machine/peripheral/" + device; }

}  // namespace

std::string dc_tag_uuid(const std::string& tag) {
  try {
    return device::format_uuid(device::parse_uuid(tag));
  } catch (const std::invalid_argument&) {
    throw ValidationError(
        fmt::format("tag '{}': expected a UUID (32 hex digits, dashes allowed)", tag));
  }
}

json dc_add_arguments(const Topology& t, const DcAddRequest& r) {
  const auto regions = regions_of(t, r.device);
  const bool prescriptive = r.policy == DcSelectionPolicy::kPrescriptive;
  if (prescriptive ? r.extents.empty() : (!r.region || r.length == 0)) {
    throw ValidationError(prescriptive
                              ? "dc-add: policy Prescriptive needs an extent (DPA:LENGTH)"
                              : "dc-add: policy Free or Contiguous needs a region and a length");
  }
  const unsigned region = region_index(regions, r.device, r.region, r.extents);
  json extents = offsets(regions, region, r.extents);
  if (!prescriptive) extents.push_back({{"offset", 0}, {"len", r.length}});
  static constexpr const char* kPolicy[] = {"free", "contiguous", "prescriptive"};
  json a = {{"path", qom_path(r.device)},
            {"host-id", r.host_id},
            {"selection-policy", kPolicy[static_cast<int>(r.policy)]},
            {"region", region},
            {"extents", extents}};
  if (!r.tag.empty()) a["tag"] = dc_tag_uuid(r.tag);
  return a;
}

json dc_release_arguments(const Topology& t, const DcReleaseRequest& r) {
  const auto regions = regions_of(t, r.device);
  if (r.extents.empty() && r.tag.empty()) {
    throw ValidationError("dc-release: an extent (DPA:LENGTH) or a tag is required");
  }
  const unsigned region = region_index(regions, r.device, r.region, r.extents);
  json a = {{"path", qom_path(r.device)},
            {"host-id", r.host_id},
            {"removal-policy", r.extents.empty() ? "tag-based" : "prescriptive"},
            {"forced-removal", r.forced},
            {"sanitize-on-release", r.sanitize},
            {"region", region},
            {"extents", offsets(regions, region, r.extents)}};
  if (!r.tag.empty()) a["tag"] = dc_tag_uuid(r.tag);
  return a;
}

void dc_add(Qmp& qmp, const Topology& t, const DcAddRequest& r) {
  qmp.execute("cxl-add-dynamic-capacity", dc_add_arguments(t, r));
}

void dc_release(Qmp& qmp, const Topology& t, const DcReleaseRequest& r) {
  qmp.execute("cxl-release-dynamic-capacity", dc_release_arguments(t, r));
}

}  // namespace cxlsim::vm
