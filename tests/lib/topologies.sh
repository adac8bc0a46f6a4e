# Topology files the test scripts of tests/cli and tests/conformance share. Source it.

# Writes to FILE the head of a topology: one window (cfmw0, 4G) over host bridge hb0 (bus 12)
# with root port rp0; the rest (the root port's other keys, the devices) comes from standard
# input.
one_root_port_topology() {
  {
    cat <<'TOML'
version = 1
[[window]]
id = "cfmw0"
size = "4G"
targets = ["hb0"]
[[host_bridge]]
id = "hb0"
bus_nr = 12
[[root_port]]
id = "rp0"
host_bridge = "hb0"
TOML
    cat
  } >"$1"
}
