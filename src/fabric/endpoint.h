// A CXL endpoint (Linux's endpoint cxl_port): a memdev and the dport it sits below. Its HDM
// decoders are the memdev's.
#pragma once

#include <cstddef>

#include "fabric/port.h"

namespace cxlsim {

struct Endpoint {
  size_t memdev = 0;       // index into Fabric's memdevs
  Dport* parent = nullptr;  // root port or switch downstream port
};

}  // namespace cxlsim
