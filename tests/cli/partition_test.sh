#!/usr/bin/env bash
# The device's command state is the fabric's: after `mbox set-partition` (at once with
# --immediate, else at the next reset) list, decode and region creation see the new
# volatile/persistent split.
# Usage: partition_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

one_root_port_topology "$TMP/t.toml" <<TOML
[[type3]]
id = "dev0"
parent = "rp0"
persistent = "1G"
lsa = "64K"
serial = 7
persistent_path = "$TMP/dev0.raw"
lsa_path = "$TMP/dev0.lsa"
TOML
T="$TMP/t.toml"
# pmem_size/ram_size of the memdev (cxl list omits a size that is 0), then partition_info's
# active split (Get Partition Info).
sizes() {
  run 0 list "$T" --json
  jqv '[.. | objects | select((.memdev | type) == "string") | "\(.pmem_size // 0)/\(.ram_size // 0)",
       "\(.partition_info.active_persistent_size)/\(.partition_info.active_volatile_size)"]
       | unique | join(" ")'
}

[[ $(sizes) == "1073741824/0" ]] || fail "initial split: $OUT"
run 0 list "$T" --region window=0,ways=1 --json

# All capacity to volatile, at once: no pmem region any more, a 1 GiB ram region instead.
run 0 mbox "$T" --memdev mem0 set-partition --volatile 1G --immediate
[[ $(sizes) == "0/1073741824" ]] || fail "after set-partition --immediate: $OUT"
run 1 list "$T" --region window=0,ways=1
expect_err "free pmem capacity"
run 0 list "$T" --region window=0,ways=1,mode=ram --json
[[ $(jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"][0].size') == 1073741824 ]] \
  || fail "ram region size: ${OUT:0:400}"
run 0 decode "$T" --region window=0,ways=1,mode=ram 0x110000000
expect_out "dev0"

# A pending split changes nothing until the device resets.
run 0 mbox "$T" --memdev dev0 set-partition --volatile 256M
[[ $(sizes) == "0/1073741824" ]] || fail "pending split applied early: $OUT"
run 0 mbox "$T" --memdev dev0 reset
[[ $(sizes) == "805306368/268435456" ]] || fail "after reset: $OUT"
run 0 list "$T" --region window=0,ways=1 --json
[[ $(jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"][0].size') == 805306368 ]] \
  || fail "pmem region after reset: ${OUT:0:400}"

finish partition_test
