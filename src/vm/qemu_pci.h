// A running QEMU's PCI devices as QMP shows them, and their registers read and written through
// the monitor: the host side of hot-plug (vm/pool_guest.h) reads QEMU's own device state, never
// the guest's view of it.
//
// * query-pci lists every bus QEMU has, with the bus numbers the guest programmed (a bridge's
//   secondary bus and the devices on it appear once the guest enumerated the bridge) and each
//   BAR's guest-assigned address.
// * Memory-mapped registers are read with HMP `xp /1wx ADDR` (human-monitor-command): one
//   4-byte access that QEMU dispatches to the device's MMIO handler. Wider reads are split into
//   8-byte accesses, which QEMU 7.2's CXL component registers answer with 0.
// * Configuration space is read and written through PCI configuration mechanism #1 (I/O ports
//   0xCF8/0xCFC, HMP `o` and `i`), which reaches every bus of q35 including pxb-cxl's. Linux on
//   x86 uses the same ports for the first 256 bytes (only extended space goes through ECAM), so
//   each access stops the guest's vCPUs (QMP stop/cont), and restores the Configuration Address
//   register the guest may have written just before.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/qmp.h"

namespace cxlsim::vm {

// One PCI function in query-pci's answer.
struct QemuPciFunction {
  std::string qdev_id;  // the -device/device_add id ("" for built-in devices)
  unsigned bus = 0;
  unsigned slot = 0;
  unsigned function = 0;
  std::optional<uint64_t> bar0;  // BAR 0's address; nullopt when absent or not assigned
  bool bridge = false;
  std::vector<std::string> children;  // qdev ids of the functions on a bridge's secondary bus
  std::string parent;                 // qdev id of the bridge whose secondary bus holds it
};

// The function with `qdev_id` in a query-pci return value (an array of buses); nullopt when
// QEMU lists none.
std::optional<QemuPciFunction> find_pci_function(const nlohmann::json& query_pci,
                                                 std::string_view qdev_id);

// The value `xp /1wx` printed ("00000000fdc01000: 0x03110001\r\n"). Throws OperationError
// quoting the text when it holds no value (e.g. "Cannot access memory").
uint32_t parse_xp_word(std::string_view hmp_output);
// The value `i /w PORT` printed ("portl[0x0cfc] = 0xa12919e5\r\n"). Throws as parse_xp_word.
uint32_t parse_port_word(std::string_view hmp_output);

// A 32-bit read of guest physical address `addr` (4-byte aligned) through `xp`.
uint32_t read_phys32(Qmp& qmp, uint64_t addr);

// Configuration space of `f` through mechanism #1; `offset` < 256 (mechanism #1 reaches the
// first 256 bytes), 4-byte aligned for reads, 2-byte aligned for 16-bit writes.
uint32_t config_read32(Qmp& qmp, const QemuPciFunction& f, unsigned offset);
void config_write16(Qmp& qmp, const QemuPciFunction& f, unsigned offset, uint16_t value);

// Offset of the PCI Express Capability (ID 0x10) in `f`'s capability list; nullopt when absent.
std::optional<unsigned> find_pcie_capability(Qmp& qmp, const QemuPciFunction& f);

}  // namespace cxlsim::vm
