#!/usr/bin/env bash
# The device's mailbox state is what the fabric sees (docs/mailbox.md "The fabric reads it"):
# poison injected or cleared with `cxlsim mbox` is what the next `decode` reports, through
# --state-dir as through the state beside a backing file.
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

finish "device_state_test"
