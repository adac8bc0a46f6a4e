#!/usr/bin/env bash
# `cxlsim list --json` equals the `cxl list -vvv` a QEMU 7.2 + Linux 6.1 guest printed for the
# same topology (tests/conformance/recorded, see its README), before and with a region, after
# only the documented normalizations of tests/conformance/list_lib.jq. The conformance suite
# checks the same against a live guest; this needs no QEMU.
# Usage: list_linux_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"
conf=$SRC/tests/conformance
norm() { jq -S -L "$conf" "include \"list_lib\"; $1"; }

count=0
for rec in "$conf"/recorded/*.list.json; do
  name=$(basename "$rec" .list.json)
  topo=$conf/topologies/$name.toml
  run 0 list "$topo" --json
  if ! diff -u <(norm normalize <"$rec") <(norm normalize <<<"$OUT") >"$TMP/d"; then
    fail "$name: cxlsim list differs from the guest's: $(grep '^[-+] ' "$TMP/d" | head -n 6)"
  fi
  region=$conf/recorded/$name.region0.json
  spec=$(jq -r .region "$region")
  run 0 list "$topo" --region "$spec" --json
  if ! diff -u <(jq .list "$region" | norm normalize_region_list) \
    <(norm normalize_region_list <<<"$OUT") >"$TMP/d"; then
    fail "$name --region $spec: differs from the guest's: $(grep '^[-+] ' "$TMP/d" | head -n 6)"
  fi
  count=$((count + 1))
done
[[ $count -ge 7 ]] || fail "only $count recorded topologies"

# The second peer (recorded/qemu10, QEMU 10.0 + Linux 6.12): equal to cxlsim list of the
# topology with QEMU 10's 4 HDM decoders, once Linux 6.12's root dport naming and single-dport
# switch decoders are rewritten (list_lib.jq linux612; docs/vm.md "Peers"). Without the rewrite
# they differ. Topologies in topologies/ (QEMU 7.2's one decoder) or peer10/ (4 already).
count=0
for rec in "$conf"/recorded/qemu10/qemu-*.list.json; do
  name=$(basename "$rec" .list.json)
  topo=$conf/topologies/$name.toml
  [[ -f $topo ]] || topo=$conf/peer10/$name.toml
  sed 's/^hdm_decoders = 1\b.*/hdm_decoders = 4/' "$topo" >"$TMP/$name.toml"
  run 0 list "$TMP/$name.toml" --json
  if ! diff -u <(norm 'linux612 | normalize' <"$rec") <(norm normalize <<<"$OUT") \
    >"$TMP/d"; then
    fail "qemu10/$name: cxlsim list differs from the guest's: $(grep '^[-+] ' "$TMP/d" | head -n 6)"
  fi
  [[ $(norm normalize <"$rec") != $(norm normalize <<<"$OUT") ]] ||
    fail "qemu10/$name: equal without the Linux 6.12 rewrite (is the deviation gone?)"
  sed 's/^hdm_decoders = 4\b.*/hdm_decoders = 1/' "$topo" >"$TMP/$name.q7.toml"
  run 0 list "$TMP/$name.q7.toml" --json
  [[ $(norm 'linux612 | normalize' <"$rec") != $(norm normalize <<<"$OUT") ]] ||
    fail "qemu10/$name: equal with QEMU 7.2's one HDM decoder"
  count=$((count + 1))
done
[[ $count -eq 4 ]] || fail "$count recorded QEMU 10 topologies, expected 4"
# The single-dport switch needs the decoder rewrite, not only the naming one.
run 0 list "$TMP/qemu-switch1.toml" --json
[[ $(norm 'linux612_root_dports | normalize' <"$conf/recorded/qemu10/qemu-switch1.list.json") != \
  $(norm normalize <<<"$OUT") ]] || fail "qemu10/qemu-switch1: equal without linux612_single_dport_decoders"

# The normalizations leave names that do not depend on probe order alone: a guest listing
# whose host bridge ports are swapped must not compare equal.
swapped=$(sed 's/"port1"/"portX"/g; s/"port2"/"port1"/g; s/"portX"/"port2"/g' \
  "$conf/recorded/qemu-2hb.list.json")
run 0 list "$conf/topologies/qemu-2hb.toml" --json
[[ $(norm normalize <<<"$swapped") != $(norm normalize <<<"$OUT") ]] || fail "swapped host bridge ports compare equal"

finish list_linux_test
