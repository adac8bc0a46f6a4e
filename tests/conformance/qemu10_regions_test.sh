#!/usr/bin/env bash
# qemu10_regions_test.sh CXLSIM SOURCE_DIR: the region half of the conformance suite on the
# second peer, QEMU 10.0 + Linux 6.12 (docs/vm.md "Peers"). For each topology of a subset QEMU
# 10.0.2 routes correctly (default qemu-single qemu-2hb qemu-switch granularity: a pass-through
# host bridge, which QEMU 7.2 cannot route, 4- and 2-way regions over two host bridges, a switch,
# every interleave granularity; CXLSIM_QEMU10_TOPOLOGIES also takes qemu-window-per-hb and wide,
# which pass too but add time, not cases), run_topology.sh boots one
# guest with CXLSIM_CONFORMANCE_PEER=10 on the topology with hdm_decoders = 4 (QEMU 10's count)
# and checks every region of its plan: created by cxl-cli (Debian 12's), decoders Linux
# programmed == cxlsim's, every tag at the (file, offset) `cxlsim map` gives, cxl list -vvv ==
# cxlsim list --region --json; differences are linux-6.12-deviation only where list_lib.jq names
# them. Regions commit on Linux 6.12 only because the peer clears QEMU's CPUID hypervisor bit
# (src/vm/peer.h). Exits 1 when a check fails, 77 (loudly) only when packages are missing.
set -uo pipefail
cxlsim=$1
src=$2
here=$src/tests/conformance
work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d /tmp/cxlsim-qemu10-regions.XXXXXX)}
mkdir -p "$work/topologies"
topologies=${CXLSIM_QEMU10_TOPOLOGIES:-qemu-single qemu-2hb qemu-switch granularity}

skip() {
  echo "************************************************************************" >&2
  echo "* SKIPPED: cxlsim region conformance on QEMU 10 + Linux 6.12: $1" >&2
  echo "************************************************************************" >&2
  exit 77
}
for tool in jq cxl ndctl; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (scripts/install-deps)"
done

for name in $topologies; do
  sed 's/^hdm_decoders = 1\b.*/hdm_decoders = 4/' "$here/topologies/$name.toml" \
    > "$work/topologies/$name.toml"
  cp "$here/topologies/$name.plan" "$work/topologies/$name.plan"
done
start=$(date +%s)
for name in $topologies; do echo "$work/topologies/$name.toml"; done |
  CXLSIM_CONFORMANCE_PEER=10 xargs -P 2 -I{} sh -c \
    'bash "$0" "$1" "$2" "$3/$(basename "$2" .toml)"' "$here/run_topology.sh" "$cxlsim" {} "$work"
elapsed=$(($(date +%s) - start))
for name in $topologies; do
  if grep -q "locate bookworm-backports" "$work/$name/vm.err" 2> /dev/null; then
    skip "$(tail -n 1 "$work/$name/vm.err")"
  fi
  cat "$work/$name/results.tsv" 2> /dev/null || printf '%s\tboot\tFAIL\tno results\n' "$name"
done > "$work/results.tsv"

echo
echo "cxlsim region conformance against QEMU 10.0 + Linux 6.12 (cxl-cli $(cxl version))"
printf '%-20s %-36s %-21s %s\n' TOPOLOGY CHECK RESULT DETAIL
awk -F'\t' '{ printf "%-20s %-36s %-21s %s\n", $1, $2, $3, $4 }' "$work/results.tsv"
pass=$(awk -F'\t' '$3 == "pass"' "$work/results.tsv" | wc -l)
dev=$(awk -F'\t' '$3 == "linux-6.12-deviation"' "$work/results.tsv" | wc -l)
fail=$(awk -F'\t' '$3 != "pass" && $3 != "linux-6.12-deviation"' "$work/results.tsv" | wc -l)
regions=$(awk -F'\t' '$2 ~ /^region/ && $3 == "pass"' "$work/results.tsv" | wc -l)
echo
echo "$pass passed ($regions region checks), $dev Linux 6.12 deviations, $fail failed;" \
  "$(echo $topologies | wc -w) guests in ${elapsed} s; details in $work"
[ "$fail" -eq 0 ] && [ "$regions" -gt 0 ]
