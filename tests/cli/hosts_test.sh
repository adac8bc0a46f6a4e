#!/usr/bin/env bash
# Several hosts over one fabric (docs/multihost.md): `cxlsim mlc --hosts N`, `cxlsim replay
# --model requests --host-trace HOST=FILE`. Usage: hosts_test.sh <cxlsim> <source-dir>
source "$(dirname "$0")/lib.sh"
num() { python3 -c "import sys; sys.exit(0 if $1 else 1)"; }

run 0 mlc --help
expect_out "--hosts"
expect_out "--host-target"

# One host alone on mem0 of builtin:switch, then two hosts on mem0, then one on each device.
run 0 mlc --max-bandwidth --topology builtin:switch --target mem0 --window-us 30 --json
alone=$(jqv '.max_bandwidth_mbps["ALL Reads"]')
run 0 mlc --max-bandwidth --hosts 2 --topology builtin:switch --target mem0 --window-us 30 --json
h0=$(jqv '.hosts[0].max_bandwidth_mbps["ALL Reads"]')
h1=$(jqv '.hosts[1].max_bandwidth_mbps["ALL Reads"]')
total=$(jqv '.total.max_bandwidth_mbps["ALL Reads"]')
[[ $(jqv '[.hosts[].name] | join(",")') == h0,h1 ]] || fail "hosts not named h0,h1: $OUT"
num "0.4 * $alone < $h0 < 0.6 * $alone and 0.4 * $alone < $h1 < 0.6 * $alone" ||
  fail "two hosts on mem0 should get about half each of $alone: $h0, $h1"
num "abs($h0 + $h1 - $total) < 1 and abs($total - $alone) < 0.05 * $alone" ||
  fail "total $total should be the sum and about one host's $alone"
run 0 mlc --max-bandwidth --hosts 2 --topology builtin:switch --target mem0 --host-target h1=mem1 \
  --window-us 30 --json
[[ $(jqv '.hosts[1].target') == mem1 ]] || fail "h1's target is not mem1: $OUT"
a=$(jqv '.hosts[0].max_bandwidth_mbps["ALL Reads"]')
b=$(jqv '.hosts[1].max_bandwidth_mbps["ALL Reads"]')
num "abs($a - $alone) < 0.02 * $alone and abs($b - $alone) < 0.02 * $alone" ||
  fail "hosts on different devices should each keep $alone: $a, $b"

# Loaded latency: per-host curves; latency rises with load on the shared device.
run 0 mlc --loaded-latency --hosts 2 --topology builtin:switch --target mem0 --window-us 30 \
  --inject-delays 0,20000 --json
[[ $(jqv '.hosts[0].points | length') == 2 && $(jqv '.total.points | length') == 2 ]] ||
  fail "loaded latency: 2 points per host and in total: $OUT"
num "$(jqv '.hosts[0].points[0].latency_ns') > 2 * $(jqv '.hosts[0].points[1].latency_ns')" ||
  fail "loaded latency: no rise with load"
num "abs($(jqv '.total.points[0].latency_ns') - ($(jqv '.hosts[0].points[0].latency_ns') + \
  $(jqv '.hosts[1].points[0].latency_ns')) / 2) < 0.01" || fail "loaded latency: total is no mean"
run 0 mlc --loaded-latency --hosts 2 --topology builtin:switch --window-us 20 --inject-delays 0
expect_out "Total bw"
expect_out "h1 lat"
run 0 mlc --idle-latency --max-bandwidth --hosts 3 --window-us 20
expect_out "Idle latency (ns)"
expect_out "h2"

# Bad input: usage errors with a clear message.
run 2 mlc --max-bandwidth --hosts 0
expect_err "--hosts must be 1..64"
run 2 mlc --max-bandwidth --hosts 2 --host-target h1=mem1
expect_err "--host-target needs --topology"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:switch --host-target h5=mem1
expect_err "no host 'h5'"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:switch --host-target h1=nope
expect_err "host h1: --target 'nope'"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:switch --host-target h1
expect_err "expected HOST=TARGET"
run 2 mlc --max-bandwidth --topology builtin:switch --host-target h1=mem1
expect_err "--host-target needs --hosts 2 or more"
run 2 mlc --loaded-latency --hosts 2 --compare "$SRC/data/mlc/cxl-asic_read-seq_16thr.log"
expect_err "not with --hosts"

# --- replay: one trace per host ------------------------------------------------------------
python3 -c "
with open('$TMP/t.txt', 'w') as f:
    for i in range(20000): f.write(f'R {0x10000000 + i * 64:x}\\n')
"
mem0=(--topology builtin:switch --region window=0,ways=1,granularity=256,targets=mem0,mode=ram
  --max-outstanding 1024 --model requests --json)
run 0 replay "$TMP/t.txt" "${mem0[@]}"
alone=$(jqv '.bandwidth_gbps')
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" "${mem0[@]}"
[[ $(jqv '[.hosts[].requests] | join(",")') == 20000,20000 ]] || fail "replay: requests per host: $OUT"
a=$(jqv '.hosts[0].bandwidth_gbps')
b=$(jqv '.hosts[1].bandwidth_gbps')
total=$(jqv '.total.bandwidth_gbps')
num "0.4 * $alone < $a < 0.6 * $alone and 0.4 * $alone < $b < 0.6 * $alone" ||
  fail "replay: two hosts on mem0 should get about half each of $alone GB/s: $a, $b"
num "abs($total - $alone) < 0.05 * $alone" || fail "replay: total $total vs one host's $alone"
num "$(jqv '.total.latency_ns.mean') > 0" || fail "replay: no total latency"
[[ $(jqv '.shared_components[] | select(.name == "mem0 media") | .requests') == 40000 ]] ||
  fail "replay: mem0's media should serve both hosts"
# A host on another device (its own 1-way region on mem1) is not slowed.
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" "${mem0[@]}" \
  --host-region h1=window=0,ways=1,granularity=256,targets=mem1,mode=ram
a=$(jqv '.hosts[0].bandwidth_gbps')
b=$(jqv '.hosts[1].bandwidth_gbps')
num "abs($a - $alone) < 0.02 * $alone and abs($b - $alone) < 0.02 * $alone" ||
  fail "replay: hosts on mem0 and mem1 should each keep $alone GB/s: $a, $b"
[[ $(jqv '.shared_components[] | select(.name == "mem1 media") | .requests') == 20000 ]] ||
  fail "replay: --host-region h1 on mem1 should send h1's lines to mem1"
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" --model requests --quiet
expect_out "Shared by the hosts"
expect_out "h1:rp0"
run 2 replay --host-trace h0="$TMP/t.txt"
expect_err "--host-trace runs on --model requests"
run 2 replay --model requests --host-trace h0="$TMP/t.txt" --host-trace h0="$TMP/t.txt"
expect_err "given twice"
run 2 replay --model requests --host-trace h0
expect_err "expected HOST=FILE"
run 2 replay --model requests "$TMP/t.txt" --host-trace h0="$TMP/t.txt"
expect_err "not both"
run 2 replay --model requests --host-trace h0="$TMP/t.txt" --host-region h3=window=0,ways=1
expect_err "no --host-trace for host 'h3'"
run 2 replay --model requests "$TMP/t.txt" --host-region h0=window=0,ways=1
expect_err "--host-region needs --host-trace"

# --- shared HDM-DB memory (examples/shared-hdm-db.toml: mem0 shared, a 16384-line snoop filter)
# Two hosts reading 20000 lines each, in disjoint parts of mem0: no line is shared, so the only
# back-invalidation is the snoop filter's: every line past its 16384 entries evicts one entry,
# held by one host (CXL 3.1 §3.3.3): 40000 - 16384 BISnpInv, each answered.
shared=(--topology "$SRC/examples/shared-hdm-db.toml"
  --region window=0,ways=1,granularity=256,targets=mem0,mode=ram --max-outstanding 1024
  --model requests --json)
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" "${shared[@]}"
[[ $(jqv '[.hosts[].back_invalidation.requests] | join(",")') == 20000,20000 ]] ||
  fail "shared: requests to shared memory per host: $OUT"
[[ $(jqv '[.hosts[].back_invalidation.bi_evictions] | add') == 23616 ]] ||
  fail "shared: snoop filter evictions should be 40000 - 16384: $OUT"
[[ $(jqv '[.hosts[].back_invalidation.bisnp_inv_received] | add') == 23616 &&
   $(jqv '[.hosts[].back_invalidation.birsp_sent] | add') == 23616 ]] ||
  fail "shared: one BISnpInv and one BIRsp per eviction: $OUT"
[[ $(jqv '[.hosts[].back_invalidation.writebacks] | add') == 0 ]] ||
  fail "shared: read lines are clean, nothing to write back: $OUT"
# One host alone on shared memory (--host-trace runs the DCOH even for one): its own lines past
# the snoop filter's entries are back-invalidated, one each.
run 0 replay --host-trace h0="$TMP/t.txt" "${shared[@]}"
[[ $(jqv '.hosts[0].back_invalidation.bi_evictions') == 3616 &&
   $(jqv '.hosts[0].back_invalidation.bisnp_inv_received') == 3616 ]] ||
  fail "shared, one host: 20000 - 16384 of its own lines evicted: $OUT"
one=$(jqv '.hosts[0].latency_ns.mean')
# A plain replay on shared memory is that one-host run (the same latency), slower than on
# unshared memory by its evictions.
run 0 replay "$TMP/t.txt" "${shared[@]}"
[[ $(jqv '.latency_ns.mean') == "$one" ]] || fail "plain replay on shared memory: $OUT"
run 0 replay "$TMP/t.txt" "${mem0[@]}"
num "$(jqv '.latency_ns.mean') < $one" || fail "unshared replay should not pay evictions: $OUT"
# So is a plain mlc: its threads' buffers overflow the snoop filter, and every eviction of a
# written line waits for a BISnpInv round trip and a write-back.
run 0 mlc --max-bandwidth --topology builtin:switch --target mem0 --window-us 10 --json
plain=$(jqv '.max_bandwidth_mbps["1:1 Reads-Writes"]')
run 0 mlc --max-bandwidth --topology "$SRC/examples/shared-hdm-db.toml" --target mem0 \
  --window-us 10 --json
num "$(jqv '.max_bandwidth_mbps["1:1 Reads-Writes"]') < $plain" ||
  fail "plain mlc on shared memory should pay its snoop filter's evictions: $OUT"
# The same run on unshared memory reports no back-invalidation.
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" "${mem0[@]}"
[[ $(jqv '.hosts[0] | has("back_invalidation")') == false ]] || fail "unshared: back_invalidation"
run 0 replay --host-trace h0="$TMP/t.txt" --host-trace h1="$TMP/t.txt" --model requests --quiet \
  --topology "$SRC/examples/shared-hdm-db.toml"
expect_out "Back-invalidation (shared HDM-DB memory)"
expect_out "h1: "
run 0 mlc --max-bandwidth --hosts 2 --topology "$SRC/examples/shared-hdm-db.toml" --target mem0 \
  --window-us 10 --json
num "$(jqv '.hosts[1].back_invalidation.bi_evictions') > 0" ||
  fail "mlc: streams over more lines than the snoop filter holds should evict: $OUT"
run 0 mlc --max-bandwidth --hosts 2 --topology "$SRC/examples/shared-hdm-db.toml" --target mem1 \
  --window-us 10
expect_out "Back-invalidation (shared HDM-DB memory, all runs)"
# --same-lines: both hosts write the same 4000 lines (fewer than the snoop filter's entries).
# Per line the second writer takes it from the first (modified): one BISnpInv, one write-back.
python3 -c "
with open('$TMP/w.txt', 'w') as f:
    for i in range(4000): f.write(f'W {0x10000000 + i * 64:x}\\n')
"
run 0 replay --host-trace h0="$TMP/w.txt" --host-trace h1="$TMP/w.txt" "${shared[@]}"
apart=$(jqv '.total.latency_ns.mean')
[[ $(jqv '[.hosts[].back_invalidation.bisnp_received] | add') == 0 ]] ||
  fail "shared: disjoint parts should need no snoop: $OUT"
run 0 replay --host-trace h0="$TMP/w.txt" --host-trace h1="$TMP/w.txt" "${shared[@]}" --same-lines
[[ $(jqv '[.hosts[].back_invalidation.bisnp_inv_received] | add') == 4000 &&
   $(jqv '[.hosts[].back_invalidation.writebacks] | add') == 4000 &&
   $(jqv '[.hosts[].back_invalidation.bi_evictions] | add') == 0 ]] ||
  fail "shared --same-lines: one ownership change per line: $OUT"
num "$(jqv '.total.latency_ns.mean') > $apart" ||
  fail "shared --same-lines: taking lines from another host should cost latency: $OUT"
# With 1024 writes in flight per host each still waits for one snoop round trip, not for a
# queue of them: a small multiple of the disjoint writes' latency (it once ran away, 120x).
num "$(jqv '.total.latency_ns.mean') < 2 * $apart" ||
  fail "shared --same-lines: the loaded back-invalidation flow should not run away: $OUT"
run 2 replay --model requests "$TMP/w.txt" --same-lines
expect_err "--same-lines needs --host-trace"
run 2 mlc --max-bandwidth --same-lines
expect_err "--same-lines needs --hosts 2 or more"
run 0 mlc --max-bandwidth --hosts 2 --same-lines --topology "$SRC/examples/shared-hdm-db.toml" \
  --target mem0 --window-us 10 --json
num "$(jqv '.hosts[0].back_invalidation.bisnp_inv_received') > 0" ||
  fail "mlc --same-lines: writers of the same lines should invalidate each other: $OUT"
run 2 mlc --max-bandwidth --hosts 2 --topology "$SRC/examples/shared-hdm-db.toml" --host-cache 1M:8 \
  --window-us 10
expect_err "with a host cache is not modelled"
printf '[[type3]]\nid = "m"\nparent = "rp"\nshared = true\nsnoop_filter = 40000\n' >"$TMP/sf.toml"
run 2 topology show "$TMP/sf.toml"
expect_err "snoop_filter"

finish hosts_test
