// A CXL root port (QEMU cxl-rp): a dport of a host bridge.
#pragma once

#include "fabric/port.h"

namespace cxlsim {

class RootPort : public Dport {
 public:
  RootPort(std::string id, uint8_t port_number, Port* host_bridge)
      : Dport(DportKind::kRootPort, std::move(id), port_number, host_bridge) {}
};

}  // namespace cxlsim
