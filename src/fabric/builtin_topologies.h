// Topologies compiled into cxlsim, named by `builtin:NAME` wherever a topology is accepted.
// Each is the text of examples/NAME.toml, compiled in at build time (cmake/embed_topologies.cmake).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace cxlsim {

// The names, in a stable order: default, switch2, qemu-single, qemu-2hb, qemu-switch,
// qemu-window-per-hb, then the timing model's trees: direct, switch, two-level-switch, pool8,
// gen4-switch (link widths/speeds: a PCIe 4.0 switch in front of x8 devices), type2-accel
// (Type 2 accelerators beside Type 3 memdevs).
std::vector<std::string_view> builtin_topology_names();

// The TOML text of builtin NAME; nullopt when there is none.
std::optional<std::string_view> builtin_topology_toml(std::string_view name);

}  // namespace cxlsim
