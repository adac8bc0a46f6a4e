// The names Linux 6.1's CXL drivers give the objects of a fabric, as `cxl list` shows them:
// root0 with root decoders decoder0.N (one per CFMWS, in CEDT order); host bridge ports
// port1..portH (ACPI order); then, as each memdev probes (memN, in topology order), the switch
// ports on its path not yet enumerated and its endpoint port, all numbered from one id space.
// Port decoders are decoder<port id>.<n>; a pass-through port has the single decoder<id>.0.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cxlsim {

class Fabric;
class Port;
struct Topology;

// Linux's name of memdev `index` (Fabric order: the Type 3 devices, then the Type 2 devices, each
// in topology order): memN.
std::string linux_memdev_name(size_t index);
// Linux's name of the root decoder of window `index` (CEDT order): decoder0.N.
std::string linux_root_decoder_name(size_t index);

// The memdev (index in Fabric order) that `name` names on the command line: its topology id or
// the name `cxl list` and `cxlsim list` print (memN). A topology id wins over another device's
// memN. Throws ValidationError listing both kinds of names when none matches.
size_t resolve_memdev(const Topology& t, std::string_view name);

// The window (index in CEDT order) that `name` names on the command line: its index N, its root
// decoder's name decoder0.N, or its topology id (e.g. cfmw0). Throws ValidationError listing
// the names when none matches.
size_t resolve_window(const Topology& t, std::string_view name);

class LinuxNames {
 public:
  explicit LinuxNames(const Fabric& fabric);

  unsigned port_id(const Port* port) const { return port_ids_.at(port); }
  [[nodiscard]] unsigned endpoint_id(size_t memdev) const { return endpoint_ids_.at(memdev); }
  std::string port(const Port* port) const { return "port" + std::to_string(port_id(port)); }
  [[nodiscard]] std::string endpoint(size_t memdev) const {
    return "endpoint" + std::to_string(endpoint_id(memdev));
  }
  [[nodiscard]] std::string memdev(size_t memdev) const { return linux_memdev_name(memdev); }
  [[nodiscard]] std::string root_decoder(size_t window) const {
    return linux_root_decoder_name(window);
  }
  std::string port_decoder(const Port* port, unsigned n) const {
    return "decoder" + std::to_string(port_id(port)) + "." + std::to_string(n);
  }
  [[nodiscard]] std::string endpoint_decoder(size_t memdev, unsigned n) const {
    return "decoder" + std::to_string(endpoint_id(memdev)) + "." + std::to_string(n);
  }
  // Ports in id order.
  [[nodiscard]] const std::vector<const Port*>& ports() const { return ports_; }

 private:
  std::map<const Port*, unsigned> port_ids_;
  std::vector<unsigned> endpoint_ids_;
  std::vector<const Port*> ports_;
};

}  // namespace cxlsim
