#include "fabric/linux_names.h"

#include <fmt/format.h>

#include "fabric/fabric.h"
#include "fabric/topology.h"
#include "spec/error.h"

namespace cxlsim {

std::string linux_memdev_name(size_t index) { return "mem" + std::to_string(index); }

std::string linux_root_decoder_name(size_t index) { return "decoder0." + std::to_string(index); }

size_t resolve_memdev(const Topology& t, std::string_view name) {
  std::vector<std::string_view> ids;
  for (const auto& m : t.type3) ids.push_back(m.id);
  for (const auto& a : t.type2) ids.push_back(a.id);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == name) return i;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (linux_memdev_name(i) == name) return i;
  }
  std::string known;
  for (size_t i = 0; i < ids.size(); ++i) {
    known += fmt::format("{}{} ({})", known.empty() ? "" : ", ", linux_memdev_name(i), ids[i]);
  }
  throw ValidationError(fmt::format("no memdev '{}' in the topology (memdevs: {})", name,
                                    known.empty() ? "none" : known));
}

size_t resolve_window(const Topology& t, std::string_view name) {
  for (size_t i = 0; i < t.windows.size(); ++i) {
    if (t.windows[i].id == name) return i;
  }
  for (size_t i = 0; i < t.windows.size(); ++i) {
    if (linux_root_decoder_name(i) == name || std::to_string(i) == name) return i;
  }
  std::string known;
  for (size_t i = 0; i < t.windows.size(); ++i) {
    known += fmt::format("{}{}, {} or {}", known.empty() ? "" : "; ", i, linux_root_decoder_name(i),
                         t.windows[i].id);
  }
  throw ValidationError(fmt::format("no window '{}' in the topology (windows: {})", name,
                                    known.empty() ? "none" : known));
}

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
