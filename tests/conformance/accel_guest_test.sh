#!/usr/bin/env bash
# accel_guest_test.sh CXLSIM SOURCE_DIR: the Type 2 accelerator in a real guest (docs/accel.md,
# "In a guest"). Boots accel/guest-accel.toml with `cxlsim vm run` (cxlsim's QEMU build with the
# cxlsim-accel device, a device server per Type 2 device) and, in the guest:
#   - `lspci -vvn` of the accelerator (found by its class, 12h): its vendor/device ids, class and
#     every CXL DVSEC (extended capability offset and DVSEC id) must be those `cxlsim regs
#     --component accel0 --json` says the device's config space holds;
#   - the CUDA Driver API test program (tests/accel_programs/driver_api.c, carried into the guest
#     with the shim) runs vector add, the tiled matmul, saxpy and the reduction on kernels.nvcc.ptx
#     through the shim's sysfs transport (BAR2 resource2, BAR4 resource4), each result exact (the
#     program checks every element against the host computation and exits 0 only then), then
#     its error cases (each failure's CUresult) and cuGetProcAddress;
#   - last, the program launching kernels without end while the test kills the device server
#     (SIGKILL, from the host: the guest's server is a `cxlsim accel serve` of the test's, given
#     to `vm run --accel-socket`): the program must get CUDA_ERROR_DEVICE_UNAVAILABLE, for the
#     call in flight and the next one, and end (never hang);
#   - then, without a guest: a QEMU whose device server is killed (SIGKILL) reads all ones in
#     BAR2 and keeps running.
# Exits 1 on a mismatch, 77 when cxlsim's QEMU is not built (scripts/build-qemu; scripts/test
# builds it before the conformance tests).
set -uo pipefail
cxlsim=$1
src=$2
here=$src/tests/conformance
topo=$here/accel/guest-accel.toml
work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d /tmp/cxlsim-accel-guest.XXXXXX)}
mkdir -p "$work"
if ! "$src/scripts/build-qemu" --print >/dev/null 2>&1; then
  echo "SKIPPED: cxlsim's QEMU with the cxlsim-accel device is not built (run scripts/build-qemu)" >&2
  exit 77
fi
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

cat > "$work/guest.sh" <<'EOF'
echo "== lspci"
lspci -vvn -d ::1200
echo "== end lspci"
for t in vector_add matmul saxpy reduce errors proc_address; do
  /opt/cxlsim/bin/driver_api /tmp/kernels.ptx $t
  echo "== $t exit $?"
done
/opt/cxlsim/bin/driver_api /tmp/kernels.ptx endless
echo "== endless exit $?"
EOF
# The guest's device server is the test's, so that the test can kill it under the guest.
"$cxlsim" accel serve --socket "$work/accel0.sock" --topology "$topo" --target accel0 \
  --vfio-cxl off --quiet 2> "$work/serve.err" &
guest_server=$!
disown "$guest_server"  # no job notice when it is killed below
for _ in $(seq 100); do [[ -S $work/accel0.sock ]] && break; sleep 0.1; done
"$cxlsim" vm run "$topo" --workdir "$work/vm" --quiet --timeout 300 \
  --accel-socket "accel0=$work/accel0.sock" \
  --file "$src/src/ptx/testdata/kernels.nvcc.ptx:/tmp/kernels.ptx" \
  --script "$work/guest.sh" > "$work/guest.out" 2> "$work/guest.err" &
vm=$!
# Once the endless program runs (its first launches done), the server is killed under it.
while kill -0 "$vm" 2>/dev/null && ! grep -q '^endless: running' "$work/guest.out"; do sleep 0.2; done
sleep 0.5
kill -9 "$guest_server" 2>/dev/null
wait "$vm"
rc=$?
if ! grep -q '^== end lspci' "$work/guest.out"; then
  echo "FAIL boot: exit $rc: $(tail -n 5 "$work/guest.err" | tr '\n' ' ')"
  exit 1
fi

# The config space the guest sees is the fabric's (cxlsim regs).
"$cxlsim" regs "$topo" --component accel0 --json > "$work/regs.json"
sed -n '/^== lspci/,/^== end lspci/p' "$work/guest.out" > "$work/lspci.txt"
want_id=$(jq -r '.config_space.summary | "\(.vendor_id | tostring) \(.device_id | tostring) \(.class_code | tostring)"' "$work/regs.json" |
  awk '{ printf "%04x:%04x %06x", $1, $2, $3 }')
got_line=$(grep -m1 -E '^[0-9a-f]{2,4}:[0-9a-f]{2}' "$work/lspci.txt")
# "0d:00.0 1200: 8086:0d93" -> "8086:0d93 120000" (lspci -n prints the class as 4 digits, the
# programming interface as "(prog-if NN)" when non-zero)
progif=$(sed -n 's/.*(prog-if \([0-9a-f]*\).*/\1/p' <<<"$got_line")
got_id=$(awk '{ print $3, $2 }' <<<"$got_line" | sed "s/:\$/${progif:-00}/")
if [[ -n $got_line && $got_id == "$want_id" ]]; then
  echo "pass lspci: ids and class $got_id"
else
  fail "lspci ids: guest '${got_line:-no accelerator}', cxlsim $want_id"
fi
jq -r '.config_space.summary.dvsecs[] | "\(.offset) \(.id)"' "$work/regs.json" |
  while read -r off id; do printf '%x %04x\n' "$off" "$id"; done | sort > "$work/dvsecs.want"
sed -n 's/.*Capabilities: \[\([0-9a-f]*\) v[0-9]*\] Designated Vendor-Specific: Vendor=1e98 ID=\([0-9a-f]*\).*/\1 \2/p' \
  "$work/lspci.txt" | sort > "$work/dvsecs.got"
if [[ -s $work/dvsecs.want ]] && diff -u "$work/dvsecs.got" "$work/dvsecs.want" > "$work/dvsecs.diff"; then
  echo "pass lspci: $(wc -l < "$work/dvsecs.want") CXL DVSECs at cxlsim's offsets ($(tr '\n' ' ' < "$work/dvsecs.got"))"
else
  fail "lspci DVSECs: $work/dvsecs.diff: $(tr '\n' ' ' < "$work/dvsecs.diff")"
fi

for t in vector_add matmul saxpy reduce errors proc_address; do
  line=$(grep -m1 "^== $t exit" "$work/guest.out")
  if [[ $line == "== $t exit 0" ]]; then
    echo "pass $t: $(grep -m1 "^$t" "$work/guest.out")"
  else
    fail "$t: ${line:-did not run}: $(grep -B3 "^== $t exit" "$work/guest.out" | head -n 3 | tr '\n' ' ')"
  fi
done
# The device server killed in the middle of the guest program's launches: the program's calls
# fail with CUDA_ERROR_DEVICE_UNAVAILABLE (driver_api exits 3 only when the launch in flight and
# a later cuMemAlloc both do) and the guest goes on to its end.
line=$(grep -m1 "^== endless exit" "$work/guest.out")
if [[ $line == "== endless exit 3" ]] && grep -q '^endless: CUDA_ERROR_DEVICE_UNAVAILABLE' "$work/guest.out"; then
  echo "pass server killed under the guest program: CUDA_ERROR_DEVICE_UNAVAILABLE, program ended"
else
  fail "server killed under the guest program: ${line:-did not end}: $(grep -A2 '^endless' "$work/guest.out" | tr '\n' ' ')"
fi

# The device server gone (SIGKILL) under a running QEMU: BAR2 reads all ones, QEMU keeps
# running (no guest needed: the firmware assigns the BARs, QMP's `xp` reads them).
qemu=$("$src/scripts/build-qemu" --print)
"$cxlsim" accel serve --socket "$work/gone.sock" --topology "$topo" --vfio-cxl off --quiet &
server=$!
disown "$server"  # no job notice when it is killed below
for _ in $(seq 50); do [[ -S $work/gone.sock ]] && break; sleep 0.1; done
"$qemu" -accel tcg -machine q35 -nodefaults -display none -m 256M -serial none \
  -device "cxlsim-accel,socket=$work/gone.sock" -qmp "unix:$work/qmp.sock,server=on,wait=off" \
  2> "$work/gone.qemu.err" &
qemu_pid=$!
hmp() {  # hmp COMMAND...: each HMP command's output over QMP, one line each
  python3 - "$work/qmp.sock" "$@" <<'PY'
import json, socket, sys, time
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
f.readline()
f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n"); f.flush(); reply()
for c in sys.argv[2:]:
    f.write(json.dumps({"execute": "human-monitor-command", "arguments": {"command-line": c}}) + "\n")
    f.flush()
    print(str(reply().get("return", "")).replace("\r", "").replace("\n", " "))
PY
}
sleep 3  # the firmware assigns the BARs
bar2=$(hmp "info pci" | grep -o 'BAR2: 64 bit memory at 0x[0-9a-f]*' | grep -o '0x[0-9a-f]*$')
magic=$(hmp "xp /1wx ${bar2:-0}" | awk '{ print $NF }')
kill -9 "$server"
while kill -0 "$server" 2>/dev/null; do sleep 0.1; done
after=$(hmp "xp /1wx ${bar2:-0}" "info status" | tr '\n' ' ')
# (QEMU's warning goes to the monitor that made the access, else to its stderr.)
if [[ $magic == 0x43584c32 && $after == *0xffffffff*"VM status: running"* ]] &&
  { [[ $after == *"went away"* ]] || grep -q "went away" "$work/gone.qemu.err"; }; then
  echo "pass server gone: BAR2 MAGIC $magic, then all ones; QEMU still running"
else
  fail "server gone: MAGIC '${magic:-none}' (BAR2 ${bar2:-unassigned}), then '$after': $(tr '\n' ' ' < "$work/gone.qemu.err")"
fi
kill "$qemu_pid" 2>/dev/null
wait "$qemu_pid" 2>/dev/null

if ((failures == 0)); then
  [[ -z ${CXLSIM_CONFORMANCE_DIR:-} ]] && rm -rf "$work"
  exit 0
fi
echo "work directory kept: $work"
exit 1
