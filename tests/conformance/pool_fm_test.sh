#!/usr/bin/env bash
# pool_fm_test.sh CXLSIM SOURCE_DIR: the fabric manager drives real guests (issue #10 item 5,
# docs/pooling.md). `cxlsim fm serve builtin:pool-2host` runs; the guests of hosts h0 and h1 boot
# with `--fm` and attach themselves with their host keys (QEMU 7.2 + Linux 6.1, TCG); then, only
# through `cxlsim fm` with the admin key:
#  1. bind h0 vPPB 0 to mld0:0: h0 lists the memdev; prints the bind-to-visible time (goal <= 5 s);
#  2. the fabric manager is killed (-9) and restarted: it finds the guests in its state;
#     unbind h0 vPPB 0: h0 no longer lists it;
#  3. sharing: mld0 is shared; bind h0 vPPB 1 and h1 vPPB 0 to mld0:3 (one backing file); h0
#     creates a pmem region and writes pattern A; unbind h0 vPPB 1 is refused (Busy) while h0's
#     region uses the LD; h1 creates a region and reads A.
# Exits 1 on a failed check, 77 when QEMU or cxl-cli is missing.
set -uo pipefail
cxlsim=$1
src=$2
source "$src/tests/conformance/pool_lib.sh"
pool_setup pool-fm
pool=builtin:pool-2host
st=$work/fm
sock=$work/fm.sock
admin=(--socket "$sock" --key-file "$st/admin.key")
pids=()
cleanup() { for p in "${pids[@]}"; do pkill -P "$p" 2> /dev/null; kill "$p" 2> /dev/null; done; }
trap cleanup EXIT

serve() {
  rm -f "$sock"  # a killed server's socket file stays: wait for the new server's own
  "$cxlsim" fm serve "$pool" --state "$st" --socket "$sock" --quiet 2>> "$work/fm.err" &
  fm_pid=$!
  pids+=($fm_pid)
  for _ in $(seq 200); do [ -S "$sock" ] && [ -f "$st/keys/h1.key" ] && return 0; sleep 0.05; done
  echo "FAIL fm serve did not start: $(cat "$work/fm.err")"
  exit 1
}
serve

{ cat "$here/guest_lib.sh"; cat <<'GUEST'
echo '{"kind":"ready"}'
await_memdevs 1 60 added
await_memdevs 0 90 removed
await_memdevs 1 90 shared
await_endpoints 30
make_region
printf 'CXLSIM-FM-SHARED:%s;' "$(cat /proc/sys/kernel/random/uuid)" > /tmp/a
dd if=/tmp/a of=/dev/$pmem bs=1048576 seek=1 conv=notrunc,fsync 2>/dev/null
printf '{"kind":"written","data":"%s"}\n' "$(cat /tmp/a)"
await_memdevs 9 60 hold
finish
GUEST
} > "$work/h0.sh"
{ cat "$here/guest_lib.sh"; cat <<'GUEST'
echo '{"kind":"ready"}'
await_memdevs 1 240 shared
await_endpoints 30
make_region
v=$(dd if=/dev/$pmem bs=1048576 skip=1 count=1 2>/dev/null | head -c 54 | tr -d '\000')
printf '{"kind":"read","data":"%s"}\n' "$v"
finish
GUEST
} > "$work/h1.sh"

boot() {  # boot HOST: attached to the fabric manager with its own key
  "$cxlsim" vm run "$pool" --host "$1" --fm "$sock" --fm-key-file "$st/keys/$1.key" \
    --workdir "$work/$1.vm" --script "$work/$1.sh" --timeout 400 \
    > "$work/$1.out" 2> "$work/$1.err" &
  pids+=($!)
}

boot h0
boot h1
for h in h0 h1; do
  record $h '"kind":"ready"' 240 > /dev/null || { echo "FAIL $h did not boot: $(tail -n 3 "$work/$h.err")"; exit 1; }
  for _ in $(seq 100); do grep -q "attached to the fabric manager" "$work/$h.err" && break; sleep 0.1; done
  grep -q "attached to the fabric manager" "$work/$h.err" && pass "$h attached itself with its host key" ||
    fail "$h did not attach: $(cat "$work/$h.err")"
done

# 1. Bind through the fabric manager: the guest sees it.
t0=$(now_ms)
"$cxlsim" fm bind h0 0 mld0:0 "${admin[@]}" > "$work/bind0" 2>&1 || fail "fm bind h0 0 mld0:0: $(cat "$work/bind0")"
bind_ms=$(($(now_ms) - t0))
added=$(record h0 '"label":"added"' 60)
visible_ms=$(($(now_ms) - t0))
[ "$(jq -r .ok <<< "$added")" = true ] &&
  pass "bind-to-visible: h0 lists mld0:0 ${visible_ms} ms after fm bind (the bind answered in ${bind_ms} ms; goal <= 5000 ms)" ||
  fail "h0 did not list the bound LD: $added"

# 2. kill -9 the fabric manager; the restarted one still reaches the guests.
kill -9 "$fm_pid"
wait "$fm_pid" 2> /dev/null
serve
"$cxlsim" fm vcs-info h0 "${admin[@]}" --json > "$work/vcs0" 2>&1
[ "$(jq -r '.[0].vppbs[0].device' "$work/vcs0")" = mld0 ] && pass "the binding survived kill -9" ||
  fail "binding lost: $(cat "$work/vcs0")"
t0=$(now_ms)
"$cxlsim" fm unbind h0 0 "${admin[@]}" > "$work/unbind0" 2>&1 || fail "fm unbind h0 0: $(cat "$work/unbind0")"
removed=$(record h0 '"label":"removed"' 60)
[ "$(jq -r .ok <<< "$removed")" = true ] &&
  pass "unbind after the restart: h0 no longer lists it ($(($(now_ms) - t0)) ms)" ||
  fail "h0 still lists the LD: $removed"

# 3. One shared LD in both guests.
"$cxlsim" fm bind h0 1 mld0:3 "${admin[@]}" > "$work/bind1" 2>&1 || fail "fm bind h0 1 mld0:3: $(cat "$work/bind1")"
pattern=$(record h0 '"kind":"written"' 120 | jq -r .data)
[[ $pattern == CXLSIM-FM-SHARED:* ]] && pass "h0 wrote $pattern through its region" ||
  fail "h0 wrote nothing: $(grep -E 'made_region|endpoints' "$work/h0.out" | tr '\n' ' ')"
if "$cxlsim" fm unbind h0 1 "${admin[@]}" > "$work/busy" 2>&1; then
  fail "unbind of an LD h0's region uses was not refused"
else
  grep -q "Busy" "$work/busy" && pass "unbind refused while h0's region uses the LD: $(cat "$work/busy")" ||
    fail "unbind failed otherwise: $(cat "$work/busy")"
fi
"$cxlsim" fm bind h1 0 mld0:3 "${admin[@]}" > "$work/bind2" 2>&1 || fail "fm bind h1 0 mld0:3: $(cat "$work/bind2")"
read_b=$(record h1 '"kind":"read"' 150 | jq -r .data)
[ -n "$pattern" ] && [ "$read_b" = "$pattern" ] && pass "h1 reads h0's pattern through its own region" ||
  fail "h1 read '$read_b', want '$pattern'"

kill "$fm_pid" 2> /dev/null
echo "bind-to-visible ${visible_ms} ms; $failures failure(s); work folder $work"
[ "$failures" -eq 0 ] || exit 1
[ -n "${CXLSIM_CONFORMANCE_DIR:-}" ] || rm -rf "$work"
