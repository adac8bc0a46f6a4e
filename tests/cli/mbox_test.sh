#!/usr/bin/env bash
# CLI behaviour of `cxlsim mbox ...`: each mailbox command family end to end, state kept beside
# the backing file across invocations, effects on the backing file, errors and exit codes.
# Usage: mbox_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# A one-device topology whose persistent capacity and LSA are files.
one_root_port_topology "$TMP/topo.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
volatile = "256M"
persistent = "256M"
lsa = "64K"
serial = 7
persistent_path = "$TMP/mem0.raw"
lsa_path = "$TMP/mem0.lsa"
TOML
M=(mbox "$TMP/topo.toml" --memdev mem0)

# --help everywhere.
for sub in "" identify partition set-partition "labels read" "labels write" health alert-config \
           shutdown-state events "poison list" "poison inject" "poison clear" scan-media sanitize \
           secure-erase reset "security state" "security unlock" "dc config" raw; do
  run 0 mbox $sub --help
  expect_out "Usage"
done

run 0 "${M[@]}" identify
expect_out "total_capacity"
expect_out "512 MiB"
expect_out "serial                    0x7"
run 0 "${M[@]}" --json identify
expect_out '"lsa_size": 65536'

# Labels persist in the LSA file across invocations.
run 0 "${M[@]}" labels write --offset 0x10 "ca fe"
run 0 "${M[@]}" labels read --offset 0x10 --length 2
expect_out "ca fe"
[[ $(od -An -tx1 -j16 -N2 "$TMP/mem0.lsa" | tr -d ' \n') == cafe ]] || fail "LSA file does not hold the label"
run 1 "${M[@]}" labels read --offset 0xffff --length 2
expect_err "Invalid Input"

# Poison: inject, list (in a later invocation), clear with data that lands in the backing file.
PMEM=$((256 << 20))
run 0 "${M[@]}" poison inject $((PMEM + 0x2000))
[[ -f "$TMP/mem0.raw.state" ]] || fail "no state file beside the backing file"
run 0 "${M[@]}" --json poison list
expect_out "\"dpa\": \"0x$(printf %x $((PMEM + 0x2000)))\""
expect_out '"source": "injected"'
run 1 "${M[@]}" poison inject 0x40000000
expect_err "Invalid Physical Address"
run 0 "${M[@]}" scan-media
expect_out "records: 1"
run 0 "${M[@]}" events --log failure
expect_out "general-media"
run 0 "${M[@]}" events --clear
run 0 "${M[@]}" events
expect_out "records: 0"
run 0 "${M[@]}" poison clear $((PMEM + 0x2000)) --data "$(printf '5a%.0s' {1..64})"
[[ $(od -An -tx1 -j$((0x2000)) -N1 "$TMP/mem0.raw" | tr -d ' ') == 5a ]] || fail "clear poison data not in backing file"
run 0 "${M[@]}" poison list
expect_out "records: 0"
run 2 "${M[@]}" poison clear 0 --data "00"
expect_err "expected 64"

# Sanitize erases the backing file and the labels.
run 0 "${M[@]}" sanitize
[[ $(od -An -tx1 -j$((0x2000)) -N1 "$TMP/mem0.raw" | tr -d ' ') == 00 ]] || fail "sanitize left data in backing file"
[[ $(od -An -tx1 -j16 -N2 "$TMP/mem0.lsa" | tr -d ' \n') == 0000 ]] || fail "sanitize left labels"

# Partition: pending until a reset, which a later invocation applies.
run 0 "${M[@]}" set-partition --volatile 0
run 0 "${M[@]}" partition
expect_out "next_persistent    512 MiB"
run 0 "${M[@]}" reset
run 0 "${M[@]}" --json partition
expect_out '"active_volatile": 0'
run 1 "${M[@]}" set-partition --volatile 1G
expect_err "Invalid Input"
run 2 "${M[@]}" set-partition --volatile 100M
expect_err "256 MiB"

# Shutdown state and the dirty shutdown count.
run 0 "${M[@]}" shutdown-state --set dirty
expect_out "dirty"
run 0 "${M[@]}" reset
run 0 "${M[@]}" health
expect_out "dirty_shutdown_count               1"
run 2 "${M[@]}" shutdown-state --set maybe

# Alert configuration.
run 0 "${M[@]}" alert-config --life-used-warning 40
expect_out "life_used_warning             40"
run 1 "${M[@]}" alert-config --life-used-warning 95
expect_err "Invalid Input"

# Security: a passphrase locks the device at power cycle; unlock across invocations.
run 0 "${M[@]}" security set-passphrase --new secret
run 0 "${M[@]}" reset
run 0 "${M[@]}" --json security state
expect_out '"locked": true'
run 1 "${M[@]}" poison inject 0
expect_err "Invalid Security State"
run 1 "${M[@]}" security unlock --passphrase wrong
expect_err "Incorrect Passphrase"
run 0 "${M[@]}" security unlock --passphrase secret
run 0 "${M[@]}" --json security state
expect_out '"locked": false'
run 1 "${M[@]}" secure-erase
expect_err "Invalid Security State"
run 0 "${M[@]}" security disable-passphrase --passphrase secret
run 0 "${M[@]}" secure-erase

# Dynamic capacity: this device has no DC regions.
run 1 "${M[@]}" dc config
expect_err "Unsupported"

# Dynamic capacity on a topology device: DC regions follow the 512 MiB static capacity; the
# fabric manager offers an extent, the host accepts and releases it; state persists beside the
# backing file between invocations.
sed -e 's/id = "mem0"/id = "dcd0"/' -e "s|mem0\.|dcd0.|g" "$TMP/topo.toml" >"$TMP/dcd.toml"
printf 'dc_regions = ["256M", "512M"]\ndc_block_size = "2M"\n' >>"$TMP/dcd.toml"
D=(mbox "$TMP/dcd.toml" --memdev dcd0)
run 0 "${D[@]}" dc offer --help
expect_out "--region"
run 0 "${D[@]}" --json dc config
[[ $(jqv '.regions | length') == 2 ]] || fail "2 DC regions expected: $OUT"
[[ $(jqv '.regions[0].base') == 0x20000000 ]] || fail "region 0 at 512 MiB expected: $OUT"
[[ $(jqv '.regions[1].base') == 0x30000000 ]] || fail "region 1 at 768 MiB expected: $OUT"
run 0 "${D[@]}" dc offer --region 1 --dpa 0x30200000 --length 4M
expect_out "Add Capacity"
run 0 "${D[@]}" dc extents
expect_out "extents: 0"
[[ -f "$TMP/dcd0.raw.state" ]] || fail "DC state not kept beside dcd0.raw"
run 0 "${D[@]}" dc accept 0x30200000 4M
run 0 "${D[@]}" --json dc extents
[[ $(jqv '.extents[0].dpa') == 0x30200000 ]] || fail "accepted extent missing: $OUT"
run 1 "${D[@]}" dc accept 0x30200000 4M
run 0 "${D[@]}" dc release 0x30200000 4M
run 0 "${D[@]}" dc extents
expect_out "extents: 0"
run 2 "${D[@]}" dc offer --region 2 --dpa 0x30000000 --length 2M
expect_err "has 2 DC regions"
run 2 "${D[@]}" dc offer --region 0 --dpa 0x30000000 --length 2M
expect_err "not inside DC region 0"
run 1 "${D[@]}" dc offer --region 0 --dpa 0x20001000 --length 2M
expect_err "offer refused"
run 2 "${M[@]}" dc offer --region 0 --dpa 0x20000000 --length 2M
expect_err "memdev 'mem0' has no DC regions"
# A group of extents (one request of the fabric manager): the first event says More, the last
# not; one Add Dynamic Capacity Response takes both; the fabric manager asks for half of one back.
run 0 "${D[@]}" events --log dcd --clear
run 0 "${D[@]}" --json dc offer --region 0 --extent 0x20000000:2M --extent 0x20400000:4M \
  --tag 0123456789abcdef0123456789abcdef
[[ $(jqv 'length') == 2 ]] || fail "two Add Capacity events expected: $OUT"
run 0 "${D[@]}" --json raw 0100 04  # records from byte 0x20: flags at +0x35, tag at +0x48
ev=$(jqv '.output' | tr -d ' ')
[[ ${ev:170:2} == 01 && ${ev:426:2} == 00 ]] || fail "More on the first event only: $ev"
[[ ${ev:208:32} == 0123456789abcdef0123456789abcdef ]] || fail "tag carried: $ev"
run 0 "${D[@]}" raw 4802 "02000000 00000000 0000002000000000 0000200000000000 0000000000000000 0000402000000000 0000400000000000 0000000000000000"
expect_out "return_code    0"
run 0 "${D[@]}" --json dc extents
[[ $(jqv '.extents | length') == 2 ]] || fail "both extents accepted: $OUT"
run 0 "${D[@]}" dc request-release --region 0 --extent 0x20600000:2M
expect_out "Release Capacity"
run 1 "${D[@]}" dc request-release --region 0 --extent 0x20200000:2M
expect_err "release request refused"
run 0 "${D[@]}" dc release 0x20600000 2M
run 0 "${D[@]}" --json dc extents
[[ $(jqv '[.extents[] | .dpa + "+" + (.length|tostring)] | join(",")') == "0x20000000+2097152,0x20400000+2097152" ]] ||
  fail "the released half is gone: $OUT"
run 2 "${D[@]}" dc offer --region 0
expect_err "--extent"

# raw: return code and payload bytes.
run 0 "${M[@]}" raw 0300
expect_out "output_length  8"
run 1 "${M[@]}" raw 4102 "00"
expect_out "Invalid Payload Length"
run 1 "${M[@]}" raw 1234
expect_out "return_code    3"
run 2 "${M[@]}" raw zz
expect_err "OPCODE"
run 2 "${M[@]}" raw 4000 "0g"
expect_err "PAYLOAD"

# Bad input.
run 2 mbox "$TMP/topo.toml" --memdev nosuch identify
expect_err "no memdev 'nosuch'"
run 2 mbox "$TMP/missing.toml" --memdev mem0 identify
echo '{"format": "cxlsim-memdev-state", "version": 9}' >"$TMP/mem0.raw.state"
run 2 "${M[@]}" identify
expect_err "version 9"

# RAM-backed devices keep state in --state-dir.
mkdir "$TMP/st"
run 0 mbox builtin:default --memdev mem1 --state-dir "$TMP/st" poison inject 0x40
run 0 mbox builtin:default --memdev mem1 --state-dir "$TMP/st" poison list
expect_out "records: 1"
run 0 mbox builtin:default --memdev mem1 poison list
expect_err "RAM-backed"

# A 256 MiB LSA without a file (QEMU's example size) keeps its labels beside the --state-dir
# state, written and read by range: a label near the end survives to the next invocation, the
# label file stays sparse and the state file small.
one_root_port_topology "$TMP/biglsa.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
lsa = "256M"
TOML
mkdir "$TMP/big"
B=(mbox "$TMP/biglsa.toml" --memdev mem0 --state-dir "$TMP/big")
run 0 "${B[@]}" labels write --offset 0xffffffc "01 02 03 04"
run 0 "${B[@]}" labels read --offset 0xffffffa --length 6
expect_out "00 00 01 02 03 04"
(($(stat -c %s "$TMP/big/mem0.state") < 65536)) || fail "the labels went into the state file"
(($(stat -c %b "$TMP/big/mem0.state.lsa") * 512 < 1048576)) || fail "the label file was written whole"
run 1 "${B[@]}" labels write --offset 0xffffffd "01 02 03 04"
expect_err "Invalid Input"

finish "mbox CLI"
