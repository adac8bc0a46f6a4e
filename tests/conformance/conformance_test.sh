#!/usr/bin/env bash
# conformance_test.sh CXLSIM SOURCE_DIR: boots one Linux guest per topology in
# tests/conformance/topologies (two at a time), runs run_topology.sh's checks and prints the
# conformance table (topology x check -> pass / FAIL / qemu-deviation). Exits 1 when a check
# fails; 77 (ctest: skipped) only when QEMU or the guest kernel cannot be installed.
set -uo pipefail
cxlsim=$1
src=$2
here=$src/tests/conformance
work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d /tmp/cxlsim-conformance.XXXXXX)}
mkdir -p "$work"
topologies=${CXLSIM_CONFORMANCE_TOPOLOGIES:-$(ls "$here"/topologies/*.toml)}

skip() {
  echo "************************************************************************" >&2
  echo "* SKIPPED: cxlsim conformance suite: $1" >&2
  echo "************************************************************************" >&2
  exit 77
}
for tool in qemu-system-x86_64 jq cxl ndctl; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (scripts/install-deps)"
done
# Fill the kernel/initramfs cache once, before the parallel boots.
if ! "$cxlsim" vm run "$here/topologies/qemu-single.toml" --backing-dir "$work/prefetch" --cmd true \
     --timeout 300 > "$work/prefetch.log" 2>&1; then
  if grep -q -e "download kernel package" -e "resolve kernel package" "$work/prefetch.log"; then
    skip "the guest kernel cannot be installed: $(tail -n 1 "$work/prefetch.log")"
  fi
  echo "cxlsim vm run failed:" >&2
  cat "$work/prefetch.log" >&2
  exit 1
fi

start=$(date +%s)
printf '%s\n' $topologies | xargs -P 2 -I{} sh -c \
  'bash "$0" "$1" "$2" "$3/$(basename "$2" .toml)"' "$here/run_topology.sh" "$cxlsim" {} "$work"
elapsed=$(($(date +%s) - start))

cat "$work"/*/results.tsv > "$work/results.tsv"
echo
echo "cxlsim conformance against QEMU 7.2 + Linux $(ls "${XDG_CACHE_HOME:-$HOME/.cache}/cxlsim/vm/kernel" 2>/dev/null | grep linux-image | head -n 1)"
printf '%-20s %-36s %-15s %s\n' TOPOLOGY CHECK RESULT DETAIL
awk -F'\t' '{ printf "%-20s %-36s %-15s %s\n", $1, $2, $3, $4 }' "$work/results.tsv"
pass=$(awk -F'\t' '$3 == "pass"' "$work/results.tsv" | wc -l)
dev=$(awk -F'\t' '$3 == "qemu-deviation"' "$work/results.tsv" | wc -l)
fail=$(awk -F'\t' '$3 == "FAIL"' "$work/results.tsv" | wc -l)
echo
echo "$pass passed, $dev QEMU deviations, $fail failed; $(echo $topologies | wc -w) guests in ${elapsed} s; details in $work"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
