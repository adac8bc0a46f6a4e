// libFuzzer harness: the memdev state-file reader; whatever it accepts must drive a device
// and save again.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "device/media.h"
#include "device/memdev_cci.h"
#include "device/memdev_state_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cxlsim;
  device::MemdevCciConfig c;
  c.serial = 7;
  c.partitionable = GiB(1);
  c.initial_partition_volatile = MiB(256);
  c.lsa_size = KiB(4);
  const fuzz::MemFile f(data, size);
  try {
    auto s = device::load_state(f.path(), c);
    if (!s) return 0;
    device::SparseRamMedia media(c.dpa_span());
    device::MemdevCci dev(c, media, std::move(*s));
    dev.recover_interrupted_operation();
    (void)dev.execute(device::opcode::kGetHealthInfo);
    (void)dev.execute(device::opcode::kGetPoisonList, std::vector<uint8_t>(16, 0xff));
  } catch (const std::exception&) {
  }
  return 0;
}
