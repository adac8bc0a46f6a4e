// The live fabric: the components a Topology describes, with their registers, wired together
// (CXL 3.1 §9.12): CFMWS windows -> host bridges -> root ports -> [switches]* -> memdevs.
// "Memdev" here is any endpoint with host-managed device memory: the topology's Type 3 devices
// (indices 0..type3-1, topology order), then the memory side of its Type 2 devices
// (Memdev::is_type2()); both decode, read, write and commit alike.
//
// Decode reads only committed HDM decoder registers. trace() walks them per access (the
// reference, and what `cxlsim decode` shows); decode() uses tables compiled from the same walk
// whenever any decoder commits or decommits.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "device/memdev.h"
#include "fabric/cfmws.h"
#include "fabric/decode_table.h"
#include "fabric/endpoint.h"
#include "fabric/host_bridge.h"
#include "fabric/port.h"
#include "fabric/topology.h"
#include "spec/cedt.h"
#include "spec/component_registers.h"
#include "spec/config_space.h"

namespace cxlsim {

// An access to an HPA no committed decoder maps.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A host access that decodes to Dynamic Capacity outside every extent the host accepted
// (CXL 3.1 §9.13.3); the message names the memdev, DPA and HPA.
class NoCapacityError : public DecodeError {
 public:
  using DecodeError::DecodeError;
};

// First window base when none is given: QEMU 7.2 on q35 with <= 2 GiB RAM places CXL fixed
// memory windows at ROUND_UP(4 GiB + 1 MiB of CXL host bridge registers, 256 MiB).
constexpr uint64_t kFirstWindowBase = 0x110000000ull;
// QEMU 7.2 maps the component register blocks (CHBCR) of its CXL host bridges into a 1 MiB
// region at 4 GiB (q35, no hotplug memory), 64 KiB apart in the order hw/cxl/cxl-host.c walks
// the root bus's child buses. pxb buses are inserted at the head of that list, so the last host
// bridge on the command line gets the first block: host bridge i of n sits at
// kHostBridgeRegisterBase + (n - 1 - i) x 64 KiB.
constexpr uint64_t kHostBridgeRegisterBase = 0x100000000ull;

// The registers of one component, found by its topology id. Non-owning: valid while the
// Fabric lives.
struct ComponentRegisterView {
  std::string id;
  ComponentKind kind = ComponentKind::kHostBridge;
  const ConfigSpace* config = nullptr;  // nullptr for a host bridge
  const ComponentRegisters* component = nullptr;
  // The capability the block routes HDM offsets to (its descriptor table names the fields);
  // nullptr for dports and pass-through ports.
  const HdmDecoderCapability* hdm = nullptr;
  std::optional<Hpa> chbcr;  // host bridges: the CHBS base
};

// One level of a decode walk.
struct DecodeStep {
  std::string component;            // window, host bridge or switch upstream port id
  std::optional<unsigned> decoder;  // HDM decoder index; nullopt: window or pass-through
  Hpa decoder_base;
  Bytes decoder_size;
  unsigned ways = 1;
  Bytes granularity;
  unsigned position = 0;  // the target index selected
  std::string target;     // id of the selected host bridge or dport
};

struct DecodeTrace {
  size_t window = 0;
  std::vector<DecodeStep> steps;
  size_t memdev = 0;
  unsigned endpoint_decoder = 0;
  Hpa endpoint_decoder_base;
  Bytes endpoint_decoder_size;
  unsigned endpoint_ways = 1;
  Bytes endpoint_granularity;
  Dpa dpa;
};

// Memory in a host address range that a device would not serve: poisoned lines (kPoisoned),
// dynamic capacity outside the accepted extents (kNoCapacity), a locked device (kLocked) or one
// whose media is disabled (kMediaDisabled). What the device's command state says, found by
// Fabric::media_faults.
struct MediaFault {
  size_t memdev = 0;
  Dpa dpa;       // first faulty DPA
  Bytes length;  // of the fault on the device (a poison record, an unaccepted DC range)
  Hpa hpa;       // where the host reaches `dpa`
  device::MediaAccess what = device::MediaAccess::kOk;
};

// Component parameters the topology does not carry.
struct FabricOptions {
  // HDM decoders per host bridge / switch upstream port with more than one dport, and per
  // memdev (QEMU 7.2 implements 1 of each; QEMU 8.1 and later 4). Unset: the topology's
  // hdm_decoders, else kDefaultHdmDecoders.
  static constexpr unsigned kDefaultHdmDecoders = 4;
  std::optional<unsigned> port_decoders = std::nullopt;
  std::optional<unsigned> endpoint_decoders = std::nullopt;
  // false: backing files are named but not opened or created (memdevs hold anonymous RAM);
  // for views that never touch device data (list, decode, map, regs).
  bool map_backing_files = true;
  // Where memdevs' command states are kept (`cxlsim mbox --state-dir`); "": beside each
  // device's backing file (device::state_path_for).
  std::string state_dir = {};
};

class Fabric {
 public:
  // Builds every component. Throws ValidationError naming the offending element for
  // references that do not resolve and for shapes the fabric cannot represent.
  static std::unique_ptr<Fabric> build(const Topology& topology, const FabricOptions& options = {});
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  [[nodiscard]] const Topology& topology() const { return topology_; }
  [[nodiscard]] const std::vector<Cfmws>& windows() const { return windows_; }
  [[nodiscard]] const std::vector<std::unique_ptr<HostBridge>>& host_bridges() const {
    return host_bridges_;
  }
  // Switch upstream ports, in topology order.
  [[nodiscard]] const std::vector<std::unique_ptr<Port>>& switches() const { return switches_; }

  // Type 3 memdevs and Type 2 devices (after them).
  [[nodiscard]] size_t memdev_count() const { return memdevs_.size(); }
  Memdev& memdev(size_t i) { return *memdevs_.at(i); }
  [[nodiscard]] const Memdev& memdev(size_t i) const { return *memdevs_.at(i); }
  [[nodiscard]] std::optional<size_t> find_memdev(std::string_view id) const;
  [[nodiscard]] const Endpoint& endpoint(size_t memdev) const { return endpoints_.at(memdev); }
  // Component ids from the host bridge down: host bridge, root port, [switch, downstream
  // port]*, memdev. Independent of windows.
  [[nodiscard]] std::vector<std::string> memdev_path(size_t memdev) const;
  // Ports from the host bridge down to the memdev's parent port (the memdev's cxl_port chain).
  [[nodiscard]] std::vector<Port*> port_chain(size_t memdev) const;

  // Every component's registers in tree order (host bridge, its root ports, the switches and
  // endpoints below each, depth first), and one of them by id.
  [[nodiscard]] std::vector<ComponentRegisterView> components() const;
  [[nodiscard]] std::optional<ComponentRegisterView> find_component(std::string_view id) const;
  // The ACPI CEDT firmware would publish (CXL 3.1 §9.18): a CHBS per host bridge (CXL 2.0+,
  // base = its CHBCR), then a CFMWS per window (HPA, ENIW/HBIG, restrictions, host bridge UIDs
  // in interleave order).
  [[nodiscard]] Cedt cedt() const;

  [[nodiscard]] std::optional<DecodeResult> decode(Hpa hpa) const { return table_.decode(hpa); }
  [[nodiscard]] std::optional<Hpa> dpa_to_hpa(size_t memdev, Dpa dpa) const {
    return table_.to_hpa(memdev, dpa);
  }
  // The reference walk of committed decoders; nullopt when some level does not map `hpa`.
  [[nodiscard]] std::optional<DecodeTrace> trace(Hpa hpa) const;
  [[nodiscard]] const DecodeTable& decode_table() const { return table_; }
  // Faults of the memory [base, base + size) maps, asked of each device (its poison list, DC
  // extents, security state), in memdev then DPA order. A fault counts when its first or last
  // line maps into the range.
  [[nodiscard]] std::vector<MediaFault> media_faults(Hpa base, Bytes size) const;

  // Reads/writes through decode, split at granule boundaries. Throw DecodeError naming the
  // first unmapped HPA; throw NoCapacityError when a device has no accepted DC extent
  // there (Memdev::read's kNoCapacity). Return kOk, or the first other status a device gave
  // (poison, locked,
  // ...; see Memdev::read): the rest of the access still goes ahead, as on hardware.
  [[nodiscard]] device::MediaAccess read(Hpa hpa, std::span<std::byte> out) const;
  device::MediaAccess write(Hpa hpa, std::span<const std::byte> in);

  // Rebuilds the decode tables from committed registers; called on every commit change.
  void recompile();

 private:
  [[nodiscard]] NoCapacityError no_capacity(size_t memdev, Dpa dpa, Hpa hpa) const;
  Fabric(Topology topology, FabricOptions options)
      : topology_(std::move(topology)), options_(std::move(options)) {}
  void assemble();
  void assign_window_bases();
  // trace() restricted to decoders covering [lo, hi): sampling for compiled tables.
  [[nodiscard]] std::optional<DecodeTrace> walk(Hpa hpa, Hpa lo, Hpa hi) const;
  void compile_range(const Cfmws& w, Hpa base, Bytes size);

  Topology topology_;
  FabricOptions options_;
  std::vector<Cfmws> windows_;
  std::vector<std::unique_ptr<HostBridge>> host_bridges_;
  std::vector<std::unique_ptr<Port>> switches_;
  std::vector<std::unique_ptr<Memdev>> memdevs_;
  std::vector<Endpoint> endpoints_;
  DecodeTable table_;
  bool building_ = true;
};

}  // namespace cxlsim
