// The CXL Device Register block of a memory device (CXL 3.1 §8.2.8), found through the
// Register Locator DVSEC as Register Block Identifier 3 ("CXL Device Registers"). It holds the
// Device Capabilities Array (§8.2.8.1), capability headers (§8.2.8.2) and the capabilities:
// Device Status (ID 0001h), Primary Mailbox (ID 0002h), Memory Device Status (ID 4000h).
// Registers are computed from device state on read: the state is the single source of truth.
#pragma once

#include <cstdint>
#include <vector>

namespace cxlsim::device {

class MemdevCci;

struct DeviceCapabilityHeader {
  uint16_t id;
  uint8_t version;
  uint32_t offset;  // from the start of the register block
  uint32_t length;  // bytes
};

namespace device_cap {
inline constexpr uint16_t kDeviceStatus = 0x0001;
inline constexpr uint16_t kPrimaryMailbox = 0x0002;
inline constexpr uint16_t kMemoryDeviceStatus = 0x4000;
}  // namespace device_cap

class DeviceRegisters {
 public:
  // Register Block Identifier of this block in the Register Locator DVSEC (§8.1.9.1).
  static constexpr uint8_t kRegisterBlockIdentifier = 3;

  explicit DeviceRegisters(MemdevCci& dev) : dev_(dev) {}
  // Size of the block (a multiple of 4 KiB): what the Register Locator entry maps.
  [[nodiscard]] uint64_t size() const;
  // A BAR size that holds the block at offset 0: a power of two, at least 64 KiB (the
  // Register Locator's offset granule). Pass it as DeviceConfigOptions::memory_device_bar_size.
  [[nodiscard]] uint64_t bar_size() const;
  [[nodiscard]] std::vector<DeviceCapabilityHeader> capabilities() const;
  // MMIO access of 1, 2, 4 or 8 bytes at `offset` within the block. Reserved space reads 0;
  // writes to read-only registers are ignored.
  [[nodiscard]] uint64_t read(uint32_t offset, unsigned size) const;
  void write(uint32_t offset, unsigned size, uint64_t value);

  // Memory Device Status register bits (§8.2.8.5.1).
  [[nodiscard]] uint64_t memory_device_status() const;

 private:
  MemdevCci& dev_;
};

}  // namespace cxlsim::device
