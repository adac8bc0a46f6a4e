#!/usr/bin/env bash
# cxlsim vm: command line behaviour that needs no guest boot (the conformance suite boots).
# Usage: vm_test.sh CXLSIM SOURCE_DIR
set -euo pipefail
cxlsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/../lib/topologies.sh"

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
one_root_port_topology "$tmp/volatile.toml" <<'TOML'
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

# A Type 2 device needs cxlsim's QEMU build: without it (an empty cache) exit 125, the error
# names scripts/build-qemu, and no device server socket is left behind; --qemu 10 is refused.
set +e
out=$(XDG_CACHE_HOME="$tmp/nocache" "$cxlsim" vm run "$src/tests/conformance/accel/guest-accel.toml" \
  --workdir "$tmp/accel-vm" --quiet --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "type2 without cxlsim's QEMU: exit $rc, want 125 ($out)"
grep -q "scripts/build-qemu" <<< "$out" || fail "type2 without cxlsim's QEMU: no hint: $out"
[ -z "$(find "$tmp/accel-vm" -name '*.sock')" ] || fail "type2: a device server socket was left"
set +e
out=$("$cxlsim" vm run "$src/tests/conformance/accel/guest-accel.toml" --qemu 10 --quiet \
  --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "type2 on --qemu 10: exit $rc, want 2 ($out)"
# --accel-socket ID=PATH: each wrong argument is refused (exit 2, named) before anything boots.
accel_topo=$src/tests/conformance/accel/guest-accel.toml
for bad in "accel0|expected ID=PATH" "nope=$tmp/x.sock|not a Type 2 device" \
  "accel0=$tmp/none.sock|no device server listens at"; do
  set +e
  out=$("$cxlsim" vm run "$accel_topo" --quiet --cmd true --accel-socket "${bad%%|*}" 2>&1); rc=$?
  set -e
  [ $rc -eq 2 ] && grep -q "${bad#*|}" <<< "$out" || fail "--accel-socket ${bad%%|*}: exit $rc ($out)"
done
set +e
out=$("$cxlsim" vm run "$src/tests/conformance/topologies/qemu-2hb.toml" --quiet --cmd true \
  --accel-socket "accel0=$tmp/none.sock" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] && grep -q "has no Type 2 device" <<< "$out" || fail "--accel-socket without type2: exit $rc ($out)"

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

# QEMU 7.2 limits (src/vm/qemu_limits.h): warned before booting, refused with --strict (exit 2,
# QEMU never started). A fake qemu-system-x86_64 first in PATH stands in for QEMU.
mkdir -p "$tmp/bin"
cat > "$tmp/bin/qemu-system-x86_64" <<EOF
#!/usr/bin/env bash
[ "\$1" = --version ] && { echo "QEMU emulator version \${FAKE_QEMU_VERSION:-7.2.0} (fake)"; exit 0; }
echo started > "$tmp/qemu-started"
echo "qemu-system-x86_64: \${FAKE_QEMU_SAYS:-fake}" >&2
case "\${FAKE_QEMU_DIES:-exit}" in
  segv) ulimit -c 0; kill -SEGV \$\$ ;;
  *) exit 1 ;;
esac
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"
vmrun() {
  PATH="$tmp/bin:$PATH" "$cxlsim" vm run "$@" --backing-dir "$tmp/b" --kernel "$tmp/bzImage" \
    --initrd "$tmp/bzImage" --quiet --timeout 60 --cmd true
}
for topo in qemu-single:cxl.1:"single-root-port host bridge" switch2:sw1:"switch below a switch"; do
  IFS=: read -r name element rule <<< "$topo"
  rm -f "$tmp/qemu-started"
  set +e
  out=$(vmrun "$src/tests/conformance/topologies/$name.toml" --strict 2>&1); rc=$?
  set -e
  [ $rc -eq 2 ] || fail "$name --strict: exit $rc, want 2 ($out)"
  grep -q "$element: $rule" <<< "$out" || fail "$name --strict: rule not named: $out"
  [ ! -e "$tmp/qemu-started" ] || fail "$name --strict: QEMU was started"
  set +e
  out=$(vmrun "$src/tests/conformance/topologies/$name.toml" 2>&1); rc=$?
  set -e
  grep -q "warning: QEMU 7.2 limit: $element: $rule" <<< "$out" || fail "$name: no warning: $out"
  [ -e "$tmp/qemu-started" ] || fail "$name: without --strict QEMU was not started"
done
# 12 host bridges under one window: the ways rule; qemu-2hb breaks none (no warning).
{
  echo 'version = 1'
  echo '[[window]]'; echo 'id = "cfmw0"'; echo 'size = "12G"'
  echo "targets = [$(for i in $(seq 0 11); do printf '"hb%d",' "$i"; done)]"
  for i in $(seq 0 11); do
    printf '[[host_bridge]]\nid = "hb%d"\nbus_nr = %d\n' "$i" $((i * 8 + 8))
    for p in 0 1; do
      printf '[[root_port]]\nid = "rp%d_%d"\nhost_bridge = "hb%d"\nport = %d\nslot = %d\n' \
        "$i" "$p" "$i" "$p" $((i * 2 + p))
      printf '[[type3]]\nid = "m%d_%d"\nparent = "rp%d_%d"\npersistent = "256M"\n' \
        "$i" "$p" "$i" "$p"
    done
  done
} > "$tmp/wide12.toml"
set +e
out=$(vmrun "$tmp/wide12.toml" --strict 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "12-way --strict: exit $rc, want 2 ($out)"
grep -q "cfmw0: window over more than 8 ways: 12 host bridges" <<< "$out" || fail "12-way: $out"
set +e
out=$(vmrun "$src/tests/conformance/topologies/qemu-2hb.toml" --strict 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "qemu-2hb --strict: exit $rc, want 125 from the fake QEMU ($out)"
! grep -q "warning" <<< "$out" || fail "qemu-2hb: unexpected warning: $out"

# QEMU dies: the error says how (status or signal), quotes its stderr, names the kept work dir.
set +e
out=$(FAKE_QEMU_SAYS="cxl-fmw broken" vmrun "$src/tests/conformance/topologies/qemu-2hb.toml" \
  --workdir "$tmp/w1" 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "QEMU exit 1: exit $rc, want 125 ($out)"
grep -q "QEMU exited with status 1 before the guest ran the commands" <<< "$out" \
  || fail "QEMU exit 1: status not shown: $out"
grep -q "qemu-system-x86_64: cxl-fmw broken" <<< "$out" || fail "QEMU exit 1: stderr not shown: $out"
grep -q "work directory kept: $tmp/w1" <<< "$out" || fail "QEMU exit 1: work dir not named: $out"
set +e
out=$(FAKE_QEMU_DIES=segv vmrun "$src/tests/conformance/topologies/qemu-2hb.toml" 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "QEMU SIGSEGV: exit $rc, want 125 ($out)"
grep -q "QEMU was killed by signal 11 (SIGSEGV" <<< "$out" || fail "QEMU SIGSEGV: signal not shown: $out"
kept=$(sed -n 's/^work directory kept: //p' <<< "$out")
[ -n "$kept" ] && [ -d "$kept" ] || fail "QEMU SIGSEGV: kept work dir missing: $out"
rm -rf "$kept"

# Peers (src/vm/peer.h): --qemu names one; a binary's --version picks one; an unknown one is
# refused (exit 2); QEMU 10 without a bookworm-backports apt source fails its step (exit 125).
set +e
out=$(vmrun "$src/tests/conformance/topologies/qemu-2hb.toml" --qemu 9 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "--qemu 9: exit $rc, want 2 ($out)"
grep -q "expected 7 (QEMU 7.2 + Linux 6.1) or 10" <<< "$out" || fail "--qemu 9: $out"
mkdir -p "$tmp/nobp"
printf '#!/bin/sh\necho "Package files:"\n' > "$tmp/nobp/apt-cache"
chmod +x "$tmp/nobp/apt-cache"
set +e
out=$(PATH="$tmp/nobp:$PATH" XDG_CACHE_HOME="$tmp/cache" vmrun \
  "$src/tests/conformance/topologies/qemu-2hb.toml" --qemu 10 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "--qemu 10 without backports: exit $rc, want 125 ($out)"
grep -q "locate bookworm-backports: apt knows no bookworm-backports source; run scripts/install-deps" \
  <<< "$out" || fail "--qemu 10 without backports: step not named: $out"
[ ! -e "$tmp/cache/vm/qemu-10.current" ] || fail "--qemu 10 without backports: cache written"
set +e
out=$(FAKE_QEMU_VERSION=10.0.2 PATH="$tmp/bin:$PATH" "$cxlsim" vm run \
  "$src/tests/conformance/topologies/qemu-2hb.toml" --qemu "$tmp/bin/qemu-system-x86_64" \
  --backing-dir "$tmp/b" --kernel "$tmp/bzImage" --initrd "$tmp/bzImage" --cmd true 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "--qemu BINARY: exit $rc, want 125 from the fake QEMU ($out)"
grep -q "peer qemu-10.0+linux-6.12 (QEMU 10.0.2)" <<< "$out" || fail "--qemu BINARY: peer: $out"
set +e
out=$(FAKE_QEMU_VERSION=8.2.1 vmrun "$src/tests/conformance/topologies/qemu-2hb.toml" \
  --qemu "$tmp/bin/qemu-system-x86_64" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "--qemu BINARY of 8.2: exit $rc, want 2 ($out)"
grep -q "QEMU 8.2.1 pairs with no guest kernel" <<< "$out" || fail "--qemu 8.2 binary: $out"
set +e
out=$(PATH="$tmp/nobp:$PATH" XDG_CACHE_HOME="$tmp/cache" vmrun \
  "$src/tests/conformance/topologies/switch2.toml" --qemu 10 2>&1)
set -e
grep -q "warning: QEMU 7.2 limit (observed on QEMU 10.0.2 too): sw1: switch below a switch" \
  <<< "$out" || fail "--qemu 10 limits warning: $out"
# QEMU 10.0.2 routes a single-root-port host bridge (docs/vm.md): no warning for peer 10.
set +e
out=$(PATH="$tmp/nobp:$PATH" XDG_CACHE_HOME="$tmp/cache" vmrun \
  "$src/tests/conformance/topologies/qemu-single.toml" --qemu 10 2>&1)
set -e
! grep -q "single-root-port" <<< "$out" || fail "--qemu 10 warns of a fixed limit: $out"
echo "vm_test: ok"
