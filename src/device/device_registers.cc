#include "device/device_registers.h"

#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {
constexpr uint32_t kHeadersOffset = 0x10;
constexpr uint32_t kDeviceStatusOffset = 0x100;
constexpr uint32_t kMemdevStatusOffset = 0x200;
constexpr uint32_t kMailboxOffset = 0x400;

uint64_t slice(uint64_t reg, uint32_t byte_offset, unsigned size) {
  const unsigned shift = byte_offset * 8;
  const uint64_t v = shift >= 64 ? 0 : reg >> shift;
  return size >= 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
}
}  // namespace

std::vector<DeviceCapabilityHeader> DeviceRegisters::capabilities() const {
  return {
      {device_cap::kDeviceStatus, 2, kDeviceStatusOffset, 8},
      {device_cap::kPrimaryMailbox, 1, kMailboxOffset, dev_.mailbox().register_span()},
      {device_cap::kMemoryDeviceStatus, 1, kMemdevStatusOffset, 8},
  };
}

uint64_t DeviceRegisters::size() const {
  const uint64_t end = kMailboxOffset + dev_.mailbox().register_span();
  return (end + 0xfff) & ~uint64_t{0xfff};
}

uint64_t DeviceRegisters::bar_size() const {
  uint64_t b = uint64_t{64} * 1024;
  while (b < size()) b <<= 1;
  return b;
}

uint64_t DeviceRegisters::memory_device_status() const {
  // Bits: 0 fatal, 1 FW halt, 3:2 media status (01 ready, 11 disabled), 4 mailbox interface
  // ready, 7:5 reset needed (0: not needed).
  const uint64_t media = dev_.media_disabled() ? 0x3 : 0x1;
  return (media << 2) | (1u << 4);
}

uint64_t DeviceRegisters::read(uint32_t offset, unsigned size) const {
  const auto caps = capabilities();
  if (offset < kHeadersOffset) {
    // Capabilities Array Register: ID 0, version 1, type 1 (memory device), count.
    const uint64_t v = 0x0000 | (uint64_t{1} << 16) | (uint64_t{1} << 24) |
                       (static_cast<uint64_t>(caps.size()) << 32);
    return slice(v, offset, size);
  }
  const uint32_t header_end = kHeadersOffset + static_cast<uint32_t>(caps.size()) * 16;
  if (offset < header_end) {
    const auto& h = caps[(offset - kHeadersOffset) / 16];
    const uint32_t in = (offset - kHeadersOffset) % 16;
    const uint64_t lo =
        h.id | (static_cast<uint64_t>(h.version) << 16) | (static_cast<uint64_t>(h.offset) << 32);
    const uint64_t hi = h.length;
    return in < 8 ? slice(lo, in, size) : slice(hi, in - 8, size);
  }
  if (offset >= kDeviceStatusOffset && offset < kDeviceStatusOffset + 8) {
    return slice(dev_.event_status(), offset - kDeviceStatusOffset, size);
  }
  if (offset >= kMemdevStatusOffset && offset < kMemdevStatusOffset + 8) {
    return slice(memory_device_status(), offset - kMemdevStatusOffset, size);
  }
  if (offset >= kMailboxOffset && offset < kMailboxOffset + dev_.mailbox().register_span()) {
    return dev_.mailbox().read(offset - kMailboxOffset, size);
  }
  return 0;
}

void DeviceRegisters::write(uint32_t offset, unsigned size, uint64_t value) {
  if (offset >= kMailboxOffset && offset < kMailboxOffset + dev_.mailbox().register_span()) {
    dev_.mailbox().write(offset - kMailboxOffset, size, value);
  }
  // Everything else in the block is read-only.
}

}  // namespace cxlsim::device
