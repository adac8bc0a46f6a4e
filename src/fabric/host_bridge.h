// A CXL host bridge (ACPI0016, QEMU pxb-cxl; CXL 3.1 §9.12.1): a port whose dports are root
// ports, itself a target of CFMWS windows. Its component register block (CHBCR, HDM decoders
// only; Port::component()) is what the CEDT CHBS entry for `uid` points at.
#pragma once

#include "fabric/port.h"
#include "spec/address.h"

namespace cxlsim {

class HostBridge : public Port {
 public:
  HostBridge(std::string id, unsigned uid, unsigned bus_nr, Hpa chbcr)
      : Port(PortKind::kHostBridge, std::move(id)), uid_(uid), bus_nr_(bus_nr), chbcr_(chbcr) {}
  // ACPI _UID, also the CEDT CHBS UID and what CFMWS target lists contain.
  [[nodiscard]] unsigned uid() const { return uid_; }
  [[nodiscard]] unsigned bus_nr() const { return bus_nr_; }
  // HPA of the component register block (64 KiB), as the CHBS Base reports it.
  [[nodiscard]] Hpa chbcr() const { return chbcr_; }

 private:
  unsigned uid_;
  unsigned bus_nr_;
  Hpa chbcr_;
};

}  // namespace cxlsim
