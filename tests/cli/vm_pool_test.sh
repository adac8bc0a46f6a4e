#!/usr/bin/env bash
# cxlsim vm run --host/--qmp, vm hot-add, vm hot-remove: command line behaviour without a guest
# (tests/conformance/pool_guest_test.sh boots guests). Usage: vm_pool_test.sh CXLSIM SOURCE_DIR
source "$(dirname "$0")/lib.sh"

run 0 vm --help
expect_out "hot-add"
expect_out "hot-remove"
run 0 vm hot-add --help
expect_out "--vppb"
expect_out "--backing"
run 0 vm hot-remove --help
expect_out "--force"
run 0 vm run --help
expect_out "--host"
expect_out "--qmp"

# A host the pool does not have: exit 2 naming the pool's hosts, before anything starts.
run 2 vm run builtin:pool-2host --host h9 --cmd true --quiet
expect_err "no host 'h9' (hosts: h0, h1)"

# The guest of h0 on a stand-in QEMU that records its arguments: a QMP socket that does not
# wait, one cxl-downstream per vPPB (vppb0..3), no device, no QEMU 7.2 limit warning.
mkdir -p "$TMP/bin"
cat > "$TMP/bin/qemu-system-x86_64" <<SH
#!/usr/bin/env bash
[ "\$1" = --version ] && { echo "QEMU emulator version 7.2.0 (fake)"; exit 0; }
printf '%s\n' "\$@" > "$TMP/qemu-args"
exit 1
SH
chmod +x "$TMP/bin/qemu-system-x86_64"
echo "not a kernel" > "$TMP/k"
PATH="$TMP/bin:$PATH" run 125 vm run builtin:pool-2host --host h0 --qmp "$TMP/h0.qmp" \
  --backing-dir "$TMP/b" --kernel "$TMP/k" --initrd "$TMP/k" --timeout 30 --cmd true
[[ $ERR != *warning* ]] || fail "pool guest: unexpected warning: $ERR"
grep -qx "unix:$TMP/h0.qmp,server=on,wait=off" "$TMP/qemu-args" || fail "no -qmp unix:... argument"
for i in 0 1 2 3; do
  grep -q "^cxl-downstream,.*id=vppb$i," "$TMP/qemu-args" || fail "no downstream port vppb$i"
done
[ "$(grep -c '^cxl-downstream' "$TMP/qemu-args")" -eq 4 ] || fail "not 4 downstream ports"
! grep -q "^cxl-type3" "$TMP/qemu-args" || fail "the pool guest has a device at boot"

# hot-add: bad input is exit 2 before connecting; a missing socket is exit 1 naming it.
hot_add() {
  run "$1" vm hot-add --qmp "$TMP/none.qmp" --topology builtin:pool-2host --host "$2" \
    --vppb "$3" --backing "$TMP/ld.raw" --size "$4" --id mld0-ld0
}
hot_add 2 h9 0 1G
expect_err "no host 'h9'"
hot_add 2 h0 4 1G
expect_err "vPPB 4: guest 'pool-2host-h0' has vPPBs 0..3"
hot_add 2 h0 0 100M
expect_err "not a positive multiple of 256 MiB"
hot_add 2 h0 0 1X
hot_add 1 h0 0 1G
expect_err "QMP socket $TMP/none.qmp: no such socket"
[ ! -e "$TMP/ld.raw" ] || fail "hot-add without a guest created the backing file"
touch "$TMP/file.qmp"
run 1 vm hot-remove --qmp "$TMP/file.qmp" --id mld0-ld0
expect_err "not a socket"
run 1 vm hot-remove --qmp "$TMP/none.qmp" --id mld0-ld0
expect_err "no such socket"

# dc-add / dc-release (QEMU 10 DCDs): checked against the topology before connecting (exit 2);
# a missing socket is exit 1. Regions of dcd0 start after its 256 MiB of static capacity.
cat >"$TMP/dcd.toml" <<TOML
version = 1
[[window]]
id = "w0"
size = "4G"
targets = ["hb0"]
[[host_bridge]]
id = "hb0"
uid = 1
bus_nr = 12
[[root_port]]
id = "rp0"
host_bridge = "hb0"
port = 0
[[root_port]]
id = "rp1"
host_bridge = "hb0"
port = 1
[[type3]]
id = "dcd0"
parent = "rp0"
volatile = "256M"
dc_regions = ["512M", "512M"]
[[type3]]
id = "mem1"
parent = "rp1"
persistent = "256M"
TOML
dc() { run "$1" vm "$2" --qmp "$TMP/none.qmp" --topology "$TMP/dcd.toml" "${@:3}"; }
run 0 vm dc-add --help
expect_out "--extent"
dc 2 dc-add dcd0 --extent 0x0:2M
expect_err "not inside a DC region of 'dcd0'"
dc 2 dc-add dcd0 --extent 0x10100000:2M
expect_err "block size"
dc 2 dc-add dcd0 --extent 0x10000000:2M --extent 0x30000000:2M
expect_err "one request names one region"
dc 2 dc-add mem1 --extent 0x0:2M
expect_err "has no dynamic capacity regions"
dc 2 dc-add dcd0 --extent 0x10000000:2M --tag 12
expect_err "expected a UUID"
dc 2 dc-add dcd0
expect_err "--extent DPA:LENGTH or SIZE"
dc 2 dc-release dcd0
expect_err "an extent (DPA:LENGTH) or a tag"
dc 1 dc-add dcd0 --extent 0x30000000:2M
expect_err "no such socket"
dc 1 dc-release dcd0 --extent 0x30000000:2M --forced
expect_err "no such socket"

finish vm_pool_test
