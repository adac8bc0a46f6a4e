#!/usr/bin/env bash
# A fabric manager's pool on the timing model (docs/multihost.md, "A fabric manager's pool"):
# `mlc --hosts N` and `replay --host-trace` on builtin:pool-2host with the bindings of the fabric
# manager's state (--fm-state). An LD of a shared MLD bound to two hosts is shared HDM-DB memory:
# writers of the same lines back-invalidate each other; the same on an unshared MLD (each host
# its own LD) has no back-invalidation at all; hosts with nothing bound are refused.
source "$(dirname "$0")/lib.sh"
num() { python3 -c "import sys; sys.exit(0 if $1 else 1)"; }
ST=$TMP/state
SOCK=$TMP/fm.sock
ADMIN=(--socket "$SOCK" --key-file "$ST/admin.key")

# The fabric manager binds LD 3 of mld0 (shared = true) to h0 and to h1, then stops.
"$CXLSIM" fm serve builtin:pool-2host --state "$ST" --socket "$SOCK" --quiet &
PID=$!
for _ in $(seq 600); do [[ -S $SOCK ]] && break; sleep 0.1; done
run 0 fm bind h0 0 mld0:3 "${ADMIN[@]}"
run 0 fm bind h1 1 mld0:3 "${ADMIN[@]}"
kill -TERM "$PID"
wait "$PID" || fail "fm serve did not exit cleanly"
pool=(--topology builtin:pool-2host --fm-state "$ST")

# mlc: both hosts measure the LD bound to them; writing the same lines, each host is snooped.
run 0 mlc --max-bandwidth --hosts 2 "${pool[@]}" --same-lines --threads 2 --window-us 10 --json
[[ $(jqv '[.hosts[].target] | join(",")') == mld0_ld3,mld0_ld3 ]] ||
  fail "each host should measure its LD mld0_ld3: $OUT"
for h in 0 1; do
  num "$(jqv ".hosts[$h].back_invalidation.bisnp_inv_received") > 0" ||
    fail "mlc --same-lines on a shared LD: host $h got no BISnpInv: $OUT"
done

# replay: both write the same 4000 lines; each line changes owner once (the second writer takes
# it modified from the first): one BISnpInv and one write-back per line, as on any shared device.
python3 -c "
with open('$TMP/w.txt', 'w') as f:
    for i in range(4000): f.write(f'W {0x10000000 + i * 64:x}\\n')
"
rp=(--model requests --host-trace h0="$TMP/w.txt" --host-trace h1="$TMP/w.txt" --max-outstanding 1024
  --json)
run 0 replay "${rp[@]}" "${pool[@]}"
apart=$(jqv '.total.latency_ns.mean')
[[ $(jqv '[.hosts[].back_invalidation.bisnp_received] | add') == 0 ]] ||
  fail "pool, disjoint parts of the shared LD: no snoop expected: $OUT"
run 0 replay "${rp[@]}" "${pool[@]}" --same-lines
[[ $(jqv '[.hosts[].back_invalidation.bisnp_inv_received] | add') == 4000 &&
   $(jqv '[.hosts[].back_invalidation.writebacks] | add') == 4000 ]] ||
  fail "pool --same-lines: one ownership change per line: $OUT"
num "$(jqv '.total.latency_ns.mean') > $apart" ||
  fail "pool --same-lines: taking lines from the other host should cost latency: $OUT"
# The state file itself does as well as its directory; one host alone runs on its LD.
run 0 replay --model requests "$TMP/w.txt" --topology builtin:pool-2host \
  --fm-state "$ST/state.json" --json
[[ $(jqv '.requests') == 4000 ]] || fail "one host on the pool: $OUT"

# The same pool with shared = false: an LD per host; no back-invalidation anywhere.
sed 's/shared = true/shared = false/' "$SRC/examples/pool-2host.toml" >"$TMP/unshared.toml"
state() {
  printf '{"format": "cxlsim-fm-state", "version": 1, "pool": "pool-2host", "ld_allocations": {},
 "bindings": [%s], "extents": [], "guests": {}}\n' "$1"
}
bind() { printf '{"host": "%s", "vppb": 0, "device": "mld0", "ld": %s}' "$1" "$2"; }
state "$(bind h0 0), $(bind h1 1)" >"$TMP/apart.json"
unshared=(--topology "$TMP/unshared.toml" --fm-state "$TMP/apart.json")
run 0 mlc --max-bandwidth --hosts 2 "${unshared[@]}" --same-lines --threads 2 --window-us 10 --json
[[ $(jqv '[.hosts[].target] | join(",")') == mld0_ld0,mld0_ld1 ]] || fail "unshared targets: $OUT"
[[ $(jqv '[.hosts[] | has("back_invalidation")] | any') == false ]] ||
  fail "unshared pool: no back-invalidation expected: $OUT"
run 0 replay "${rp[@]}" "${unshared[@]}" --same-lines
[[ $(jqv '[.hosts[] | has("back_invalidation")] | any') == false ]] ||
  fail "unshared pool replay: no back-invalidation expected: $OUT"
# A shared LD of the shared pool bound to one host only is plain memory as well.
state "$(bind h0 0), $(bind h1 1)" >"$TMP/own.json"
run 0 replay "${rp[@]}" --topology builtin:pool-2host --fm-state "$TMP/own.json" --same-lines
[[ $(jqv '[.hosts[] | has("back_invalidation")] | any') == false ]] ||
  fail "an LD bound to one host is not shared: $OUT"

# Bad input: exit 2 with a clear message, nothing run.
state "$(bind h0 3), $(bind h1 3)" >"$TMP/both.json"
run 2 mlc --max-bandwidth --hosts 2 --topology "$TMP/unshared.toml" --fm-state "$TMP/both.json"
expect_err "refused (Busy)"
state "$(bind h0 3)" >"$TMP/h0.json"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:pool-2host --fm-state "$TMP/h0.json"
expect_err "no LD is bound to host h1"
run 2 replay "${rp[@]}" --topology builtin:pool-2host --fm-state "$TMP/h0.json"
expect_err "no LD is bound to host h1"
run 2 replay --model requests --host-trace h7="$TMP/w.txt" "${pool[@]}"
expect_err "no host 'h7'"
state "" >"$TMP/none.json"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:pool-2host --fm-state "$TMP/none.json"
expect_err "no LD is bound to any host"
run 2 mlc --max-bandwidth --hosts 2 --topology builtin:pool-2host
expect_err "--fm-state"
run 2 mlc --max-bandwidth --hosts 3 "${pool[@]}"
expect_err "names 2 host(s)"
run 2 mlc --max-bandwidth --hosts 2 "${pool[@]}" --host-target h1=mld0_ld0
expect_err "not an LD bound to it"
run 2 mlc --max-bandwidth --topology builtin:switch --fm-state "$ST"
expect_err "has no pool"
run 2 mlc --max-bandwidth --topology builtin:pool-2host --fm-state "$TMP/missing"
expect_err "cannot read"
run 2 replay "$TMP/w.txt" "${pool[@]}"
expect_err "--fm-state needs --model requests"

finish pool_hosts_test
