#include "fabric/linux_names.h"

#include "fabric/fabric.h"

namespace cxlsim {

LinuxNames::LinuxNames(const Fabric& fabric) {
  unsigned next = 1;  // 0 is root0
  auto add = [&](const Port* p) {
    if (port_ids_.emplace(p, next).second) {
      ports_.push_back(p);
      ++next;
    }
  };
  for (const auto& hb : fabric.host_bridges()) add(hb.get());
  for (size_t m = 0; m < fabric.memdev_count(); ++m) {
    for (const Port* p : fabric.port_chain(m)) add(p);
    endpoint_ids_.push_back(next++);
  }
}

}  // namespace cxlsim
