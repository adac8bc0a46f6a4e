#!/usr/bin/env bash
# CLI behaviour of `cxlsim list|decode|map`: placements derived from the CXL interleave rule
# (position = HPA bits above the granularity; DPA = HPA offset with those bits removed), Linux
# 6.1's refusals with its reasons (exit 1), and malformed input (exit 2).
# Usage: region_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# Two host bridges interleaved at 256 B, two root ports each; every device has 256 MiB volatile
# then 256 MiB persistent capacity, the persistent part in a file.
cat >"$TMP/t.toml" <<TOML
version = 1
name = "region-test"
[[window]]
id = "cfmw0"
size = "4G"
targets = ["hb0", "hb1"]
granularity = "256"
[[host_bridge]]
id = "hb0"
uid = 0
bus_nr = 12
[[host_bridge]]
id = "hb1"
uid = 1
bus_nr = 64
TOML
n=0
for hb in 0 1; do
  for rp in 0 1; do
    cat >>"$TMP/t.toml" <<TOML
[[root_port]]
id = "rp$hb$rp"
host_bridge = "hb$hb"
port = $rp
chassis = $hb
slot = $rp
[[type3]]
id = "m$n"
parent = "rp$hb$rp"
volatile = "256M"
persistent = "256M"
serial = $((n + 1))
persistent_path = "$TMP/m$n.raw"
TOML
    n=$((n + 1))
  done
done
T=$TMP/t.toml

for sub in list decode map; do
  run 0 "$sub" --help
  expect_out "Usage"
done

# list: cxl list -vvv's shape, names in probe order.
run 0 list "$T" --json
[[ $(jqv '.[0].bus') == root0 ]] || fail "bus is not root0"
[[ $(jqv '.[0]["decoders:root0"][0].interleave_ways') == 2 ]] || fail "root decoder ways: $OUT"
[[ $(jqv '.[0]["decoders:root0"][0].resource') == $((0x110000000)) ]] || fail "window base not QEMU's 0x110000000"
# Host bridges in ACPI order, the reverse of QEMU's creation (topology) order: hb1 is port1.
[[ $(jqv '[.[0]["ports:root0"][] | "\(.port)=\(.host)"] | join(",")') == port1=ACPI0016:00,port2=ACPI0016:01 ]] || fail "host bridge ports"
[[ $(jqv '[.[0].dports[].alias] | join(",")') == pci0000:40,pci0000:0c ]] || fail "root dports not in ACPI order"
[[ $(jqv '.[0]["ports:root0"][1]["endpoints:port2"][0].memdev.memdev') == mem0 ]] || fail "endpoint memdev"
# m0: hb0 (bus 0x0c) > its first root port (0c:00.0) > bus 0x0d; m3: hb1 (bus 0x40), second
# root port, the second bus below it.
[[ $(jqv '.[0]["ports:root0"][1]["endpoints:port2"][0].memdev.host') == 0000:0d:00.0 ]] || fail "m0 PCI address"
[[ $(jqv '.[0]["ports:root0"][0]["endpoints:port1"][1].memdev.host') == 0000:42:00.0 ]] || fail "m3 PCI address"
[[ $(jqv '[.. | objects | select(has("topology_id"))] | length') == 0 ]] || fail "topology ids without --extra"
[[ $(jqv '.[0]["ports:root0"][0]["endpoints:port1"][0].memdev.pmem_size') == $((256 << 20)) ]] || fail "pmem_size"
run 0 list "$T"
expect_out "decoder0.0"
expect_out "m3"
run 0 list "$T" --region window=0,ways=4,granularity=256,targets=m0:m2:m1:m3 --json
[[ $(jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"][0].interleave_ways') == 4 ]] || fail "region ways"
run 0 list "$T" --region window=0,ways=4,granularity=256,targets=m0:m2:m1:m3 --json --extra
[[ $(jqv '[.[0]["decoders:root0"][0]["regions:decoder0.0"][0].mappings[].topology_id] | join(",")') == m0,m2,m1,m3 ]] ||
  fail "region mappings"
# Host bridge decoder: 2 targets selecting on bit 9 (Linux: eig = 1 -> 512 B).
[[ $(jqv '.[0]["ports:root0"][0]["decoders:port1"][0].interleave_granularity') == 512 ]] || fail "hb granularity"

# map: 4-way x 256 B: offset k*256 goes to position k mod 4 at DPA 256 MiB + (k div 4)*256
# (persistent capacity starts after the volatile 256 MiB), file offset = DPA - 256 MiB.
run 0 map "$T" --ways 4 --granularity 256 --targets m0,m2,m1,m3 --step 256 --count 8 --json
[[ $(jqv '[.[].memdev] | join(",")') == m0,m2,m1,m3,m0,m2,m1,m3 ]] || fail "map memdevs: $OUT"
[[ $(jqv '[.[].dpa] | map(. - 268435456) | join(",")') == 0,0,0,0,256,256,256,256 ]] || fail "map dpa: $OUT"
[[ $(jqv '.[5].file') == "$TMP/m2.raw" ]] || fail "map file"
[[ $(jqv '.[5].file_offset') == 256 ]] || fail "map file offset"
[[ $(jqv '.[3].hpa') == $((0x110000000 + 768)) ]] || fail "map hpa"
run 0 map "$T" --ways 2 --granularity 256 --targets m0,m2 --step 256 --count 3
expect_out "m2"

# decode: every level and the target it picked.
run 0 decode "$T" --region window=0,ways=4,granularity=256,targets=m0:m2:m1:m3 0x110000300 --json
[[ $(jqv '.id') == m3 ]] || fail "decode memdev: $OUT"
[[ $(jqv '.dpa') == $((268435456)) ]] || fail "decode dpa"
[[ $(jqv '.levels[0].decoder') == decoder0.0 && $(jqv '.levels[0].target') == hb1 ]] || fail "decode root level"
[[ $(jqv '.levels[1].target') == rp11 ]] || fail "decode host bridge level"
run 0 decode "$T" --region window=0,ways=4,granularity=256,targets=m0:m2:m1:m3 --offset 0x100
expect_out "m2"
run 1 decode "$T" --region window=0,ways=2,granularity=256,targets=m0:m2,size=512M 0x130000000
expect_err "not mapped"

# Linux's refusals: exit 1 with its reason.
run 1 map "$T" --ways 4 --granularity 256 --targets m0,m1,m2,m3 --step 256 --count 4 --json
expect_err "invalid target position for decoder0.0"
run 1 map "$T" --ways 3 --granularity 256 --step 256 --json
expect_err "invalid interleave: 3"
expect_err "region ways must be 2, 4, 8 or 16"
run 1 map "$T" --ways 2 --granularity 1024 --targets m0,m2 --step 256 --json
expect_err "invalid interleave granularity: 1024"
run 1 map "$T" --ways 2 --granularity 1000 --targets m0,m2 --step 256 --json
expect_err "invalid interleave granularity: 1000"
run 1 list "$T" --region window=0,ways=2,granularity=256,targets=m0:m2,size=768M
expect_err "not a nonzero multiple of 2 x 256 MiB"

# One HDM decoder per component (QEMU 7.2): a second region through a host bridge finds none.
run 1 list "$T" --hdm-decoders 1 --region window=0,ways=2,granularity=256,targets=m0:m2 \
  --region window=0,ways=2,granularity=256,targets=m1:m3
expect_err "port2: no decoder available"  # hb0, the second host bridge in ACPI order
run 0 list "$T" --region window=0,ways=2,granularity=256,targets=m0:m2 \
  --region window=0,ways=2,granularity=256,targets=m1:m3 --json
[[ $(jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"] | length') == 2 ]] || fail "two regions"

# Malformed input: exit 2.
run 2 map "$T" --ways 2 --granularity 256 --targets m0,mX --step 256
expect_err "no memdev 'mX'"
run 2 map "$T" --ways 4 --granularity 256 --targets m0,m2 --step 256
expect_err "2 targets given for a 4-way region"
run 2 map "$T" --ways 2 --granularity 4Q --step 256
expect_err "4Q"
run 2 list "$T" --region window=0
expect_err "window= and ways= are required"
run 2 list "$T" --region window=0,ways=2,colour=red
expect_err "unknown key 'colour'"
run 2 list "$T" --region window=9,ways=2
expect_err "no window '9'"
run 2 list "$TMP/missing.toml"
run 2 decode "$T" --region window=0,ways=2
expect_err "exactly one of HPA and --offset"

# Target order search (fabric/region_order.h): 16 ways over two root ports, each a 3-level
# binary switch tree; the messages name the rule broken.
tree='newick:((((1,2),(3,4)),((5,6),(7,8))),(((9,10),(11,12)),((13,14),(15,16))))'
run 0 list "$tree" --region window=0,ways=16 --json
[[ $(jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"][0].mappings | length') == 16 ]] \
  || fail "16-way over a 3-level switch tree: ${OUT:0:400}"
run 1 list "$tree" --region window=0,ways=32
expect_err "invalid interleave: 32: decoder0.0 interleaves 1 host bridge, so region ways must be 1, 2, 4, 8 or 16"
run 1 list 'newick:(1,(2,3))' --region window=0,ways=4
expect_err "a 4-way region needs 4 memdevs with free pmem capacity below the window's host bridges; there are 3"
run 1 list "$tree" --region window=0,ways=16,granularity=16K
expect_err "decoder0.0: invalid interleave: every order of the 16 memdevs gives a port a granularity above 16 KiB"

# Default regions of mlc/replay/run fall back where one region over all memdevs is impossible,
# and say so on stderr.
run 0 mlc --topology 'newick:(1,(2,3))' --idle-latency
expect_err "note: window cfmw0: no pmem region over its 3 memdevs (region ways must be 1, 2, 4, 8 or 16); default regions: 2-way over mem1:mem2, 1-way over mem3"
expect_out "Idle latency"
run 0 mlc --topology "$tree" --idle-latency
[[ $ERR != *note:* ]] || fail "16-way default region fell back: $ERR"

finish "region CLI"
