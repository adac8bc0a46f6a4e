// Test helpers for the mailbox suites: a device on sparse RAM media and a payload builder.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device::testing {

// 1 GiB partitionable (512 MiB volatile at start), 128 KiB LSA, one 256 MiB DC region with
// 2 MiB blocks at DPA 1 GiB.
inline MemdevCciConfig test_config() {
  MemdevCciConfig c;
  c.serial = 0x1234;
  c.partitionable = GiB(1);
  c.initial_partition_volatile = MiB(512);
  c.lsa_size = KiB(128);
  c.inject_poison_limit = 4;
  c.poison_list_max = 8;
  c.event_log_capacity = 8;
  c.dc_regions.push_back(DcRegion{GiB(1).value(), MiB(256).value(), MiB(2).value(), 0, false});
  c.dc_max_extents = 4;
  return c;
}

struct TestDevice {
  explicit TestDevice(const MemdevCciConfig& c = test_config())
      : media(c.dpa_span()), dev(c, media) {}
  MboxResult run(uint16_t op, const std::vector<uint8_t>& in = {}) { return dev.execute(op, in); }
  MboxReturn rc(uint16_t op, const std::vector<uint8_t>& in = {}) { return run(op, in).rc; }
  SparseRamMedia media;
  MemdevCci dev;
};

// Little-endian payload builder: In().u64(a).u8(b).bytes
struct In {
  std::vector<uint8_t> bytes;
  In& le(uint64_t v, size_t n) {
    put_le(bytes, bytes.size(), v, n);
    return *this;
  }
  In& u8(uint64_t v) { return le(v, 1); }
  In& u16(uint64_t v) { return le(v, 2); }
  In& u32(uint64_t v) { return le(v, 4); }
  In& u64(uint64_t v) { return le(v, 8); }
  In& fill(size_t n, uint8_t v = 0) {
    bytes.insert(bytes.end(), n, v);
    return *this;
  }
  In& raw(std::span<const uint8_t> b) {
    bytes.insert(bytes.end(), b.begin(), b.end());
    return *this;
  }
  operator std::vector<uint8_t>() const { return bytes; }
};

}  // namespace cxlsim::device::testing
