// Helpers shared by the timing tests (not part of the library).
#pragma once

#include <memory>
#include <vector>

#include "timing/stream_core.h"
#include "timing/system.h"

namespace cxlsim::timing {

// Read bandwidth (GB/s) of `streams` saturating sequential streams, each over its share of the
// first region of `sys`, measured from 20 us to 120 us of simulated time.
inline double saturated_read_gbps(System& sys, unsigned streams = 32) {
  const Window& reg = sys.windows().front();
  std::vector<std::unique_ptr<StreamCore>> cores;
  const Duration warm = Duration::ns(20'000), end = Duration::ns(120'000);
  for (unsigned i = 0; i < streams; ++i) {
    StreamCoreConfig c;
    c.read_size = reg.size / streams;
    c.read_base = reg.base + i * c.read_size;
    c.measure_from = warm;
    c.seed = i + 1;
    cores.push_back(std::make_unique<StreamCore>(c));
    sys.add(cores.back().get());
  }
  sys.run_until(end);
  uint64_t bytes = 0;
  for (const auto& c : cores) bytes += c->bytes();
  return static_cast<double>(bytes) / (end - warm).nanoseconds();
}

}  // namespace cxlsim::timing
