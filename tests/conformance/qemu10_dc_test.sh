#!/usr/bin/env bash
# qemu10_dc_test.sh CXLSIM SOURCE_DIR: dynamic capacity on QEMU 10.0 + Linux 6.12 against
# cxlsim's model of the same device (docs/vm.md, "Dynamic capacity over QMP").
#
# One QEMU 10 guest with a DCD (256 MiB volatile + two 512 MiB DC regions) below a switch with a
# mailbox CCI boots with a QMP socket. First, without DC: `cxl list -vvv` equals `cxlsim list
# --json` (as qemu10_test.sh compares), and the switch mailbox CCI is the PCI function beside the
# upstream port cxlsim lists (function 1 of its device). No released kernel drives DC, so the guest plays the host's DC driver itself:
# guest/cxl_mbox_mmio (static, carried in with --file) unbinds cxl_pci and drives the device's
# mailbox through its BAR. The host sends the fabric manager's requests with `cxlsim vm dc-add |
# dc-release` (QMP cxl-add-dynamic-capacity / cxl-release-dynamic-capacity); the guest waits
# for the DC Event Records, answers them as a host accepting everything (4802h / 4803h) and
# reports what the device says. The host replays the same sequence on cxlsim's device of the
# same topology: `cxlsim mbox dc offer|request-release` for the fabric manager, and the guest's
# very response payloads with `cxlsim mbox raw`. Compared, decoded alike by dc_lib.jq:
#   config        Get DC Configuration (4800h) at boot
#   list.boot     Get DC Extent List (4801h) at boot
#   events.add    the DC Event Records of the add (type, region, More, extent, tag)
#   response.add  the Add DC Response's return code
#   list.add      Get DC Extent List after the add
#   events.release, response.release, list.release   the same for a release of half an extent
#   refused       an offer overlapping accepted capacity: both refuse it
# Every field agrees, or is a difference listed below with QEMU's known value; anything else
# FAILs. Exits 1 on a FAIL, 77 when bookworm-backports is not configured.
set -uo pipefail
cxlsim=$1
src=$2
here=$src/tests/conformance
work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d /tmp/cxlsim-qemu10-dc.XXXXXX)}
mkdir -p "$work"
source "$here/guest_lib.sh"
failures=0
guest_pid=
cleanup() { [ -n "$guest_pid" ] && kill "$guest_pid" 2>/dev/null; }
trap cleanup EXIT

gcc -static -O2 -o "$work/cxl_mbox_mmio" "$here/guest/cxl_mbox_mmio.c" ||
  { echo "FAIL: cannot build cxl_mbox_mmio"; exit 1; }

cat > "$work/dcd.toml" <<TOML
version = 1
name = "qemu10-dcd"
hdm_decoders = 4  # QEMU 10
[[window]]
id = "cfmw0"
size = "4G"
targets = ["cxl.1"]
restrictions = ["type2", "type3", "volatile", "persistent"]  # QEMU's CFMWS: 0x0f
[[host_bridge]]
id = "cxl.1"
uid = 12
bus_nr = 12
[[root_port]]
id = "rp0"
host_bridge = "cxl.1"
port = 0
slot = 2
[[root_port]]
id = "rp1"
host_bridge = "cxl.1"
port = 1
slot = 3
[[switch]]
id = "sw0"
parent = "rp0"
mailbox_cci = true  # QEMU 10's cxl-switch-mailbox-cci, function 1 of the upstream port
[[downstream_port]]
id = "sw0p0"
switch = "sw0"
port = 0
slot = 4
# A second (empty) port: with one, cxlsim lists one decoder for the switch where QEMU 10 +
# Linux 6.12 list four (docs/vm.md).
[[downstream_port]]
id = "sw0p1"
switch = "sw0"
port = 1
slot = 5
[[type3]]
id = "dcd0"
parent = "sw0p0"
volatile = "256M"
lsa = "1M"
serial = 0xdc0
partitionable = false
dc_regions = ["512M", "512M"]  # QEMU 10: one backend split evenly, blocks of 2 MiB
TOML

# The guest: the DC driver's part, one record per step.
{ cat "$here/guest_lib.sh"; cat <<'GUEST'
check_list
for d in /sys/bus/pci/devices/*; do
  read -r v < $d/vendor; read -r i < $d/device; read -r c < $d/class
  printf '{"kind":"pci","bdf":"%s","vendor":"%s","device":"%s","class":"%s"}\n' "${d##*/}" $v $i $c
done
m=$(ls -d /sys/bus/cxl/devices/mem* | head -n 1)
bdf=$(basename $(readlink -f $m/..))
echo $bdf > /sys/bus/pci/drivers/cxl_pci/unbind
echo 1 > /sys/bus/pci/devices/$bdf/enable 2>/dev/null
t=/bin/cxl_mbox_mmio
list() { printf '{"kind":"dc_list","label":"%s","data":%s}\n' $1 "$($t $bdf raw 4801 'ff ff ff ff 00 00 00 00')"; }
printf '{"kind":"dc_config","data":%s}\n' "$($t $bdf raw 4800 'ff 00')"
list boot
echo '{"kind":"ready"}'
$t $bdf dc-respond 120 add; list add
$t $bdf dc-respond 120 release; list release
echo '{"kind":"done"}'
GUEST
} > "$work/guest.sh"

"$cxlsim" vm run "$work/dcd.toml" --qemu 10 --qmp "$work/qmp" --backing-dir "$work/backing" \
  --workdir "$work/vm" --quiet --file "$work/cxl_mbox_mmio:/bin/cxl_mbox_mmio" \
  --script "$work/guest.sh" --timeout 400 > "$work/guest.out" 2> "$work/guest.err" &
guest_pid=$!
record() { await_guest "$work/guest.out" "$1" "$2"; }
if ! record '"kind":"ready"' 300 > /dev/null; then
  if grep -q "locate bookworm-backports" "$work/guest.err"; then
    echo "SKIPPED: $(tail -n 1 "$work/guest.err")" >&2
    exit 77
  fi
  echo "FAIL boot: $(tail -n 3 "$work/guest.err" | tr '\n' ' ')"
  exit 1
fi

# The listing, as qemu10_test.sh compares it (Linux 6.12's root dport naming rewritten).
record '"kind":"list"' 5 | jq -c .data > "$work/guest.list.json"
"$cxlsim" list "$work/dcd.toml" --json > "$work/cxlsim.list.json"
jq -S -L "$here" 'include "list_lib"; linux612 | normalize' "$work/guest.list.json" \
  > "$work/guest.norm"
jq -S -L "$here" 'include "list_lib"; normalize' "$work/cxlsim.list.json" > "$work/cxlsim.norm"
if diff -u "$work/guest.norm" "$work/cxlsim.norm" > "$work/list.diff"; then
  echo "list: whole cxl list -vvv equal (the switch mailbox CCI does not show)"
else
  echo "FAIL list: $work/list.diff: $(grep '^[-+] ' "$work/list.diff" | head -n 4 | tr '\n' ' ')"
  failures=$((failures + 1))
fi
# The CCI: function 1 of the device whose function 0 is the upstream port cxlsim lists.
up=$(jq -r '[.. | objects | select((.port? // "" | startswith("port")) and
  (.host? // "" | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.0$")))] | first | .host' \
  "$work/cxlsim.list.json")
cci=$(grep '"kind":"pci"' "$work/guest.out" | jq -c --arg b "${up%.0}.1" 'select(.bdf == $b)')
if [ -n "$cci" ] && [ "$up" != null ]; then
  echo "switch-cci: the guest has PCI function ${up%.0}.1 beside upstream port $up: $cci"
else
  echo "FAIL switch-cci: no PCI function ${up%.0}.1 beside upstream port $up in the guest"
  failures=$((failures + 1))
fi

mkdir -p "$work/state"
mbox() { "$cxlsim" mbox "$work/dcd.toml" --memdev dcd0 --state-dir "$work/state" "$@"; }
raw() { mbox raw "$@" --json | jq -r .output; }
decode() { jq -c -L "$here" "include \"dc_lib\"; $1"; }

# Known differences, with QEMU 10.0.2's value (hw/mem/cxl_type3.c, hw/cxl/cxl-mailbox-utils.c).
known=$(jq -n '{
  "regions.0.dsmad_handle": {label: "qemu-cdat-handle", qemu: 1},
  "regions.1.dsmad_handle": {label: "qemu-cdat-handle", qemu: 2},
  "extents_supported": {label: "device-choice", qemu: 512},
  "extents_available": {label: "device-choice", qemu: 512},
  "generation": {label: "qemu-deviation", qemu: 0},
  "extents.[].tag": {label: "qemu-deviation", qemu: "00000000000000000000000000000000"},
  "[].tag": {label: "qemu-deviation", qemu: "00000000000000000000000000000000"},
  "[].available_extents": {label: "qemu-deviation", qemu: 0}
}')
# Why: dsmad_handle: QEMU numbers its CDAT DSMAS entries, the static capacity's first, and
#   cxlsim has no CDAT (its regions say handle 0).
# extents_*: how many extents a device tracks is the device's choice (QEMU 512, cxlsim 64).
# generation: QEMU 10 never changes the Extent List Generation Number (CXL 3.1 §8.2.9.9.9.2:
#   it changes with the list).
# tag: QEMU 10 takes the request's tag but logs and lists its extents with a zero tag.
# available_extents in events: QEMU 10 leaves the record's Extents Available at 0.

check() {  # check STEP QEMU_JSON CXLSIM_JSON
  local rows
  rows=$(jq -c -n -L "$here" --argjson q "$2" --argjson c "$3" --argjson k "$known" \
    'include "dc_lib"; compare($q; $c; $k)[]')
  local agree fails
  agree=$(grep -c '"verdict":"agree"' <<< "$rows")
  fails=$(grep -c '"verdict":"FAIL"' <<< "$rows")
  echo "$1: $agree fields agree"
  grep -v '"verdict":"agree"' <<< "$rows" | jq -r '"  \(.verdict) \(.path): qemu \(.qemu), cxlsim \(.cxlsim)"'
  if [ "$fails" -gt 0 ] || [ "$agree" -eq 0 ]; then failures=$((failures + 1)); fi
}
guest_field() { record "$1" 5 | jq -c "$2"; }
events_of() { grep "\"kind\":\"dc_event\",\"label\":\"$1\"" "$work/guest.out" |
  jq -s -c 'map({type, region, flags, dpa, length, available_extents, tag})'; }

check config "$(guest_field '"kind":"dc_config"' .data.output | decode 'dc_config')" \
  "$(raw 4800 ff00 | jq -R . | decode 'dc_config')"
check list.boot "$(guest_field '"label":"boot"' .data.output | decode 'dc_extents')" \
  "$(raw 4801 ffffffff00000000 | jq -R . | decode 'dc_extents')"

# step LABEL VM_ARGS... -- MBOX_ARGS...: the fabric manager's request to both devices, the
# guest's answer replayed on cxlsim's, then events, response and list compared.
step() {
  local label=$1; shift
  local vm_args=() mbox_args=()
  while [ "$1" != -- ]; do vm_args+=("$1"); shift; done; shift
  mbox_args=("$@")
  if ! "$cxlsim" vm "${vm_args[@]}" --qmp "$work/qmp" --topology "$work/dcd.toml" dcd0 \
       > "$work/$label.vm" 2>&1; then
    echo "FAIL $label: cxlsim vm ${vm_args[0]}: $(cat "$work/$label.vm")"
    failures=$((failures + 1)); return 1
  fi
  mbox dc "${mbox_args[@]}" > "$work/$label.mbox" 2>&1 ||
    { echo "FAIL $label: cxlsim mbox dc: $(cat "$work/$label.mbox")"; failures=$((failures + 1)); }
  local rsp
  if ! rsp=$(record "\"kind\":\"dc_response\",\"label\":\"$label\"" 120); then
    echo "FAIL $label: the guest saw no DC event group: $(tail -n 2 "$work/guest.err" | tr '\n' ' ')"
    failures=$((failures + 1)); return 1
  fi
  check "events.$label" "$(events_of "$label")" "$(raw 0100 04 | jq -R . | decode 'dc_events')"
  mbox events --log dcd --clear > /dev/null
  local opcode payload cx_rc
  opcode=$(jq -r .opcode <<< "$rsp"); payload=$(jq -r .payload <<< "$rsp")
  cx_rc=$(mbox raw "$opcode" "$payload" --json | jq .return_code)
  check "response.$label" "$(jq -c '{opcode, rc}' <<< "$rsp")" \
    "$(jq -n -c --arg o "$opcode" --argjson r "$cx_rc" '{opcode: $o, rc: $r}')"
  check "list.$label" "$(guest_field "\"kind\":\"dc_list\",\"label\":\"$label\"" .data.output | decode 'dc_extents')" \
    "$(raw 4801 ffffffff00000000 | jq -R . | decode 'dc_extents')"
}

tag=0123456789abcdef0123456789abcdef
step add dc-add --extent 0x10000000:2M --extent 0x10400000:4M --tag $tag -- \
  offer --region 0 --extent 0x10000000:2M --extent 0x10400000:4M --tag $tag
# Refused by both: an offer overlapping accepted capacity (QEMU's QMP error, cxlsim's
# Invalid Extent List), and nothing reaches the guest.
if "$cxlsim" vm dc-add --qmp "$work/qmp" --topology "$work/dcd.toml" dcd0 \
     --extent 0x10400000:2M > "$work/refused.vm" 2>&1; then
  echo "FAIL refused: QEMU accepted an offer overlapping accepted capacity"
  failures=$((failures + 1))
elif mbox dc offer --region 0 --extent 0x10400000:2M > "$work/refused.mbox" 2>&1; then
  echo "FAIL refused: cxlsim accepted an offer overlapping accepted capacity"
  failures=$((failures + 1))
else
  echo "refused: both refuse an offer overlapping accepted capacity (QEMU: $(tail -n 1 "$work/refused.vm"))"
fi
# Release the second half of the 4 MiB extent: the device splits it.
step release dc-release --extent 0x10600000:2M -- request-release --region 0 --extent 0x10600000:2M

wait "$guest_pid"; guest_pid=
grep -q '"kind":"done"' "$work/guest.out" || { echo "FAIL: the guest did not finish"; failures=$((failures + 1)); }
echo "$failures failure(s); details in $work"
[ "$failures" -eq 0 ]
