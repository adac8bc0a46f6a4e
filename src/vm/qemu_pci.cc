#include "vm/qemu_pci.h"

#include <fmt/format.h>

#include <charconv>

namespace cxlsim::vm {

using nlohmann::json;

namespace {

// PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2).
constexpr unsigned kConfigAddressPort = 0xCF8;
constexpr unsigned kConfigDataPort = 0xCFC;
constexpr uint32_t kConfigEnable = 1u << 31;
constexpr unsigned kCapabilitiesPointer = 0x34;
constexpr unsigned kPcieCapabilityId = 0x10;

std::optional<QemuPciFunction> search(const json& devices, std::string_view qdev_id,
                                      const std::string& parent) {
  if (!devices.is_array()) return std::nullopt;
  for (const auto& d : devices) {
    const std::string id = d.value("qdev_id", "");
    const json* bridge = d.contains("pci_bridge") ? &d["pci_bridge"] : nullptr;
    const json none = json::array();
    const json& below = bridge != nullptr ? bridge->value("devices", none) : none;
    if (id == qdev_id) {
      QemuPciFunction f;
      f.qdev_id = id;
      f.bus = d.value("bus", 0u);
      f.slot = d.value("slot", 0u);
      f.function = d.value("function", 0u);
      f.bridge = bridge != nullptr;
      f.parent = parent;
      for (const auto& r : d.value("regions", json::array())) {
        // QEMU reports an unassigned BAR as address -1 (all ones).
        if (r.value("bar", -1) == 0 && r.value("address", ~uint64_t{0}) != ~uint64_t{0}) {
          f.bar0 = r.value("address", uint64_t{0});
        }
      }
      for (const auto& c : below) f.children.push_back(c.value("qdev_id", ""));
      return f;
    }
    if (auto found = search(below, qdev_id, id)) return found;
  }
  return std::nullopt;
}

uint32_t parse_hex_after(std::string_view text, std::string_view marker, std::string_view what) {
  const auto at = text.find(marker);
  if (at != std::string_view::npos) {
    std::string_view rest = text.substr(at + marker.size());
    if (rest.starts_with("0x")) {
      rest.remove_prefix(2);
      uint32_t v = 0;
      auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v, 16);
      if (ec == std::errc() && p != rest.data()) return v;
    }
  }
  std::string quoted(text.substr(0, text.find_first_of("\r\n")));
  throw OperationError(fmt::format("QEMU monitor {}: unexpected answer '{}'", what, quoted));
}

uint32_t config_address(const QemuPciFunction& f, unsigned offset) {
  return kConfigEnable | (f.bus << 16) | (f.slot << 11) | (f.function << 8) | (offset & 0xFC);
}

}  // namespace

std::optional<QemuPciFunction> find_pci_function(const json& query_pci, std::string_view qdev_id) {
  if (!query_pci.is_array()) return std::nullopt;
  for (const auto& bus : query_pci) {
    if (auto f = search(bus.value("devices", json::array()), qdev_id, "")) return f;
  }
  return std::nullopt;
}

uint32_t parse_xp_word(std::string_view hmp_output) {
  return parse_hex_after(hmp_output, ": ", "xp");
}

uint32_t parse_port_word(std::string_view hmp_output) {
  return parse_hex_after(hmp_output, "] = ", "port read");
}

uint32_t read_phys32(Qmp& qmp, uint64_t addr) {
  return parse_xp_word(qmp.human_monitor_command(fmt::format("xp /1wx {:#x}", addr)));
}

namespace {

// Runs `access` with the guest's vCPUs stopped and the Configuration Address register as the
// guest left it afterwards: Linux on x86 reaches the first 256 bytes of configuration space
// through the same two ports (raw_pci_ops), so an access must not fall between the guest's
// write of 0xCF8 and its access of 0xCFC.
template <class Access>
auto with_config_ports(Qmp& qmp, const Access& access) {
  const bool running = qmp.execute("query-status").value("running", false);
  if (running) qmp.execute("stop");
  struct Resume {
    Qmp& qmp;
    bool running;
    uint32_t address;
    ~Resume() {
      try {
        qmp.human_monitor_command(fmt::format("o /w {:#x} {:#x}", kConfigAddressPort, address));
        if (running) qmp.execute("cont");
      } catch (const OperationError&) {  // the connection is gone: nothing to restore through
      }
    }
  } resume{
      qmp, running,
      parse_port_word(qmp.human_monitor_command(fmt::format("i /w {:#x}", kConfigAddressPort)))};
  return access();
}

}  // namespace

uint32_t config_read32(Qmp& qmp, const QemuPciFunction& f, unsigned offset) {
  return with_config_ports(qmp, [&] {
    qmp.human_monitor_command(
        fmt::format("o /w {:#x} {:#x}", kConfigAddressPort, config_address(f, offset)));
    return parse_port_word(qmp.human_monitor_command(fmt::format("i /w {:#x}", kConfigDataPort)));
  });
}

void config_write16(Qmp& qmp, const QemuPciFunction& f, unsigned offset, uint16_t value) {
  with_config_ports(qmp, [&] {
    qmp.human_monitor_command(
        fmt::format("o /w {:#x} {:#x}", kConfigAddressPort, config_address(f, offset)));
    qmp.human_monitor_command(
        fmt::format("o /h {:#x} {:#x}", kConfigDataPort + (offset & 2), value));
    return 0;
  });
}

std::optional<unsigned> find_pcie_capability(Qmp& qmp, const QemuPciFunction& f) {
  unsigned p = config_read32(qmp, f, kCapabilitiesPointer) & 0xFC;
  for (int hops = 0; p != 0 && hops < 48; ++hops) {
    const uint32_t header = config_read32(qmp, f, p);
    if ((header & 0xFF) == kPcieCapabilityId) return p;
    p = (header >> 8) & 0xFC;
  }
  return std::nullopt;
}

}  // namespace cxlsim::vm
