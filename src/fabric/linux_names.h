// The names Linux 6.1's CXL drivers give the objects of a fabric, as `cxl list` shows them:
// root0 with root decoders decoder0.N (one per CFMWS, in CEDT order); host bridge ports
// port1..portH (ACPI order); then, as each memdev probes (memN, in topology order), the switch
// ports on its path not yet enumerated and its endpoint port, all numbered from one id space.
// Port decoders are decoder<port id>.<n>; a pass-through port has the single decoder<id>.0.
//
// Hosts and dports are named as the firmware and the PCI core of a QEMU 7.2 guest name them
// (see LinuxNames::enumerate_pci for the rules): a host bridge is the ACPI device
// ACPI0016:NN (alias pci0000:BB, its root bus), root ports, switch ports and devices are PCI
// functions 0000:BB:DD.0.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cxlsim {

class Dport;
class Fabric;
class HostBridge;
class Port;
struct Topology;

// A PCI function's address in segment 0, as Linux names the device: 0000:BB:DD.F.
struct PciAddress {
  unsigned bus = 0;
  unsigned device = 0;
  unsigned function = 0;
  [[nodiscard]] std::string name() const;
  auto operator<=>(const PciAddress&) const = default;
};

// Linux's name of memdev `index` (Fabric order: the Type 3 devices, then the Type 2 devices, each
// in topology order): memN.
std::string linux_memdev_name(size_t index);
// Linux's name of the root decoder of window `index` (CEDT order): decoder0.N.
std::string linux_root_decoder_name(size_t index);

// The memdev (index in Fabric order) that `name` names on the command line: its topology id or
// the name `cxl list` and `cxlsim list` print (memN). A topology id wins over another device's
// memN. Throws ValidationError listing both kinds of names when none matches.
size_t resolve_memdev(const Topology& t, std::string_view name);

// The window (index in CEDT order) that `name` names on the command line: its index N, its root
// decoder's name decoder0.N, or its topology id (e.g. cfmw0). Throws ValidationError listing
// the names when none matches.
size_t resolve_window(const Topology& t, std::string_view name);

class LinuxNames {
 public:
  explicit LinuxNames(const Fabric& fabric);

  unsigned port_id(const Port* port) const { return port_ids_.at(port); }
  [[nodiscard]] unsigned endpoint_id(size_t memdev) const { return endpoint_ids_.at(memdev); }
  std::string port(const Port* port) const { return "port" + std::to_string(port_id(port)); }
  [[nodiscard]] std::string endpoint(size_t memdev) const {
    return "endpoint" + std::to_string(endpoint_id(memdev));
  }
  [[nodiscard]] std::string memdev(size_t memdev) const { return linux_memdev_name(memdev); }
  [[nodiscard]] std::string root_decoder(size_t window) const {
    return linux_root_decoder_name(window);
  }
  std::string port_decoder(const Port* port, unsigned n) const {
    return "decoder" + std::to_string(port_id(port)) + "." + std::to_string(n);
  }
  [[nodiscard]] std::string endpoint_decoder(size_t memdev, unsigned n) const {
    return "decoder" + std::to_string(endpoint_id(memdev)) + "." + std::to_string(n);
  }
  // Ports in id order.
  [[nodiscard]] const std::vector<const Port*>& ports() const { return ports_; }

  // Host bridges in ACPI namespace order (root0's dports, port1..portH).
  [[nodiscard]] const std::vector<const HostBridge*>& host_bridges() const { return host_bridges_; }
  // The host bridge's ACPI device name, ACPI0016:NN (NN: its instance in namespace order).
  [[nodiscard]] std::string host_bridge_acpi(const HostBridge& hb) const;
  // The name of the host bridge's root bus, pci0000:BB (cxl list's "alias").
  static std::string host_bridge_alias(const HostBridge& hb);
  // A root port's or switch downstream port's PCI address.
  [[nodiscard]] PciAddress dport_address(const Dport& d) const { return dport_pci_.at(&d); }
  // A memdev's (Type 3 or Type 2 device's) PCI address.
  [[nodiscard]] PciAddress memdev_address(size_t memdev) const { return memdev_pci_.at(memdev); }
  // What `cxl list` shows as a port's "host": a host bridge's ACPI name, a switch's upstream
  // port's PCI address.
  [[nodiscard]] std::string port_host(const Port& port) const;

 private:
  void enumerate_pci(const Fabric& fabric);
  void enumerate_below(const Dport& d, unsigned& next_bus);

  std::map<const Port*, unsigned> port_ids_;
  std::vector<unsigned> endpoint_ids_;
  std::vector<const Port*> ports_;
  std::vector<const HostBridge*> host_bridges_;
  std::map<const Dport*, PciAddress> dport_pci_;
  std::map<const Port*, PciAddress> switch_pci_;
  std::vector<PciAddress> memdev_pci_;
};

}  // namespace cxlsim
