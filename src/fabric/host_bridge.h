// A CXL host bridge (ACPI0016, QEMU pxb-cxl; CXL 3.1 §9.12.1): a port whose dports are root
// ports, itself a target of CFMWS windows.
#pragma once

#include "fabric/port.h"

namespace cxlsim {

class HostBridge : public Port {
 public:
  HostBridge(std::string id, unsigned uid, unsigned bus_nr)
      : Port(PortKind::kHostBridge, std::move(id)), uid_(uid), bus_nr_(bus_nr) {}
  // ACPI _UID, also the CEDT CHBS UID and what CFMWS target lists contain.
  unsigned uid() const { return uid_; }
  unsigned bus_nr() const { return bus_nr_; }

 private:
  unsigned uid_;
  unsigned bus_nr_;
};

}  // namespace cxlsim
