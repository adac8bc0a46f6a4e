#include "vm/pool_guest.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "spec/component_registers.h"
#include "spec/error.h"
#include "spec/hdm_decoder.h"
#include "vm/machine.h"
#include "vm/qemu_pci.h"

namespace cxlsim::vm {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kHostBridge = "cxl.1";
constexpr unsigned kHostBridgeBus = 12;  // QEMU's documentation's bus_nr for the first pxb-cxl
constexpr std::string_view kSwitch = "vcs";
constexpr unsigned kFirstDspSlot = 2;  // slots 0 and 1 are the root ports'

// PCI Express Slot Control (PCIe 6.0 §7.5.3.10), at the PCI Express Capability + 0x18.
constexpr unsigned kSlotControl = 0x18;
constexpr uint16_t kPowerIndicatorMask = 0x3u << 8;
constexpr uint16_t kPowerIndicatorOff = 0x3u << 8;
constexpr uint16_t kPowerControllerOff = 1u << 10;

std::string mem_object(const std::string& id) { return id + "-mem"; }
std::string lsa_object(const std::string& id) { return id + "-lsa"; }

// The capacity one vPPB may be given: the pool's largest LD or DC device, at least 256 MiB.
Bytes largest_ld(const Topology& pool) {
  Bytes most = MiB(256);
  for (const auto& m : pool.mlds) most = std::max(most, m.ld_size);
  for (const auto& d : pool.dcds) {
    Bytes total(0);
    for (const auto& r : d.dc_regions) total += r;
    most = std::max(most, total);
  }
  return most;
}

std::string host_list(const Topology& pool) {
  std::string out;
  for (const auto& h : pool.hosts) out += (out.empty() ? "" : ", ") + h.id;
  return out.empty() ? "none" : out;
}

json query_pci(Qmp& qmp) { return qmp.execute("query-pci"); }

// The mem-path of backend object `id`, nullopt when QEMU has no such object.
std::optional<std::string> object_mem_path(Qmp& qmp, const std::string& id) {
  try {
    json v = qmp.execute("qom-get", {{"path", "/objects/" + id}, {"property", "mem-path"}});
    return v.is_string() ? v.get<std::string>() : std::string();
  } catch (const QmpError&) {
    return std::nullopt;
  }
}

void add_backend(Qmp& qmp, const std::string& id, const std::filesystem::path& path, Bytes size) {
  if (auto held = object_mem_path(qmp, id)) {
    if (std::filesystem::path(*held) == path) return;  // kept by QEMU from an earlier hot-add
    throw OperationError(fmt::format("memory backend '{}' already exists in QEMU for {}, not {}",
                                     id, *held, path.string()));
  }
  qmp.execute("object-add", {{"qom-type", "memory-backend-file"},
                             {"id", id},
                             {"mem-path", path.string()},
                             {"size", size.value()},
                             {"share", true}});
}

void delete_backend(Qmp& qmp, const std::string& id) {
  try {
    qmp.execute("object-del", {{"id", id}});
  } catch (const QmpError& e) {
    // QEMU 7.2's cxl-type3 leaves its backends mapped ("is in use") after unplug; an object
    // never added is "not found". Neither is the caller's failure.
    if (e.desc().find("in use") == std::string::npos &&
        e.desc().find("not found") == std::string::npos) {
      throw;
    }
  }
}

// Whether QEMU's device tree still holds user device `id`. QEMU 7.2 unparents an unplugged
// cxl-type3 but never finalizes it (its memory backends stay mapped), so DEVICE_DELETED, sent
// at finalization, does not come: leaving the tree is the unplug's completion.
bool device_exists(Qmp& qmp, const std::string& id) {
  try {
    qmp.execute("qom-get", {{"path", "/machine/peripheral/" + id}, {"property", "type"}});
    return true;
  } catch (const QmpError&) {
    return false;
  }
}

// After device_del: once the guest turned the slot's power indicator off (it released the
// device), powers the slot off as the missing power controller would, so QEMU completes the
// unplug. Returns whether it wrote the Slot Control.
bool power_off_when_released(Qmp& qmp, const QemuPciFunction& dsp, unsigned pcie_cap) {
  const uint32_t control = config_read32(qmp, dsp, pcie_cap + kSlotControl) & 0xFFFF;
  if ((control & kPowerIndicatorMask) != kPowerIndicatorOff) return false;
  config_write16(qmp, dsp, pcie_cap + kSlotControl,
                 static_cast<uint16_t>(control | kPowerIndicatorOff | kPowerControllerOff));
  return true;
}

}  // namespace

std::filesystem::path guest_lsa_path(const std::filesystem::path& backing, std::string_view host) {
  return backing.string() + "." + std::string(host) + ".lsa";
}

std::string vppb_port_id(unsigned vppb) { return fmt::format("vppb{}", vppb); }

Topology pool_host_guest_topology(const Topology& pool, std::string_view host) {
  auto h = std::find_if(pool.hosts.begin(), pool.hosts.end(),
                        [&](const PoolHostSpec& s) { return s.id == host; });
  if (h == pool.hosts.end()) {
    throw ValidationError(
        fmt::format("pool '{}' has no host '{}' (hosts: {})", pool.name, host, host_list(pool)));
  }
  if (h->vppbs == 0 || h->vppbs > kMaxGuestVppbs) {
    throw ValidationError(fmt::format(
        "host '{}': {} vPPBs; a guest switch has 1 to {} downstream ports (one PCI bus)", h->id,
        h->vppbs, kMaxGuestVppbs));
  }
  Topology t;
  t.name = fmt::format("{}-{}", pool.name.empty() ? "pool" : pool.name, h->id);
  t.hdm_decoders = 1;  // QEMU 7.2 implements one per host bridge, switch and device
  WindowSpec w;
  w.id = "cfmw0";
  w.size = largest_ld(pool) * h->vppbs;
  w.targets = {std::string(kHostBridge)};
  w.granularity = KiB(4);
  w.restrictions = WindowRestrictions{true, true, true, true, false};  // QEMU 7.2's CFMWS 0x0f
  t.windows.push_back(w);
  t.host_bridges.push_back({std::string(kHostBridge), kHostBridgeBus, kHostBridgeBus});
  RootPortSpec rp0{"rp0", std::string(kHostBridge), 0, 0, 0, {}};
  RootPortSpec rp1{"rp1", std::string(kHostBridge), 1, 0, 1, {}};
  t.root_ports = {rp0, rp1};
  t.switches.push_back({std::string(kSwitch), rp0.id, {}});
  for (unsigned i = 0; i < h->vppbs; ++i) {
    t.downstream_ports.push_back({vppb_port_id(i), std::string(kSwitch), i, 0, kFirstDspSlot + i});
  }
  return t;
}

void check_hot_add(const Topology& guest, unsigned vppb, const LdBacking& ld) {
  if (guest.find_downstream_port(vppb_port_id(vppb)) == nullptr) {
    throw ValidationError(fmt::format("vPPB {}: guest '{}' has vPPBs 0..{}", vppb, guest.name,
                                      guest.downstream_ports.size() - 1));
  }
  if (ld.size == Bytes(0) || ld.size % MiB(256) != Bytes(0)) {
    throw ValidationError(fmt::format("LD '{}': size {} is not a positive multiple of 256 MiB",
                                      ld.id, format_bytes(ld.size)));
  }
}

void hot_add_ld(Qmp& qmp, const Topology& guest, unsigned vppb, const LdBacking& ld) {
  check_hot_add(guest, vppb, ld);
  const std::string port = vppb_port_id(vppb);
  // QEMU accepts a second device below a downstream port (at device 1, which Linux never
  // scans), so occupancy is checked here, on QEMU's own bus tree.
  if (auto dsp = find_pci_function(query_pci(qmp), port); dsp && !dsp->children.empty()) {
    throw OperationError(fmt::format("vPPB {} (downstream port {}) is occupied by '{}'", vppb, port,
                                     dsp->children.front()));
  }
  create_backing_files(
      {{mem_object(ld.id), ld.path, ld.size}, {lsa_object(ld.id), ld.lsa, kLdLsaSize}});
  add_backend(qmp, mem_object(ld.id), ld.path, ld.size);
  add_backend(qmp, lsa_object(ld.id), ld.lsa, kLdLsaSize);
  qmp.execute("device_add", {{"driver", "cxl-type3"},
                             {"bus", port},
                             {"memdev", mem_object(ld.id)},
                             {"lsa", lsa_object(ld.id)},
                             {"id", ld.id}});
}

void hot_remove_ld(Qmp& qmp, const std::string& id, milliseconds timeout) {
  std::optional<QemuPciFunction> dsp;
  std::optional<unsigned> pcie_cap;
  const json pci = query_pci(qmp);
  if (auto f = find_pci_function(pci, id); f && !f->parent.empty()) {
    dsp = find_pci_function(pci, f->parent);
    if (dsp) pcie_cap = find_pcie_capability(qmp, *dsp);
  }
  qmp.execute("device_del", {{"id", id}});
  const auto deadline = Clock::now() + timeout;
  bool powered_off = false;
  auto is_it = [&](const json& d) { return d.value("device", "") == id; };
  for (;;) {
    if (qmp.wait_event("DEVICE_DELETED", is_it, milliseconds(250))) break;
    if (!device_exists(qmp, id)) break;
    if (Clock::now() >= deadline) {
      throw OperationError(fmt::format(
          "device '{}' still present {} ms after device_del (the guest did not release it{})", id,
          timeout.count(), powered_off ? "; the slot was powered off" : ""));
    }
    if (!powered_off && pcie_cap) powered_off = power_off_when_released(qmp, *dsp, *pcie_cap);
  }
  delete_backend(qmp, mem_object(id));
  delete_backend(qmp, lsa_object(id));
}

bool ld_decoder_committed(Qmp& qmp, const std::string& id) {
  auto f = find_pci_function(query_pci(qmp), id);
  if (!f) throw OperationError(fmt::format("QEMU has no PCI device '{}'", id));
  if (!f->bar0) return false;
  using CR = ComponentRegisters;
  const uint64_t cache_mem = *f->bar0 + CR::kCacheMemOffset;
  const uint32_t header = read_phys32(qmp, cache_mem);
  if ((header & 0xFFFF) != static_cast<uint16_t>(CacheMemCapabilityId::kCapabilityHeader)) {
    throw OperationError(
        fmt::format("device '{}': no CXL capability header at BAR 0 + {:#x} (read {:#010x})", id,
                    CR::kCacheMemOffset, header));
  }
  const uint32_t entries = header >> 24;
  for (uint32_t i = 1; i <= entries; ++i) {
    const uint32_t h = read_phys32(qmp, cache_mem + uint64_t{4} * i);
    if ((h & 0xFFFF) != static_cast<uint16_t>(CacheMemCapabilityId::kHdmDecoder)) continue;
    using Hdm = HdmDecoderCapability;
    const uint64_t control = cache_mem + (h >> 20) + Hdm::decoder_reg(0, Hdm::kControl);
    return (read_phys32(qmp, control) & Hdm::kCtrlCommitted) != 0;
  }
  throw OperationError(fmt::format("device '{}': no HDM Decoder Capability", id));
}

}  // namespace cxlsim::vm
