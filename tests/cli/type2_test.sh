#!/usr/bin/env bash
# CLI behaviour with Type 2 accelerators (builtin:type2-accel: accel0 on root port rp1 of hb0,
# accel1 below switch sw0 of hb1; cfmw0 allows Type 3 memory only, cfmw1 Type 2 only, cfmw2
# both): `cxl list` keeps them out of the memdevs and lists them separately, `regs` shows an
# accelerator's registers, regions over their memory decode and are refused where the window's
# restrictions say so, and mlc/replay measure their memory.
# Usage: type2_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"
T=builtin:type2-accel

# cxl list: the memdev list is what the Type 3 devices alone give; Linux 6.1 shows no Type 2
# device, so the accelerators object comes only with --extra.
run 0 list "$T" --json
[[ $(jqv 'length') == 1 ]] || fail "the Linux-shaped listing has more than the bus"
run 0 list "$T" --json --extra
[[ $(jqv '[.. | objects | select(has("memdev") and (.memdev | type) == "string" and has("serial")) | .topology_id] | sort | join(",")') == "mem0,mem1,mem2" ]] \
  || fail "memdevs are not exactly mem0, mem1, mem2: $(jqv '[.. | objects | select(has("serial")) | .topology_id]')"
[[ $(jqv '[.[0] | .. | objects | select(has("endpoint")) | .topology_id] | sort | join(",")') == "mem0,mem1,mem2" ]] || fail "endpoints are not mem0, mem1, mem2"
[[ $(jqv '.[1].accelerators | map(.id) | join(",")') == "accel0,accel1" ]] || fail "accelerators array: $(jqv '.[1]')"
[[ $(jqv '.[1].accelerators[0].hdm_size') == $((4 << 30)) ]] || fail "accel0 HDM size"
[[ $(jqv '.[1].accelerators[0].cache_size') == $((1 << 20)) ]] || fail "accel0 cache size"
[[ $(jqv '.[1].accelerators[1].path') == "hb1 > rp2 > sw0 > sw0_dsp1 > accel1" ]] || fail "accel1 path: $(jqv '.[1].accelerators[1].path')"
# Without Type 2 devices the output has the bus alone (cxl list's shape).
run 0 list builtin:switch --json
[[ $(jqv 'length') == 1 ]] || fail "a Type 3-only topology lists more than the bus"
# Tables: an ACCELERATOR section, not MEMDEV rows.
run 0 list "$T"
expect_out "ACCELERATOR"
[[ $(grep -c "^mem[0-9]" <<<"$OUT") == 3 ]] || fail "memdev table rows: $OUT"

# A region on accel0 in cfmw1 (window 1): HDM-D decoders committed, HPA -> DPA on accel0.
run 0 list "$T" --region window=1,ways=1,targets=accel0,mode=ram --json --extra
[[ $(jqv '.[1].accelerators[0] | to_entries[] | select(.key | startswith("decoders:")) | .value[0].target_type') == hdm-d ]] \
  || fail "accel0 decoder 0 is not committed as HDM-D"
base=$(jqv '.[0]."decoders:root0"[1]."regions:decoder0.1"[0].resource')
[[ $base != null ]] || fail "no region under decoder0.1"
run 0 decode "$T" --region window=1,ways=1,targets=accel0,mode=ram --json $((base + 0x12345))
[[ $(jqv '.. | objects | select(has("dpa")) | .dpa' | head -1) == $((0x12345)) ]] || fail "decode DPA: $OUT"
expect_out accel0

# Refusals, with the window restriction named.
run 1 list "$T" --region window=0,ways=1,targets=accel0,mode=ram
expect_err "does not allow Type 2"
expect_err "type2 (bit 0)"
run 1 list "$T" --region window=1,ways=1,targets=mem0,mode=ram
expect_err "does not allow Type 3"
run 1 list "$T" --region window=2,ways=2,targets=mem1:accel1,mode=ram
expect_err "cannot share a region"
run 1 list "$T" --region window=2,ways=1,targets=accel1
expect_err "use mode=ram"

# regs: an accelerator's config space (class 12h, DVSECs 0, 5, 7, 8) and HDM decoders.
run 0 regs "$T" --component accel1 --json
[[ $(( $(jqv '.config_space.summary.class_code') >> 16 )) == $((0x12)) ]] || fail "accel1 class code $(jqv '.config_space.summary.class_code')"
[[ $(jqv '[.config_space.summary.dvsecs[].id] | sort | join(",")') == "0,5,7,8" ]] || fail "accel1 DVSECs"
[[ $(jqv '[.config_space.summary.register_blocks[].id] | join(",")') == "1" ]] || fail "accel1 register blocks (component only)"
[[ $(jqv '.component_registers | has("hdm")') == true ]] || fail "accel1 has no HDM capability"

# mbox: no Memory Device command set on a Type 2 device.
run 2 mbox "$T" --memdev accel0 identify
expect_err "Type 2 device"

# QEMU 7.2 has no Type 2 device: export refuses, naming it.
run 2 topology export-qemu "$T"
expect_err "type2 'accel0'"

# Timing: mlc measures accel0's memory; replay runs on a region over it.
run 0 mlc --idle-latency --topology "$T" --target accel0 --json --quiet
acc=$(jqv '.idle_latency_ns')
run 0 mlc --idle-latency --topology "$T" --target mem0 --json --quiet
mem=$(jqv '.idle_latency_ns')
# Same device profile, both on a root port of hb0: the same idle latency.
[[ $acc == "$mem" && $acc != null ]] || fail "accel0 idle latency $acc != mem0's $mem"
run 0 mlc --idle-latency --topology "$T" --target accel1 --json --quiet
[[ $(python3 -c "print($(jqv '.idle_latency_ns') > $acc)") == True ]] || fail "accel1 (below a switch) is not slower than accel0"
printf 'R 0 64\nW 40 64\nR 1000 64\n' >"$TMP/t.txt"
run 0 replay "$TMP/t.txt" --topology "$T" --region window=1,ways=1,targets=accel0,mode=ram --json --quiet
[[ $(jqv '.requests') == 3 ]] || fail "replay on accel0: $OUT"

# --device-of gives one device its own profile: accel0 then measures as the FPGA profile does on
# the same path, while mem0 keeps --device.
run 0 mlc --idle-latency --topology "$T" --target accel0 --device-of accel0=cxl-fpga-agilex --json --quiet
own=$(jqv '.idle_latency_ns')
[[ $(jqv '.device_of.accel0') == cxl-fpga-agilex ]] || fail "--device-of not reported: $OUT"
run 0 mlc --idle-latency --topology "$T" --target accel0 --device cxl-fpga-agilex --json --quiet
[[ $own == "$(jqv '.idle_latency_ns')" && $own != "$acc" ]] || fail "--device-of accel0: $own, not the FPGA profile's"
run 0 mlc --idle-latency --topology "$T" --target mem0 --device-of accel0=cxl-fpga-agilex --json --quiet
[[ $(jqv '.idle_latency_ns') == "$mem" ]] || fail "--device-of accel0 changed mem0"
run 0 replay "$TMP/t.txt" --topology "$T" --region window=1,ways=1,targets=accel0,mode=ram --device-of accel0=cxl-fpga-agilex --json --quiet
[[ $(jqv '.requests') == 3 ]] || fail "replay with --device-of: $OUT"
run 2 mlc --idle-latency --topology "$T" --device-of nope=cxl-fpga-agilex
expect_err "no Type 3 or Type 2 device 'nope'"
run 2 mlc --idle-latency --topology "$T" --device-of accel0
expect_err "expected ID=PROFILE"
run 2 mlc --idle-latency --topology "$T" --device-of accel0=eurosys24-ddr5
expect_err "local DRAM profile"

finish "type2 CLI"
