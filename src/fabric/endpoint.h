// A CXL endpoint (Linux's endpoint cxl_port): a memdev and the dport it sits below. Its HDM
// decoders are the memdev's; the endpoint carries the device's PCIe configuration space (type
// 3: DVSECs 0, 5, 7, 8; DVSEC for CXL Devices ranges = the memdev's volatile and persistent
// capacity; type 2: class 12/00/00, Cache/IO/Mem capable, range 1 = its HDM, no memory device
// registers) and its component register block (RAS, Link, and HDM routed to Memdev::hdm(),
// which the fabric keeps alive longer than the endpoint).
#pragma once

#include <cstddef>
#include <memory>

#include "fabric/port.h"
#include "spec/component_registers.h"
#include "spec/config_space.h"

namespace cxlsim {

struct Endpoint {
  size_t memdev = 0;        // index into Fabric's memdevs
  Dport* parent = nullptr;  // root port or switch downstream port
  std::unique_ptr<ConfigSpace> config;
  std::unique_ptr<ComponentRegisters> component;
};

}  // namespace cxlsim
