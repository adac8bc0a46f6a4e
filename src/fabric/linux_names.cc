#include "fabric/linux_names.h"

#include <fmt/format.h>

#include <stdexcept>

#include "fabric/fabric.h"
#include "fabric/host_bridge.h"
#include "fabric/topology.h"
#include "spec/error.h"

namespace cxlsim {

std::string linux_memdev_name(size_t index) { return "mem" + std::to_string(index); }

std::string linux_root_decoder_name(size_t index) { return "decoder0." + std::to_string(index); }

size_t resolve_memdev(const Topology& t, std::string_view name) {
  std::vector<std::string_view> ids;
  for (const auto& m : t.type3) ids.push_back(m.id);
  for (const auto& a : t.type2) ids.push_back(a.id);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == name) return i;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (linux_memdev_name(i) == name) return i;
  }
  std::string known;
  for (size_t i = 0; i < ids.size(); ++i) {
    known += fmt::format("{}{} ({})", known.empty() ? "" : ", ", linux_memdev_name(i), ids[i]);
  }
  throw ValidationError(fmt::format("no memdev '{}' in the topology (memdevs: {})", name,
                                    known.empty() ? "none" : known));
}

size_t resolve_window(const Topology& t, std::string_view name) {
  for (size_t i = 0; i < t.windows.size(); ++i) {
    if (t.windows[i].id == name) return i;
  }
  for (size_t i = 0; i < t.windows.size(); ++i) {
    if (linux_root_decoder_name(i) == name || std::to_string(i) == name) return i;
  }
  std::string known;
  for (size_t i = 0; i < t.windows.size(); ++i) {
    known += fmt::format("{}{}, {} or {}", known.empty() ? "" : "; ", i, linux_root_decoder_name(i),
                         t.windows[i].id);
  }
  throw ValidationError(fmt::format("no window '{}' in the topology (windows: {})", name,
                                    known.empty() ? "none" : known));
}

std::string PciAddress::name() const {
  return fmt::format("0000:{:02x}:{:02x}.{:x}", bus, device, function);
}

LinuxNames::LinuxNames(const Fabric& fabric) {
  enumerate_pci(fabric);
  unsigned next = 1;  // 0 is root0
  auto add = [&](const Port* p) {
    if (port_ids_.emplace(p, next).second) {
      ports_.push_back(p);
      ++next;
    }
  };
  // cxl_acpi adds a port per ACPI0016 device as it walks the ACPI namespace.
  for (const HostBridge* hb : host_bridges_) add(hb);
  for (size_t m = 0; m < fabric.memdev_count(); ++m) {
    for (const Port* p : fabric.port_chain(m)) add(p);
    endpoint_ids_.push_back(next++);
  }
}

// The addresses a QEMU 7.2 guest gives the fabric, which follow from three rules:
//  - ACPI order: QEMU inserts each pxb-cxl root bus at the head of pcie.0's child bus list
//    (pxb_register_bus) and writes the DSDT's ACPI0016 devices in that list's order, so the
//    namespace holds the host bridges in reverse creation order; Linux numbers ACPI0016
//    instances (ACPI0016:00, :01, ...) in namespace order.
//  - Device numbers: a device without addr= takes the first free slot of its bus in creation
//    order. QEMU creates devices in command-line order, which is topology order for an import
//    and for the command line `vm run` writes (fabric/qemu_cmdline.h: root ports grouped by
//    host bridge, downstream ports by switch, each in topology order). A switch upstream port
//    or a device is alone on its bus: device 0.
//  - Bus numbers: below a host bridge's root bus bus_nr, firmware (SeaBIOS) and Linux number
//    buses depth first: each bridge (root port, switch upstream or downstream port) takes the
//    next free number as its secondary bus, then its subtree is numbered before its next
//    sibling; an empty bridge still takes one.
void LinuxNames::enumerate_pci(const Fabric& fabric) {
  for (auto it = fabric.host_bridges().rbegin(); it != fabric.host_bridges().rend(); ++it) {
    host_bridges_.push_back(it->get());
  }
  memdev_pci_.resize(fabric.memdev_count());
  for (const auto& hb : fabric.host_bridges()) {
    unsigned next_bus = hb->bus_nr() + 1;
    for (size_t i = 0; i < hb->dports().size(); ++i) {
      const Dport& rp = *hb->dports()[i];
      dport_pci_[&rp] = {hb->bus_nr(), static_cast<unsigned>(i), 0};
      enumerate_below(rp, next_bus);
    }
  }
}

void LinuxNames::enumerate_below(const Dport& d, unsigned& next_bus) {
  const unsigned secondary = next_bus++;
  if (d.child_memdev()) memdev_pci_.at(*d.child_memdev()) = {secondary, 0, 0};
  const Port* sw = d.child_switch();
  if (!sw) return;
  switch_pci_[sw] = {secondary, 0, 0};
  const unsigned internal = next_bus++;  // the upstream port's secondary bus
  for (size_t j = 0; j < sw->dports().size(); ++j) {
    const Dport& dsp = *sw->dports()[j];
    dport_pci_[&dsp] = {internal, static_cast<unsigned>(j), 0};
    enumerate_below(dsp, next_bus);
  }
}

std::string LinuxNames::host_bridge_acpi(const HostBridge& hb) const {
  for (size_t i = 0; i < host_bridges_.size(); ++i) {
    if (host_bridges_[i] == &hb) return fmt::format("ACPI0016:{:02x}", i);
  }
  throw std::out_of_range("host bridge '" + hb.id() + "' is not in this fabric");
}

std::string LinuxNames::host_bridge_alias(const HostBridge& hb) {
  return fmt::format("pci0000:{:02x}", hb.bus_nr());
}

std::string LinuxNames::port_host(const Port& port) const {
  if (port.kind() == PortKind::kHostBridge) {
    return host_bridge_acpi(static_cast<const HostBridge&>(port));
  }
  return switch_pci_.at(&port).name();
}

}  // namespace cxlsim
