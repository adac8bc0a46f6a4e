// libFuzzer harness: trace format detection and the text, lackey and binary readers, record
// by record, as `cxlsim replay` drives them.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "frontend/replay_reader.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cxlsim::fuzz::MemFile f(data, size);
  try {
    auto r = cxlsim::frontend::open_trace(f.path());
    cxlsim::frontend::TraceRecord rec;
    while (r->next(rec)) {
      if (rec.size == 0 || rec.size > cxlsim::frontend::kMaxAccessBytes) __builtin_trap();
    }
  } catch (const std::exception&) {
  }
  return 0;
}
