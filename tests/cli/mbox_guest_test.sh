#!/usr/bin/env bash
# Cross-check of the mailbox against a real peer: a Linux 6.1 guest on QEMU 7.2's cxl-type3
# (booted by `cxlsim vm run`) and `cxlsim mbox` work on the same backing files. Labels written by
# one side through its Set LSA must be read by the other through its Get LSA; identity and
# capacity fields must agree. Skips (exit 0) only when no guest can be booted here.
# Usage: mbox_guest_test.sh <path-to-cxlsim> <source-dir>
set -u
CXLSIM=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
source "$(dirname "$0")/../lib/topologies.sh"

if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "SKIP: qemu-system-x86_64 is not installed"
  exit 0
fi

one_root_port_topology "$TMP/topo.toml" <<TOML
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
lsa = "64K"
serial = 77
persistent_path = "$TMP/mem0.raw"
lsa_path = "$TMP/mem0.lsa"
TOML
M=(mbox "$TMP/topo.toml" --memdev mem0)

# cxlsim writes labels; the guest reads them back through QEMU's Get LSA.
"$CXLSIM" "${M[@]}" labels write --offset 0x100 "c0 ff ee 11" >/dev/null || fail "cxlsim labels write"
"$CXLSIM" "${M[@]}" --json identify >"$TMP/identify.json" || fail "cxlsim identify"

GUEST='set -e
# cxl-cli refuses label writes while an nvdimm bridge is bound.
for b in /sys/bus/cxl/drivers/cxl_nvdimm_bridge/nvdimm-bridge*; do
  [ -e "$b" ] && echo "${b##*/}" > /sys/bus/cxl/drivers/cxl_nvdimm_bridge/unbind
done
printf "peer-label" > /tmp/l
cxl write-labels mem0 -i /tmp/l -O 512 -s 10
cxl read-labels mem0 -O 256 -s 4 -o /tmp/o
echo "LABELS=$(od -An -tx1 /tmp/o | tr -d " \n")"
m=/sys/bus/cxl/devices/mem0
echo "SERIAL=$(cat $m/serial) PAYLOAD=$(cat $m/payload_max) LSA=$(cat $m/label_storage_size) PMEM=$(cat $m/pmem/size) RAM=$(cat $m/ram/size)"'
"$CXLSIM" vm run "$TMP/topo.toml" --quiet --timeout 500 --cmd "$GUEST" >"$TMP/guest.out" 2>"$TMP/guest.err"
status=$?
if [[ $status != 0 ]] && ! grep -q "LABELS=" "$TMP/guest.out"; then
  if grep -qiE "download|kernel|initramfs|kvm|qemu-system" "$TMP/guest.err"; then
    echo "SKIP: no guest could be booted: $(tail -1 "$TMP/guest.err")"
    exit 0
  fi
  fail "guest run exited $status: $(tail -5 "$TMP/guest.err")"
fi
OUT=$(cat "$TMP/guest.out")
[[ $OUT == *"LABELS=c0ffee11"* ]] || fail "guest did not read cxlsim's labels: $OUT"
[[ $OUT == *"SERIAL=0x4d "* ]] || fail "serial differs: $OUT"
[[ $OUT == *"PAYLOAD=2048 "* ]] || fail "payload size differs (cxlsim default 2 KiB): $OUT"
[[ $OUT == *"LSA=65536 "* ]] || fail "LSA size differs: $OUT"
[[ $OUT == *"PMEM=0x10000000 "* ]] || fail "persistent capacity differs: $OUT"
grep -q '"total_capacity": 268435456' "$TMP/identify.json" || fail "cxlsim identify capacity: $(cat "$TMP/identify.json")"
grep -q '"lsa_size": 65536' "$TMP/identify.json" || fail "cxlsim identify LSA size"

# The guest's Set LSA (through QEMU) is read back by cxlsim's Get LSA from the same file.
"$CXLSIM" "${M[@]}" labels read --offset 512 --length 10 >"$TMP/labels.out" || fail "cxlsim labels read"
grep -q "70 65 65 72 2d 6c 61 62 65 6c" "$TMP/labels.out" || fail "cxlsim did not read the guest's labels: $(cat "$TMP/labels.out")"

if [[ $failures != 0 ]]; then
  echo "$failures failure(s)"
  cat "$TMP/guest.out"
  exit 1
fi
echo "mbox guest cross-check: all checks passed"
