// libFuzzer harness: the memory-device mailbox command handler. The input is a sequence of
// commands: opcode (2 bytes LE), payload length (1 byte), payload; between commands the
// device clock advances so background operations progress and complete.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "device/media.h"
#include "device/memdev_cci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cxlsim;
  device::MemdevCciConfig c;
  c.serial = 1;
  c.partitionable = GiB(1);
  c.initial_partition_volatile = MiB(512);
  c.lsa_size = KiB(4);
  c.dc_regions.push_back(
      device::DcRegion{GiB(1).value(), MiB(256).value(), MiB(2).value(), 0, false});
  device::SparseRamMedia media(c.dpa_span());
  device::MemdevCci dev(c, media);
  size_t at = 0;
  while (at + 3 <= size) {
    const auto op = static_cast<uint16_t>(data[at] | (data[at + 1] << 8));
    const size_t len = data[at + 2];
    at += 3;
    const size_t n = len < size - at ? len : size - at;
    const std::vector<uint8_t> in(data + at, data + at + n);
    at += n;
    (void)dev.execute(op, in);
    dev.advance(Duration::ns(1e6));
  }
  dev.run_background_to_completion();
  return 0;
}
