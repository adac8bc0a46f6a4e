// A CXL switch (CXL 3.1 §7.7): its upstream port is a Port (with HDM decoders when it has more
// than one downstream port), its downstream ports are dports (QEMU cxl-upstream, cxl-downstream).
#pragma once

#include "fabric/port.h"

namespace cxlsim {

class SwitchUpstreamPort : public Port {
 public:
  explicit SwitchUpstreamPort(std::string id) : Port(PortKind::kSwitch, std::move(id)) {}
};

class SwitchDownstreamPort : public Dport {
 public:
  SwitchDownstreamPort(std::string id, uint8_t port_number, Port* upstream)
      : Dport(DportKind::kSwitchDownstream, std::move(id), port_number, upstream) {}
};

}  // namespace cxlsim
