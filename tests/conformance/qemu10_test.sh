#!/usr/bin/env bash
# qemu10_test.sh CXLSIM SOURCE_DIR: list conformance against the second peer, QEMU 10.0 +
# Linux 6.12 (`cxlsim vm run --qemu 10`, docs/vm.md "Peers"). For each topology of a subset
# (default: qemu-2hb qemu-switch qemu-window-per-hb qemu-switch1: one host bridge pair, one
# switch, one window per host bridge, a switch with one downstream port (peer10/); the others add
# ways and regions, not list shapes), boots one guest,
# compares its `cxl list -vvv` with `cxlsim list --json` as whole documents after list_lib.jq's
# normalizations (as run_topology.sh does for 7.2), and records the guest's listing under
# WORK/NAME.qemu10.list.json. Then checks that a volatile-only Type 3 (volatile-memdev=) shows
# the ram_size cxlsim lists. No regions: Debian 12's cxl-cli 76.1 cannot create regions on
# Linux 6.12. Exits 1 on a mismatch, 77 when bookworm-backports is not configured.
set -uo pipefail
cxlsim=$1
src=$2
here=$src/tests/conformance
work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d /tmp/cxlsim-qemu10.XXXXXX)}
mkdir -p "$work"
topologies=${CXLSIM_QEMU10_TOPOLOGIES:-qemu-2hb qemu-switch qemu-window-per-hb qemu-switch1}
failures=0
{ cat "$here/guest_lib.sh"; echo check_list; echo finish; } > "$work/guest.sh"

boot() {  # boot NAME TOPOLOGY: guest listing in $work/NAME.guest.jsonl
  "$cxlsim" vm run "$2" --qemu 10 --backing-dir "$work/$1.backing" --workdir "$work/$1.vm" \
    --quiet --script "$work/guest.sh" --timeout 300 > "$work/$1.out" 2> "$work/$1.err"
  local rc=$?
  if grep -q "locate bookworm-backports" "$work/$1.err"; then
    echo "SKIPPED: $(tail -n 1 "$work/$1.err")" >&2
    exit 77
  fi
  grep '^{"kind"' "$work/$1.out" > "$work/$1.guest.jsonl"
  if ! grep -q '"kind":"done"' "$work/$1.guest.jsonl"; then
    echo "FAIL $1 boot: exit $rc: $(tail -n 3 "$work/$1.err" | tr '\n' ' ')"
    failures=$((failures + 1))
    return 1
  fi
  jq -c 'select(.kind == "list") | .data' "$work/$1.guest.jsonl" > "$work/$1.qemu10.list.json"
}

# QEMU 10 implements 4 HDM decoders per host bridge, switch and Type 3 device (observed: the
# guest lists decoderN.0-3), QEMU 7.2 one: cxlsim lists the topology with hdm_decoders = 4.
for name in $topologies; do
  topo=$here/topologies/$name.toml
  [[ -f $topo ]] || topo=$here/peer10/$name.toml
  boot "$name" "$topo" || continue
  sed 's/^hdm_decoders = 1\b.*/hdm_decoders = 4/' "$topo" > "$work/$name.qemu10.toml"
  "$cxlsim" list "$work/$name.qemu10.toml" --json > "$work/$name.cxlsim.json"
  jq -S -L "$here" 'include "list_lib"; normalize' "$work/$name.qemu10.list.json" > "$work/$name.guest.norm"
  jq -S -L "$here" 'include "list_lib"; linux612 | normalize' \
    "$work/$name.qemu10.list.json" > "$work/$name.guest612.norm"
  jq -S -L "$here" 'include "list_lib"; normalize' "$work/$name.cxlsim.json" > "$work/$name.cxlsim.norm"
  if diff -u "$work/$name.guest.norm" "$work/$name.cxlsim.norm" > "$work/$name.diff"; then
    echo "pass $name list: whole cxl list -vvv equal"
  elif diff -u "$work/$name.guest612.norm" "$work/$name.cxlsim.norm" > "$work/$name.diff"; then
    echo "linux-6.12-deviation $name list: equal once Linux 6.12's root dport naming" \
      "(pci0000:BB, alias ACPI0016:NN) and single-dport switch decoders are rewritten to 6.1's"
  else
    echo "FAIL $name list: $work/$name.diff: $(grep '^[-+] ' "$work/$name.diff" | head -n 4 | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
done

# A volatile-only Type 3: the guest's ram_size is cxlsim's.
cat > "$work/volatile.cmdline" <<CMD
qemu-system-x86_64 -M q35,cxl=on \
  -object memory-backend-ram,id=vmem0,share=on,size=256M \
  -object memory-backend-file,id=lsa0,share=on,mem-path=$work/volatile-lsa.raw,size=1M \
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
  -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
  -device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3 \
  -device cxl-type3,bus=rp0,volatile-memdev=vmem0,lsa=lsa0,id=vol0 \
  -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G
CMD
if boot volatile "$work/volatile.cmdline"; then
  want=$("$cxlsim" list "$work/volatile.cmdline" --json | jq '[.. | objects | select(.memdev? | type == "string") | .ram_size] | first')
  got=$(jq '[.. | objects | select(.memdev? | type == "string") | .ram_size] | first' "$work/volatile.qemu10.list.json")
  if [ "$want" = "$got" ] && [ "$got" != null ]; then
    echo "pass volatile ram_size: $got"
  else
    echo "FAIL volatile ram_size: guest $got, cxlsim $want"
    failures=$((failures + 1))
  fi
fi
echo "$failures failure(s); details in $work"
[ "$failures" -eq 0 ]
