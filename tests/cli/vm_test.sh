#!/usr/bin/env bash
# cxlsim vm: command line behaviour that needs no guest boot (the conformance suite boots).
# Usage: vm_test.sh CXLSIM SOURCE_DIR
set -euo pipefail
cxlsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cxlsim" vm --help | grep -q "run" || fail "vm --help lists no run"
"$cxlsim" vm --help | grep -q "shell" || fail "vm --help lists no shell"
"$cxlsim" vm run --help | grep -q -- "--kernel" || fail "vm run --help has no --kernel"

# Bad topology: exit 2, error names it.
set +e
out=$("$cxlsim" vm run builtin:no-such-topology --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown builtin: exit $rc, want 2"
grep -q "no-such-topology" <<< "$out" || fail "unknown builtin: message does not name it: $out"

# Volatile capacity cannot be expressed for QEMU 7.2: exit 2 naming the device.
cat > "$tmp/volatile.toml" <<'TOML'
version = 1
[[window]]
id = "cfmw0"
size = "4G"
targets = ["hb0"]
[[host_bridge]]
id = "hb0"
bus_nr = 12
[[root_port]]
id = "rp0"
host_bridge = "hb0"
[[type3]]
id = "vmem0"
parent = "rp0"
volatile = "256M"
TOML
set +e
out=$("$cxlsim" vm run "$tmp/volatile.toml" --backing-dir "$tmp/b" --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "volatile device: exit $rc, want 2 ($out)"
grep -q "vmem0" <<< "$out" || fail "volatile device: message does not name it: $out"

# A missing kernel image: the failing step is named, exit 125, backing files were created.
set +e
out=$("$cxlsim" vm run "$src/tests/conformance/topologies/qemu-2hb.toml" --backing-dir "$tmp/b" \
  --kernel "$tmp/none" --initrd "$tmp/none" --quiet --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "missing kernel: exit $rc, want 125 ($out)"
grep -q "prepare guest: kernel $tmp/none is not a file" <<< "$out" || fail "missing kernel: $out"
[ "$(stat -c %s "$tmp/b/cxl-pmem3-pmem.raw")" -eq $((256 << 20)) ] || fail "backing file not 256 MiB"
[ "$(stat -c %s "$tmp/b/cxl-pmem3-lsa.raw")" -eq $((1 << 20)) ] || fail "LSA file not 1 MiB"

# A kernel that is not one: QEMU fails, the error names the boot step and quotes QEMU.
echo "not a kernel" > "$tmp/bzImage"
set +e
out=$("$cxlsim" vm run "$src/tests/conformance/topologies/qemu-single.toml" --backing-dir "$tmp/b" \
  --kernel "$tmp/bzImage" --initrd "$tmp/bzImage" --quiet --timeout 60 --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "bad kernel: exit $rc, want 125 ($out)"
grep -q "boot guest:" <<< "$out" || fail "bad kernel: step not named: $out"
echo "vm_test: ok"
