#!/usr/bin/env bash
# pool_guest_test.sh CXLSIM SOURCE_DIR: pool hosts as real guests (issue #10 item 5, docs/vm.md
# "Pool hosts and hot-plug"). Boots the guests of hosts h0 and h1 of builtin:pool-2host at once
# (QEMU 7.2 + Linux 6.1, TCG), each with a QMP socket, then:
#  1. hot-adds LD mld0-ld0 (1 GiB, sparse backing file) into h0's vPPB 0: h0 lists the memdev;
#     prints the bind-to-visible time (cxlsim vm hot-add until the guest's record arrives; goal
#     <= 5 s); hot-removes it: h0 no longer lists it; prints the unbind time; adds and removes it
#     once more (the same port, QEMU's kept backends);
#  2. sharing, both guests running: LD mld0-ld1 on ONE backing file goes into h0 (vPPB 1); h0
#     creates a pmem region and writes pattern A through it; the host finds A in the backing file;
#     hot-remove is refused while h0's region commits the LD's decoder; the same file goes into
#     h1 (vPPB 0); h1 creates a region, reads A, writes pattern B; h0 reads B.
# Host <-> guest sync: guest_lib.sh (await_memdevs / await_guest). Exits 1 on a failed check,
# 77 when QEMU or cxl-cli is missing.
set -uo pipefail
cxlsim=$1
src=$2
source "$src/tests/conformance/pool_lib.sh"
pool_setup pool-guest
pool=builtin:pool-2host
guest_pids=()
# On an early exit: each guest's QEMU (the cxlsim's child), then the cxlsim.
cleanup() { for p in "${guest_pids[@]}"; do pkill -P "$p" 2> /dev/null; kill "$p" 2> /dev/null; done; }
trap cleanup EXIT

# Guest scripts: guest_lib.sh, then the role.
{ cat "$here/guest_lib.sh"; cat <<'GUEST'
echo '{"kind":"ready"}'
await_memdevs 1 60 added
printf '{"kind":"list","data":%s}\n' "$(list_json)"
await_memdevs 0 60 removed
await_memdevs 1 60 readded
await_memdevs 0 60 reremoved
# Sharing, writer first: region on the shared LD, pattern A at 1 MiB, then wait for B at 2 MiB.
await_memdevs 1 90 shared
await_endpoints 30
make_region
printf 'CXLSIM-SHARED-A:%s;' "$(cat /proc/sys/kernel/random/uuid)" > /tmp/a
dd if=/tmp/a of=/dev/$pmem bs=1048576 seek=1 conv=notrunc,fsync 2>/dev/null
printf '{"kind":"written","who":"A","data":"%s"}\n' "$(cat /tmp/a)"
n=0
while [ $n -lt 120 ]; do
  echo 3 > /proc/sys/vm/drop_caches
  v=$(dd if=/dev/$pmem bs=1048576 skip=2 count=1 2>/dev/null | head -c 53 | tr -d '\000')
  case "$v" in CXLSIM-SHARED-B*) break ;; esac
  sleep 0.5; n=$((n + 1))
done
printf '{"kind":"read","who":"A","data":"%s"}\n' "$v"
finish
GUEST
} > "$work/h0.sh"
{ cat "$here/guest_lib.sh"; cat <<'GUEST'
echo '{"kind":"ready"}'
await_memdevs 1 180 shared
await_endpoints 30
make_region
v=$(dd if=/dev/$pmem bs=1048576 skip=1 count=1 2>/dev/null | head -c 53 | tr -d '\000')
printf '{"kind":"read","who":"B","data":"%s"}\n' "$v"
printf 'CXLSIM-SHARED-B:%s;' "$(cat /proc/sys/kernel/random/uuid)" > /tmp/b
dd if=/tmp/b of=/dev/$pmem bs=1048576 seek=2 conv=notrunc,fsync 2>/dev/null
printf '{"kind":"written","who":"B","data":"%s"}\n' "$(cat /tmp/b)"
finish
GUEST
} > "$work/h1.sh"

boot() {  # boot HOST: the guest in the background, its records in $work/HOST.out
  "$cxlsim" vm run "$pool" --host "$1" --qmp "$work/$1.qmp" --backing-dir "$work/backing" \
    --workdir "$work/$1.vm" --quiet --script "$work/$1.sh" --timeout 300 \
    > "$work/$1.out" 2> "$work/$1.err" &
  guest_pids+=($!)
}
hot_add() {  # hot_add HOST VPPB FILE ID
  "$cxlsim" vm hot-add --qmp "$work/$1.qmp" --topology "$pool" --host "$1" --vppb "$2" \
    --backing "$3" --size 1G --id "$4" > "$work/$1.add.$4" 2>&1
}

t_boot=$(now_ms)
boot h0
boot h1
for h in h0 h1; do
  if ! record $h '"kind":"ready"' 240 > /dev/null; then
    echo "FAIL $h did not boot: $(tail -n 3 "$work/$h.err" | tr '\n' ' ')"
    exit 1
  fi
done
echo "both guests up in $((($(now_ms) - t_boot))) ms"

# 1. Bind-to-visible and unbind on h0.
t0=$(now_ms)
hot_add h0 0 "$work/ld0.raw" mld0-ld0 || fail "hot-add mld0-ld0: $(cat "$work/h0.add.mld0-ld0")"
added=$(record h0 '"label":"added"' 60)
bind_ms=$(($(now_ms) - t0))
if [ "$(jq -r .ok <<< "$added")" = true ]; then
  pass "bind-to-visible: h0 lists the hot-added memdev ${bind_ms} ms after cxlsim vm hot-add" \
    "(goal <= 5000 ms)"
else
  fail "bind-to-visible: h0 did not list a memdev within 60 s: $added"
fi
size=$(record h0 '"kind":"list"' 10 | jq '[.data[]? | .. | objects | select(.memdev? | type == "string") | .pmem_size] | first')
[ "$size" = 1073741824 ] && pass "h0 memdev pmem_size $size" || fail "h0 memdev pmem_size $size"
alloc=$(du -k "$work/ld0.raw" | cut -f1)
[ "$alloc" -lt 65536 ] && pass "backing file sparse (${alloc} KiB allocated of 1 GiB)" ||
  fail "backing file not sparse: $alloc KiB"
t0=$(now_ms)
"$cxlsim" vm hot-remove --qmp "$work/h0.qmp" --id mld0-ld0 --json > "$work/h0.rm.json" 2>&1 ||
  fail "hot-remove mld0-ld0: $(cat "$work/h0.rm.json")"
removed=$(record h0 '"label":"removed"' 60)
unbind_ms=$(($(now_ms) - t0))
[ "$(jq -r .ok <<< "$removed")" = true ] &&
  pass "unbind: h0 no longer lists the memdev; hot-remove took $(jq -r '.seconds * 1000 | floor' "$work/h0.rm.json") ms, ${unbind_ms} ms until the guest's record" ||
  fail "unbind: h0 still lists a memdev: $removed"

# The same LD again into the same port (QEMU kept its backends: they are reused), out again.
hot_add h0 0 "$work/ld0.raw" mld0-ld0 || fail "re-add mld0-ld0: $(cat "$work/h0.add.mld0-ld0")"
[ "$(jq -r .ok <<< "$(record h0 '"label":"readded"' 60)")" = true ] &&
  pass "rebind: h0 lists the LD again after hot-add into the same vPPB" || fail "rebind: not listed"
"$cxlsim" vm hot-remove --qmp "$work/h0.qmp" --id mld0-ld0 > /dev/null 2>&1 || fail "second hot-remove"
[ "$(jq -r .ok <<< "$(record h0 '"label":"reremoved"' 60)")" = true ] &&
  pass "second unbind: h0 no longer lists it" || fail "second unbind: still listed"

# 2. Sharing one backing file between h0 and h1, both running.
shared=$work/shared.raw
hot_add h0 1 "$shared" mld0-ld1 || fail "hot-add shared into h0: $(cat "$work/h0.add.mld0-ld1")"
a=$(record h0 '"kind":"written","who":"A"' 120)
pattern_a=$(jq -r .data <<< "$a")
if [[ $pattern_a == CXLSIM-SHARED-A:* ]]; then
  pass "h0 wrote pattern A through region $(record h0 '"kind":"made_region"' 1 | jq -r .region)"
else
  fail "h0 wrote no pattern: $(grep -E '"kind":"(made_region|endpoints)"' "$work/h0.out" | tr '\n' ' ')"
fi
on_file=$(dd if="$shared" bs=1048576 skip=1 count=1 2> /dev/null | head -c ${#pattern_a})
[ -n "$pattern_a" ] && [ "$on_file" = "$pattern_a" ] && pass "pattern A is in the backing file at 1 MiB" ||
  fail "backing file at 1 MiB: '$on_file', want '$pattern_a'"
if "$cxlsim" vm hot-remove --qmp "$work/h0.qmp" --id mld0-ld1 > "$work/h0.busy" 2>&1; then
  fail "hot-remove of an LD whose decoder h0 committed was not refused"
elif grep -q "in use" "$work/h0.busy"; then
  pass "hot-remove refused while h0's region uses the LD: $(head -c 120 "$work/h0.busy")"
else
  fail "hot-remove failed otherwise: $(cat "$work/h0.busy")"
fi
# Errors from the running guest: an occupied port; QEMU's own refusal, its text quoted.
if hot_add h0 1 "$work/other.raw" mld0-ld2; then
  fail "hot-add into h0's occupied vPPB 1 was not refused"
else
  grep -q "vPPB 1 (downstream port vppb1) is occupied by 'mld0-ld1'" "$work/h0.add.mld0-ld2" &&
    pass "occupied vPPB refused: $(cat "$work/h0.add.mld0-ld2")" ||
    fail "occupied vPPB: $(cat "$work/h0.add.mld0-ld2")"
fi
if hot_add h0 2 "$shared" mld0-ld1; then
  fail "a second device with id mld0-ld1 in h0 was not refused"
else
  grep -q "device_add: .*mld0-ld1.* (GenericError)" "$work/h0.add.mld0-ld1" &&
    pass "QEMU's refusal quoted: $(cat "$work/h0.add.mld0-ld1")" ||
    fail "duplicate id: $(cat "$work/h0.add.mld0-ld1")"
fi
hot_add h1 0 "$shared" mld0-ld1 || fail "hot-add shared into h1: $(cat "$work/h1.add.mld0-ld1")"
b_read=$(record h1 '"kind":"read","who":"B"' 120 | jq -r .data)
[ -n "$pattern_a" ] && [ "$b_read" = "$pattern_a" ] && pass "h1 reads h0's pattern A through its own region" ||
  fail "h1 read '$b_read', want '$pattern_a'"
pattern_b=$(record h1 '"kind":"written","who":"B"' 30 | jq -r .data)
a_read=$(record h0 '"kind":"read","who":"A"' 90 | jq -r .data)
[[ $pattern_b == CXLSIM-SHARED-B:* ]] && [ "$a_read" = "$pattern_b" ] &&
  pass "h0 reads h1's pattern B (both guests running)" || fail "h0 read '$a_read', want '$pattern_b'"

for p in "${guest_pids[@]}"; do wait "$p"; done
guest_pids=()
echo "bind-to-visible ${bind_ms} ms; unbind ${unbind_ms} ms; $failures failure(s); work folder $work"
[ "$failures" -eq 0 ] || exit 1
# Passed: the work folder (guest initrds, 30 MB) goes unless the caller named it.
[ -n "${CXLSIM_CONFORMANCE_DIR:-}" ] || rm -rf "$work"
