// The TOML texts of builtin_topologies.h, copies of examples/NAME.toml (checked by
// builtin_topologies_test.cc).
#include "fabric/builtin_topologies.h"

#include <array>
#include <utility>

namespace cxlsim {
namespace {
constexpr std::string_view kDefault = R"toml(# cxlsim topology: "default" (also built in as builtin:default).
# One host bridge with two root ports: a four-port switch with four 1 GiB persistent-memory
# devices below root port 0, and one 1 GiB device directly on root port 1. One 8 GiB window
# targets the host bridge. The format is specified in docs/topology_format.md.

version = 1            # format version (optional; 1 is the only version)
name = "default"       # shown by `cxlsim topology show`

# A CXL Fixed Memory Window (CEDT CFMWS): host physical addresses routed to host bridges.
[[window]]
id = "cfmw0"                 # unique id
# base = "0x4c00000000"      # HPA base; optional, assigned when the fabric is built
size = "8G"                  # multiple of 256 MiB
targets = ["hb0"]            # host bridge ids in interleave order: 1,2,3,4,6,8,12 or 16 of them
granularity = "256"          # host bridge interleave granularity, 256 B .. 16 KiB, power of two
restrictions = ["type3", "volatile", "persistent"]   # any of type2, type3, volatile, persistent, fixed

# A CXL host bridge (QEMU pxb-cxl).
[[host_bridge]]
id = "hb0"
uid = 12                     # ACPI _UID / CHBS UID; defaults to bus_nr, as QEMU does
bus_nr = 12                  # first bus number below the host bridge, 1..255 (required)

# Root ports (QEMU cxl-rp) below a host bridge.
[[root_port]]
id = "rp0"
host_bridge = "hb0"
port = 0                     # port number, unique below the host bridge (default: position)
chassis = 0                  # PCIe slot chassis/slot; export-qemu makes repeated pairs unique
slot = 0

[[root_port]]
id = "rp1"
host_bridge = "hb0"
port = 1
chassis = 0
slot = 1

# A switch, named by its upstream port (QEMU cxl-upstream); parent is a root or downstream port.
[[switch]]
id = "sw0"
parent = "rp0"

# Switch downstream ports (QEMU cxl-downstream).
[[downstream_port]]
id = "sw0p0"
switch = "sw0"
port = 0
chassis = 0
slot = 2

[[downstream_port]]
id = "sw0p1"
switch = "sw0"
port = 1
chassis = 0
slot = 3

[[downstream_port]]
id = "sw0p2"
switch = "sw0"
port = 2
chassis = 0
slot = 4

[[downstream_port]]
id = "sw0p3"
switch = "sw0"
port = 3
chassis = 0
slot = 5

# Type 3 memory devices (QEMU cxl-type3).
[[type3]]
id = "mem0"
parent = "sw0p0"             # a root port or downstream port
volatile = "0"               # volatile capacity, multiple of 256 MiB
persistent = "1G"            # persistent capacity, multiple of 256 MiB
lsa = "1M"                   # label storage area size (0: none)
serial = 1                   # device serial number (0: none); unique
# persistent_path = "/var/lib/cxlsim/mem0.raw"   # backing file; absent: anonymous RAM
# volatile_path, lsa_path: the same for volatile capacity and the LSA

[[type3]]
id = "mem1"
parent = "sw0p1"
persistent = "1G"
lsa = "1M"
serial = 2

[[type3]]
id = "mem2"
parent = "sw0p2"
persistent = "1G"
lsa = "1M"
serial = 3

[[type3]]
id = "mem3"
parent = "sw0p3"
persistent = "1G"
lsa = "1M"
serial = 4

[[type3]]
id = "mem4"
parent = "rp1"
persistent = "1G"
lsa = "1M"
serial = 5
)toml";

constexpr std::string_view kSwitch2 = R"toml(# cxlsim topology: "switch2" (also built in as builtin:switch2).
# Two levels of switches: root port 0 -> switch sw0 -> (downstream port sw0p0 -> switch sw1 ->
# two devices; downstream port sw0p1 -> one device); root port 1 -> one device. Every device
# has 512 MiB persistent capacity. Keys are documented in default.toml and
# docs/topology_format.md.
version = 1
name = "switch2"

[[window]]
id = "cfmw0"
size = "4G"
targets = ["hb0"]
granularity = "1k"

[[host_bridge]]
id = "hb0"
bus_nr = 12

[[root_port]]
id = "rp0"
host_bridge = "hb0"
port = 0
slot = 0

[[root_port]]
id = "rp1"
host_bridge = "hb0"
port = 1
slot = 1

[[switch]]
id = "sw0"
parent = "rp0"

[[switch]]
id = "sw1"
parent = "sw0p0"             # a switch below a downstream port of another switch

[[downstream_port]]
id = "sw0p0"
switch = "sw0"
port = 0
slot = 2

[[downstream_port]]
id = "sw0p1"
switch = "sw0"
port = 1
slot = 3

[[downstream_port]]
id = "sw1p0"
switch = "sw1"
port = 0
slot = 4

[[downstream_port]]
id = "sw1p1"
switch = "sw1"
port = 1
slot = 5

[[type3]]
id = "mem0"
parent = "sw1p0"
persistent = "512M"
lsa = "1M"
serial = 0x10

[[type3]]
id = "mem1"
parent = "sw1p1"
persistent = "512M"
lsa = "1M"
serial = 0x11

[[type3]]
id = "mem2"
parent = "sw0p1"
persistent = "512M"
lsa = "1M"
serial = 0x12

[[type3]]
id = "mem3"
parent = "rp1"
persistent = "512M"
lsa = "1M"
serial = 0x13
)toml";

constexpr std::string_view kQemuSingle = R"toml(# cxlsim topology: "qemu-single" (also built in as builtin:qemu-single).
# QEMU's docs/system/devices/cxl.rst, "a very simple setup with just one directly attached CXL
# Type 3 device": one host bridge, one root port, one 256 MiB persistent device with a 256 MiB
# LSA, one 4 GiB window. Ids, object ids and paths are those of the QEMU example, so importing
# that command line (qemu-single.txt) gives exactly this topology. Restrictions are the 0x0f
# QEMU 7.2 advertises. Keys: see default.toml and docs/topology_format.md.
version = 1
name = "qemu-single"

[[window]]
id = "cfmw0"
size = "4G"
targets = ["cxl.1"]
granularity = "256"          # QEMU's default when interleave-granularity is absent
restrictions = ["type2", "type3", "volatile", "persistent"]

[[host_bridge]]
id = "cxl.1"
uid = 12
bus_nr = 12

[[root_port]]
id = "root_port13"
host_bridge = "cxl.1"
port = 0
chassis = 0
slot = 2

[[type3]]
id = "cxl-pmem0"
parent = "root_port13"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem1"       # QEMU memory-backend object ids, kept for round trips
persistent_path = "/tmp/cxltest.raw"
lsa_object = "cxl-lsa1"
lsa_path = "/tmp/lsa.raw"
)toml";

constexpr std::string_view kQemu2hb = R"toml(# cxlsim topology: "qemu-2hb" (also built in as builtin:qemu-2hb).
# QEMU's "setup suitable for 4 way interleave": two host bridges with two root ports each and a
# 256 MiB persistent device on every root port; one 4 GiB window interleaving both host bridges
# at 8 KiB granularity.
# Ids, object ids and paths are those of QEMU's docs/system/devices/cxl.rst; restrictions are
# the 0x0f QEMU 7.2 advertises. Keys: see default.toml and docs/topology_format.md.
version = 1
name = "qemu-2hb"

[[window]]
id = "cfmw0"
size = "4G"
targets = ["cxl.1", "cxl.2"]
granularity = "8K"
restrictions = ["type2", "type3", "volatile", "persistent"]

[[host_bridge]]
id = "cxl.1"
uid = 12
bus_nr = 12

[[host_bridge]]
id = "cxl.2"
uid = 222
bus_nr = 222

[[root_port]]
id = "root_port13"
host_bridge = "cxl.1"
port = 0
chassis = 0
slot = 2

[[root_port]]
id = "root_port14"
host_bridge = "cxl.1"
port = 1
chassis = 0
slot = 3

[[root_port]]
id = "root_port15"
host_bridge = "cxl.2"
port = 0
chassis = 0
slot = 5

[[root_port]]
id = "root_port16"
host_bridge = "cxl.2"
port = 1
chassis = 0
slot = 6

[[type3]]
id = "cxl-pmem0"
parent = "root_port13"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem1"
persistent_path = "/tmp/cxltest.raw"
lsa_object = "cxl-lsa1"
lsa_path = "/tmp/lsa.raw"

[[type3]]
id = "cxl-pmem1"
parent = "root_port14"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem2"
persistent_path = "/tmp/cxltest2.raw"
lsa_object = "cxl-lsa2"
lsa_path = "/tmp/lsa2.raw"

[[type3]]
id = "cxl-pmem2"
parent = "root_port15"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem3"
persistent_path = "/tmp/cxltest3.raw"
lsa_object = "cxl-lsa3"
lsa_path = "/tmp/lsa3.raw"

[[type3]]
id = "cxl-pmem3"
parent = "root_port16"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem4"
persistent_path = "/tmp/cxltest4.raw"
lsa_object = "cxl-lsa4"
lsa_path = "/tmp/lsa4.raw"
)toml";

constexpr std::string_view kQemuSwitch = R"toml(# cxlsim topology: "qemu-switch" (also built in as builtin:qemu-switch).
# QEMU's "4 devices below a switch suitable for 1, 2 or 4 way interleave": one host bridge,
# two root ports, a switch below root port 0 with four downstream ports, a 256 MiB persistent
# device on each; one 4 GiB window at 4 KiB granularity. Root port 1 is empty (a warning).
# Ids, object ids and paths are those of QEMU's docs/system/devices/cxl.rst; restrictions are
# the 0x0f QEMU 7.2 advertises. Keys: see default.toml and docs/topology_format.md.
version = 1
name = "qemu-switch"

[[window]]
id = "cfmw0"
size = "4G"
targets = ["cxl.1"]
granularity = "4K"
restrictions = ["type2", "type3", "volatile", "persistent"]

[[host_bridge]]
id = "cxl.1"
uid = 12
bus_nr = 12

[[root_port]]
id = "root_port0"
host_bridge = "cxl.1"
port = 0
chassis = 0
slot = 0

[[root_port]]
id = "root_port1"
host_bridge = "cxl.1"
port = 1
chassis = 0
slot = 1

[[switch]]
id = "us0"
parent = "root_port0"

[[downstream_port]]
id = "swport0"
switch = "us0"
port = 0
chassis = 0
slot = 4

[[downstream_port]]
id = "swport1"
switch = "us0"
port = 1
chassis = 0
slot = 5

[[downstream_port]]
id = "swport2"
switch = "us0"
port = 2
chassis = 0
slot = 6

[[downstream_port]]
id = "swport3"
switch = "us0"
port = 3
chassis = 0
slot = 7

[[type3]]
id = "cxl-pmem0"
parent = "swport0"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem0"
persistent_path = "/tmp/cxltest.raw"
lsa_object = "cxl-lsa0"
lsa_path = "/tmp/lsa0.raw"

[[type3]]
id = "cxl-pmem1"
parent = "swport1"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem1"
persistent_path = "/tmp/cxltest1.raw"
lsa_object = "cxl-lsa1"
lsa_path = "/tmp/lsa1.raw"

[[type3]]
id = "cxl-pmem2"
parent = "swport2"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem2"
persistent_path = "/tmp/cxltest2.raw"
lsa_object = "cxl-lsa2"
lsa_path = "/tmp/lsa2.raw"

[[type3]]
id = "cxl-pmem3"
parent = "swport3"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem3"
persistent_path = "/tmp/cxltest3.raw"
lsa_object = "cxl-lsa3"
lsa_path = "/tmp/lsa3.raw"
)toml";

constexpr std::string_view kQemuWindowPerHb = R"toml(# cxlsim topology: "qemu-window-per-hb" (also built in as builtin:qemu-window-per-hb).
# The fixed-window layout QEMU's cxl.rst draws for this topology: CFMW 0 routes to host bridge 0
# only, CFMW 1 interleaves both host bridges, CFMW 2 routes to host bridge 1 only. Host
# bridges, ports and devices are those of qemu-2hb.
# Ids, object ids and paths are those of QEMU's docs/system/devices/cxl.rst; restrictions are
# the 0x0f QEMU 7.2 advertises. Keys: see default.toml and docs/topology_format.md.
version = 1
name = "qemu-window-per-hb"

[[window]]
id = "cfmw0"
size = "4G"
targets = ["cxl.1"]
granularity = "256"
restrictions = ["type2", "type3", "volatile", "persistent"]

[[window]]
id = "cfmw1"
size = "4G"
targets = ["cxl.1", "cxl.2"]
granularity = "8K"
restrictions = ["type2", "type3", "volatile", "persistent"]

[[window]]
id = "cfmw2"
size = "4G"
targets = ["cxl.2"]
granularity = "256"
restrictions = ["type2", "type3", "volatile", "persistent"]

[[host_bridge]]
id = "cxl.1"
uid = 12
bus_nr = 12

[[host_bridge]]
id = "cxl.2"
uid = 222
bus_nr = 222

[[root_port]]
id = "root_port13"
host_bridge = "cxl.1"
port = 0
chassis = 0
slot = 2

[[root_port]]
id = "root_port14"
host_bridge = "cxl.1"
port = 1
chassis = 0
slot = 3

[[root_port]]
id = "root_port15"
host_bridge = "cxl.2"
port = 0
chassis = 0
slot = 5

[[root_port]]
id = "root_port16"
host_bridge = "cxl.2"
port = 1
chassis = 0
slot = 6

[[type3]]
id = "cxl-pmem0"
parent = "root_port13"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem1"
persistent_path = "/tmp/cxltest.raw"
lsa_object = "cxl-lsa1"
lsa_path = "/tmp/lsa.raw"

[[type3]]
id = "cxl-pmem1"
parent = "root_port14"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem2"
persistent_path = "/tmp/cxltest2.raw"
lsa_object = "cxl-lsa2"
lsa_path = "/tmp/lsa2.raw"

[[type3]]
id = "cxl-pmem2"
parent = "root_port15"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem3"
persistent_path = "/tmp/cxltest3.raw"
lsa_object = "cxl-lsa3"
lsa_path = "/tmp/lsa3.raw"

[[type3]]
id = "cxl-pmem3"
parent = "root_port16"
persistent = "256M"
lsa = "256M"
persistent_object = "cxl-mem4"
persistent_path = "/tmp/cxltest4.raw"
lsa_object = "cxl-lsa4"
lsa_path = "/tmp/lsa4.raw"
)toml";

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kBuiltins = {{
    {"default", kDefault},
    {"switch2", kSwitch2},
    {"qemu-single", kQemuSingle},
    {"qemu-2hb", kQemu2hb},
    {"qemu-switch", kQemuSwitch},
    {"qemu-window-per-hb", kQemuWindowPerHb},
}};

}  // namespace

std::vector<std::string_view> builtin_topology_names() {
  std::vector<std::string_view> out;
  for (const auto& [name, text] : kBuiltins) out.push_back(name);
  return out;
}

std::optional<std::string_view> builtin_topology_toml(std::string_view name) {
  for (const auto& [n, text] : kBuiltins) {
    if (n == name) return text;
  }
  return std::nullopt;
}

}  // namespace cxlsim
