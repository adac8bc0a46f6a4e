#!/usr/bin/env bash
# The device's mailbox state is what the fabric sees (docs/mailbox.md "The fabric reads it"):
# poison injected or cleared with `cxlsim mbox` is what the next `decode` reports, and a DC
# region's addresses are backed exactly where the device holds accepted extents.
# Usage: device_state_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# One RAM-backed device (its state is kept only in --state-dir).
one_root_port_topology "$TMP/t.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
lsa = "1M"
TOML
mkdir "$TMP/st"
M=(mbox "$TMP/t.toml" --memdev mem0 --state-dir "$TMP/st")
D=(decode "$TMP/t.toml" --region window=0,ways=1 --state-dir "$TMP/st")

run 0 "${D[@]}" --offset 0x1010
expect_out "media: ok"
run 0 "${M[@]}" poison inject 0x1000
run 0 "${D[@]}" --offset 0x1010
expect_out "media: poisoned [DPA 0x1000 +0x40 injected]"
run 0 "${D[@]}" --offset 0x1010 --json
[[ $(jqv .media) == poisoned && $(jqv '.poison[0].dpa') == 4096 && $(jqv '.poison[0].length') == 64 ]] ||
  fail "decode --json does not report the poisoned line: $OUT"
run 0 "${D[@]}" --offset 0x1040  # the next line is clean
expect_out "media: ok"
run 0 decode "$TMP/t.toml" --region window=0,ways=1 --offset 0x1010  # another state: none kept
expect_out "media: ok"
run 0 "${M[@]}" poison clear 0x1000
run 0 "${D[@]}" --offset 0x1010
expect_out "media: ok"
run 2 "${D[@]}" --offset 0 --state-dir "$TMP/nosuch"
expect_err "nosuch"

# Dynamic capacity: a mode=dc region maps the DC region; only accepted extents are backed.
one_root_port_topology "$TMP/dc.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
dc_regions = ["256M"]
TOML
mkdir "$TMP/dcst"
M=(mbox "$TMP/dc.toml" --memdev mem0 --state-dir "$TMP/dcst")
D=(decode "$TMP/dc.toml" --region window=0,ways=1,mode=dc --state-dir "$TMP/dcst")
DC=$((256 << 20))  # the DC region follows the static capacity
run 0 "${D[@]}" --offset 0x200000
expect_out "DPA 0x$(printf %x $((DC + 0x200000)))"
expect_out "media: unbacked"
expect_out "outside every accepted extent"
run 0 "${M[@]}" dc offer --region 0 --dpa $DC --length 0x400000
run 0 "${D[@]}" --offset 0x200000  # offered is not accepted
expect_out "media: unbacked"
run 0 "${M[@]}" dc accept $DC 0x400000
run 0 "${D[@]}" --offset 0x200000 --json
[[ $(jqv .media) == ok ]] || fail "an accepted extent is not backed: $OUT"
run 0 "${D[@]}" --offset 0x400000  # just past the extent
expect_out "media: unbacked"
run 0 "${M[@]}" dc release $DC 0x200000
run 0 "${D[@]}" --offset 0x100000  # released
expect_out "media: unbacked"
run 0 "${D[@]}" --offset 0x300000  # still accepted
expect_out "media: ok"
run 0 list "$TMP/dc.toml" --region window=0,ways=1,mode=dc --state-dir "$TMP/dcst" --json
[[ $(jqv '[.. | objects | select(.region? == "region0") | .size] | first') == $((256 << 20)) ]] ||
  fail "list does not show the dc region: $OUT"
run 2 decode "$TMP/dc.toml" --region window=0,ways=1,mode=nvm --offset 0
expect_err "mode must be pmem, ram or dc"
# A device without DC capacity has none to map.
run 1 decode "$TMP/t.toml" --region window=0,ways=1,mode=dc --offset 0
expect_err "free dc capacity"

# mlc reads every line of its region: poison there refuses the run with the memory failure
# Linux would report (SIGBUS), naming the line; cleared, the run goes ahead. The state is the
# one beside the backing file.
one_root_port_topology "$TMP/file.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
persistent_path = "$TMP/mem0.raw"
TOML
F=(mbox "$TMP/file.toml" --memdev mem0)
run 0 mlc --topology "$TMP/file.toml" --idle-latency --quiet
expect_out "Idle latency"
run 0 "${F[@]}" poison inject 0x2000
run 1 mlc --topology "$TMP/file.toml" --idle-latency --quiet
expect_err "region0: memdev 'mem0' DPA 0x2000"
expect_err "SIGBUS"
run 0 "${F[@]}" poison clear 0x2000
run 0 mlc --topology "$TMP/file.toml" --idle-latency --quiet
expect_out "Idle latency"

finish "device_state_test"
