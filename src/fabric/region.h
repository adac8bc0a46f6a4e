// Regions created the way Linux 6.1 creates them (drivers/cxl/core/region.c, cxl create-region):
// the same constraints with the same reasons, the same decoder choices, interleave settings
// and target-list order at every port, DPA allocation in partition order, and commit bottom-up.
// RegionManager is a host agent: it changes the fabric only by writing HDM decoder registers;
// decode follows from what the registers then say.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fabric/fabric.h"
#include "fabric/linux_names.h"
#include "fabric/region_order.h"
#include "spec/error.h"

namespace cxlsim {

// A region Linux would refuse; what() is Linux's reason, with the objects named.
class RegionError : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

// kDc: over a memdev's Dynamic Capacity (CXL 3.1 §9.13.3, Linux's DCD "dc" region mode): the
// decoders map all of it; only extents the host accepted hold memory (Memdev::read's
// kNoCapacity elsewhere), as the device's state says.
enum class RegionMode : uint8_t { kPmem, kRam, kDc };

struct RegionRequest {
  size_t window = 0;
  unsigned ways = 1;
  std::optional<Bytes> granularity;     // default: the window's granularity
  std::optional<Bytes> size;            // default: ways x the smallest free DPA, as cxl-cli does
  std::vector<std::string> targets;     // memdev ids in position order; empty: chosen here
  RegionMode mode = RegionMode::kPmem;  // Linux 6.1 creates pmem regions only
  // Which devices automatic target choice picks (explicit targets carry their own kind). A
  // region never mixes kinds: Type 2 memory is device-coherent (HDM-D) and needs a window
  // with the type2 restriction; Type 3 memory is host-only coherent (HDM-H) and needs type3.
  DeviceKind kind = DeviceKind::kType3;
};

// One endpoint of a region (Linux's region targetN / cxl list "mappings").
struct RegionTarget {
  unsigned position = 0;
  size_t memdev = 0;
  unsigned decoder = 0;  // endpoint HDM decoder index
  Dpa dpa_base;
  Bytes dpa_size;
  Bytes dpa_skip;
};

// The decoder a region uses at one port, with what Linux computed for it.
struct RegionPortDecoder {
  Port* port = nullptr;
  unsigned decoder = 0;  // index; for a pass-through port the virtual decoder 0
  bool passthrough = false;
  unsigned ways = 1;
  Bytes granularity;
  std::vector<const Dport*> targets;  // target list, in the order Linux fills it
};

struct Region {
  unsigned id = 0;  // regionN
  size_t window = 0;
  Hpa base;
  Bytes size;
  unsigned ways = 1;
  Bytes granularity;
  RegionMode mode = RegionMode::kPmem;
  DeviceKind kind = DeviceKind::kType3;  // of every target; decoders' Target Device Type
  std::vector<RegionTarget> targets;     // by position
  std::vector<RegionPortDecoder> ports;  // host bridges first, then switches, by first use
  [[nodiscard]] Hpa end() const { return base + size; }
};

class RegionManager {
 public:
  explicit RegionManager(Fabric& fabric);

  // Validates, allocates, programs and commits. Throws RegionError with Linux's reason for a
  // region Linux would refuse, ValidationError for a request naming what does not exist (a
  // window, a memdev); on failure no decoder is left committed and nothing is allocated.
  const Region& create(const RegionRequest& request);
  // Decommits top-down and frees DPA. Throws RegionError when a decoder refuses (out-of-order
  // reset) or the region does not exist.
  void destroy(unsigned region_id);

  [[nodiscard]] const std::vector<std::unique_ptr<Region>>& regions() const { return regions_; }
  [[nodiscard]] const Region* find(unsigned region_id) const;
  [[nodiscard]] const LinuxNames& names() const { return names_; }
  // The region using `memdev`'s endpoint decoder `n`, if any.
  [[nodiscard]] const Region* region_of_endpoint_decoder(size_t memdev, unsigned n) const;
  // The region using decoder `n` of `port`, if any.
  const Region* region_of_port_decoder(const Port* port, unsigned n) const;
  // Free DPA of `memdev` in `mode`: from the end of its last allocation to the partition end
  // (DC: the end of its DC regions).
  [[nodiscard]] Bytes free_dpa(size_t memdev, RegionMode mode) const;
  // Memdevs of `kind` in the order create() picks them when no targets are given: an order
  // Linux accepts whenever one exists among the memdevs with free capacity in `mode` and ports
  // with a free decoder (find_target_order, region_order.h); empty when none does.
  // `granularity`: the region's (default: the window's).
  [[nodiscard]] std::vector<size_t> auto_targets(size_t window, unsigned ways, RegionMode mode,
                                                 DeviceKind kind = DeviceKind::kType3,
                                                 std::optional<Bytes> granularity = {}) const;
  // The first decoder of `port` no region uses (decoder 0 of a pass-through port), if any.
  [[nodiscard]] std::optional<unsigned> free_port_decoder(const Port& port) const;

 private:
  // The steps of create(), each named after the Linux 6.1 function (drivers/cxl/core) it follows.
  struct Plan;
  // Targets given or chosen (cxl-cli's create-region picks them when none are given).
  std::vector<size_t> resolve_targets(const RegionRequest& r, Plan& plan) const;
  // The window's CFMWS restrictions against the region's kind and mode (region.c: create_region).
  void check_restrictions(const Plan& plan) const;
  // hdm.c: cxl_dpa_alloc.
  void allocate_dpa(Plan& plan) const;
  // region.c: cxl_region_attach, cxl_port_attach_region (positions, ports on each path).
  void attach(Plan& plan) const;
  // region.c: cxl_port_setup_targets (each port's ways, granularity and target list).
  void setup_targets(Plan& plan) const;
  // region.c: cxl_region_decode_commit with hdm.c: cxl_decoder_commit, bottom-up.
  void program_and_commit(Plan& plan);
  // region.c: alloc_hpa.
  [[nodiscard]] Hpa allocate_hpa(const Cfmws& w, Bytes size) const;
  [[nodiscard]] std::string memdev_name(size_t m) const;
  // The search auto_targets runs: memdevs of `kind` with free capacity in `mode`.
  [[nodiscard]] TargetOrderQuery order_query(size_t window, unsigned ways, RegionMode mode,
                                             DeviceKind kind,
                                             std::optional<Bytes> granularity) const;

  Fabric& fabric_;
  LinuxNames names_;
  std::vector<std::unique_ptr<Region>> regions_;
};

const char* to_string(RegionMode mode);

}  // namespace cxlsim
