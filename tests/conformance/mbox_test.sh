#!/usr/bin/env bash
# mbox_test.sh CXLSIM SOURCE_DIR: cross-checks cxlsim's memory-device commands against a real
# peer. One Linux 6.1 guest on QEMU 7.2 (`cxlsim vm run`) sends Identify, Get Partition Info,
# Get Health Info, Get Supported Logs, Get Log (CEL) and Get LSA to every memdev through the
# CXL_MEM_SEND_COMMAND ioctl (guest/cxl_mbox_send.c, static, carried in with --file); the host
# sends the same commands with `cxlsim mbox ... raw` on the same topology and backing files.
# Every field is compared; a difference passes only when it is listed below as a QEMU 7.2
# deviation with the value QEMU 7.2 is known to return (hw/cxl/cxl-mailbox-utils.c) and why.
# Prints a table command x field -> agree / qemu-deviation / FAIL. Exits 1 on any FAIL, 77
# (ctest: skipped) only when QEMU or the guest kernel cannot be installed.
set -uo pipefail
CXLSIM=$1
SRC=$2
TMP=$(mktemp -d /tmp/cxlsim-mbox-conf.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
source "$(dirname "$0")/../lib/topologies.sh"

skip() {
  echo "************************************************************************" >&2
  echo "* SKIPPED: mailbox conformance: $1" >&2
  echo "************************************************************************" >&2
  exit 77
}
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (scripts/install-deps)"
command -v jq >/dev/null || skip "jq is not installed (scripts/install-deps)"
gcc -static -O2 -o "$TMP/cxl_mbox_send" "$SRC/tests/conformance/guest/cxl_mbox_send.c" ||
  { echo "FAIL: cannot build cxl_mbox_send"; exit 1; }

# Two devices that differ in every size, so a field read from the wrong device cannot agree.
ids=(mem0 mem1)
declare -A serial=([mem0]=0x4d [mem1]=0x1234) pmem_units=([mem0]=1 [mem1]=2) lsa=([mem0]=65536 [mem1]=131072)
one_root_port_topology "$TMP/topo.toml" <<TOML
port = 0
[[root_port]]
id = "rp1"
host_bridge = "hb0"
port = 1
[[type3]]
id = "mem0"
parent = "rp0"
persistent = "256M"
lsa = "64K"
serial = 0x4d
persistent_path = "$TMP/mem0.raw"
lsa_path = "$TMP/mem0.lsa"
[[type3]]
id = "mem1"
parent = "rp1"
persistent = "512M"
lsa = "128K"
serial = 0x1234
persistent_path = "$TMP/mem1.raw"
lsa_path = "$TMP/mem1.lsa"
TOML
# Distinct label content per device, read back by both sides' Get LSA.
for id in "${ids[@]}"; do
  yes "lsa-of-$id-" | head -c "${lsa[$id]}" >"$TMP/$id.lsa"
done

LSA_READS=("256 64" "0 2048")
GUEST='for m in /sys/bus/cxl/devices/mem*; do
  n=${m##*/}; s=$(cat $m/serial)
  for c in identify partition health logs cel '"$(printf '"lsa %s" ' "${LSA_READS[@]}")"'; do
    echo "MBOX $s $(echo $c | tr " " _) $(/usr/bin/cxl_mbox_send /dev/cxl/$n $c)"
  done
done'
start=$(date +%s%N)
"$CXLSIM" vm run "$TMP/topo.toml" --quiet --timeout 300 --file "$TMP/cxl_mbox_send:/usr/bin/cxl_mbox_send" \
  --cmd "$GUEST" >"$TMP/guest.out" 2>"$TMP/guest.err"
status=$?
guest_ms=$((($(date +%s%N) - start) / 1000000))
if ! grep -q "^MBOX " "$TMP/guest.out"; then
  if grep -q -e "download kernel package" -e "resolve kernel package" "$TMP/guest.err"; then
    skip "the guest kernel cannot be installed: $(tail -n 1 "$TMP/guest.err")"
  fi
  echo "FAIL: guest run exited $status"; cat "$TMP/guest.err" "$TMP/guest.out"; exit 1
fi

# --- helpers -------------------------------------------------------------------------------
hexbytes() { tr -d ' \n'; }                 # "00 01" -> "0001"
le() {                                      # le BYTES VALUE -> little-endian hex
  local n=$1 v=$2 out="" i
  for ((i = 0; i < n; i++)); do out+=$(printf '%02x' $(((v >> (8 * i)) & 255))); done
  echo "$out"
}
ascii() { printf '%s' "$1" | od -An -tx1 | hexbytes; }   # string -> hex
# The guest's line for (serial, command): "ioctl=.. errno=.. retval=.. size=.. hex=..".
guest_line() { awk -v s="$1" -v c="$2" '$1 == "MBOX" && $2 == s && $3 == c { $1 = $2 = $3 = ""; print; exit }' "$TMP/guest.out" | sed 's/^ *//'; }
gfield() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"$1"; }
# cxlsim's answer: "RETURN_CODE HEX".
cxlsim_raw() {
  "$CXLSIM" mbox "$TMP/topo.toml" --memdev "$1" --json raw "$2" "${3:-}" 2>/dev/null |
    jq -r '"\(.return_code) \(.output | gsub(" "; ""))"'
}

# --- QEMU 7.2 deviations: key command.field -> "EXPECTED_QEMU_HEX|why" ------------------------
# EXPECTED is what QEMU 7.2 returns for the device (computed per device: $1 = memdev id);
# "absent": QEMU's payload ends before the field; "ENOTTY": Linux 6.1 refuses the command
# because QEMU's CEL does not list it.
deviation() {
  local id=$1 key=$2 u=${pmem_units[$1]}
  case $key in
    identify.fw_revision) echo "$(ascii 'BWFW VERSION 00')00|QEMU hard-codes the firmware revision string (vendor-defined; cxlsim reports its own version)" ;;
    identify.persistent_capacity) echo "$(le 8 "$u")|QEMU 7.2 has no partitionable capacity: everything is persistent-only; cxlsim devices are fully partitionable in 256 MiB steps, so persistent-only capacity is 0 (CXL 3.1 Table 8-127)" ;;
    identify.partition_alignment) echo "$(le 8 0)|QEMU 7.2 reports alignment 0 (not partitionable); cxlsim 1 (256 MiB)" ;;
    identify.info_event_log_size|identify.warning_event_log_size|identify.failure_event_log_size|identify.fatal_event_log_size)
      echo "$(le 2 0)|QEMU 7.2's event logs are stubs (always empty) and it reports 0 records; the spec requires at least 1 per log" ;;
    identify.poison_list_max_mer) echo "$(le 3 0)|QEMU 7.2 implements no poison commands (4300h-4302h) and reports 0" ;;
    identify.inject_poison_limit) echo "$(le 2 0)|QEMU 7.2 implements no Inject Poison (4301h)" ;;
    identify.poison_handling_caps) echo "$(le 1 0)|QEMU 7.2 implements no Scan Media or poison persistence (0 capabilities)" ;;
    identify.dc_event_log_size) echo "absent|QEMU 7.2 returns the 0x43-byte CXL 2.0 Identify; CXL 3.1 adds the Dynamic Capacity Event Log Size at 43h (0x45 bytes)" ;;
    health.command) echo "ENOTTY|QEMU 7.2 does not implement Get Health Info (4200h, mandatory for Type 3 devices in CXL 3.1), so it is not in QEMU's CEL and Linux 6.1 does not enable it" ;;
    logs.cel_size) echo "$(le 4 52)|the CEL lists the commands a device implements: QEMU 7.2 has 13 (13 x 4 bytes), cxlsim more" ;;
    *) echo "" ;;
  esac
}
# CEL entries cxlsim has and QEMU 7.2 lacks are commands QEMU 7.2 does not implement
# (docs/mailbox.md); for the 13 it has, opcode and command effects must agree.

# --- comparison ----------------------------------------------------------------------------
declare -A FIELDS=(
  [identify]="fw_revision:0:16 total_capacity:16:8 volatile_capacity:24:8 persistent_capacity:32:8
    partition_alignment:40:8 info_event_log_size:48:2 warning_event_log_size:50:2
    failure_event_log_size:52:2 fatal_event_log_size:54:2 lsa_size:56:4 poison_list_max_mer:60:3
    inject_poison_limit:63:2 poison_handling_caps:65:1 qos_telemetry_caps:66:1 dc_event_log_size:67:2"
  [partition]="active_volatile:0:8 active_persistent:8:8 next_volatile:16:8 next_persistent:24:8"
  [health]="health_status:0:1 media_status:1:1 additional_status:2:1 life_used:3:1
    device_temperature:4:2 dirty_shutdown_count:6:4 corrected_volatile_errors:10:4
    corrected_persistent_errors:14:4"
  [logs]="entries:0:2 reserved:2:6 cel_uuid:8:16 cel_size:24:4"
)
declare -A OPCODE=([identify]=4000 [partition]=4100 [health]=4200 [logs]=0400)
ROWS=()
fails=0
row() {  # row COMMAND FIELD RESULT DETAIL
  ROWS+=("$1|$2|$3|$4")
  [[ $3 == FAIL* ]] && fails=$((fails + 1))
  return 0
}
# compare ID CMD FIELD QEMU_HEX CXLSIM_HEX
compare() {
  local id=$1 cmd=$2 f=$3 q=${4:-absent} c=$5 dev
  if [[ $q == "$c" ]]; then
    if [[ ${#c} -gt 32 ]]; then row "$cmd" "$f" agree "$id: $((${#c} / 2)) bytes equal"; else row "$cmd" "$f" agree "$id: $c"; fi
    return
  fi
  dev=$(deviation "$id" "$cmd.$f")
  if [[ -n $dev && ${dev%%|*} == "$q" ]]; then
    row "$cmd" "$f" qemu-deviation "${dev#*|}"
  else
    row "$cmd" "$f" FAIL "$id: QEMU $q cxlsim $c${dev:+ (listed QEMU value ${dev%%|*})}"
  fi
}

for id in "${ids[@]}"; do
  s=${serial[$id]}
  # Fixed-layout commands.
  for cmd in identify partition health logs; do
    g=$(guest_line "$s" "$cmd")
    read -r crc chex < <(cxlsim_raw "$id" "${OPCODE[$cmd]}")
    if [[ $crc != 0 ]]; then row "$cmd" "(command)" FAIL "$id: cxlsim return code $crc"; continue; fi
    if [[ $(gfield "$g" ioctl) != 0 || $(gfield "$g" retval) != 0 ]]; then
      dev=$(deviation "$id" "$cmd.command")
      if [[ $(gfield "$g" errno) == 25 && ${dev%%|*} == ENOTTY ]]; then
        row "$cmd" "(command)" qemu-deviation "${dev#*|}"
      else
        row "$cmd" "(command)" FAIL "$id: guest '$g'"
      fi
      continue
    fi
    ghex=$(gfield "$g" hex)
    for spec in ${FIELDS[$cmd]}; do
      IFS=: read -r f off len <<<"$spec"
      compare "$id" "$cmd" "$f" "${ghex:$((2 * off)):$((2 * len))}" "${chex:$((2 * off)):$((2 * len))}"
    done
    # Bytes past the last field on either side.
    [[ ${#ghex} -le ${#chex} ]] || row "$cmd" "(length)" FAIL "$id: QEMU returned $((${#ghex} / 2)) bytes, cxlsim $((${#chex} / 2))"
  done
  # Get LSA: the same label bytes from the same file.
  for r in "${LSA_READS[@]}"; do
    read -r off len <<<"$r"
    g=$(guest_line "$s" "lsa_${off}_${len}")
    read -r crc chex < <(cxlsim_raw "$id" 4102 "$(le 4 "$off")$(le 4 "$len")")
    compare "$id" "lsa" "data[$off,+$len]" "$(gfield "$g" hex)" "$chex"
    [[ $(gfield "$g" hex) == $(od -An -tx1 -j "$off" -N "$len" "$TMP/$id.lsa" | hexbytes) ]] ||
      row lsa "data[$off,+$len]" FAIL "$id: QEMU's bytes are not the label file's"
  done
  # Get Log (CEL): each entry is opcode (le16) + command effects (le16).
  g=$(guest_line "$s" cel)
  if [[ $(gfield "$g" ioctl) != 0 || $(gfield "$g" retval) != 0 ]]; then
    row cel "(command)" FAIL "$id: guest '$g'"
  else
    read -r _ lhex < <(cxlsim_raw "$id" 0400)
    cel_len=$((16#${lhex:54:2}${lhex:52:2}${lhex:50:2}${lhex:48:2}))
    read -r crc chex < <(cxlsim_raw "$id" 0401 "0da9c0b5bf414b788f7996b1623b3f17$(le 4 0)$(le 4 "$cel_len")")
    declare -A ceff=()
    for ((i = 0; i < ${#chex}; i += 8)); do ceff[${chex:i+2:2}${chex:i:2}]=${chex:i+6:2}${chex:i+4:2}; done
    ghex=$(gfield "$g" hex)
    for ((i = 0; i < ${#ghex}; i += 8)); do
      op=${ghex:i+2:2}${ghex:i:2}
      eff=${ghex:i+6:2}${ghex:i+4:2}
      if [[ -z ${ceff[$op]:-} ]]; then
        row cel "${op}h" FAIL "$id: QEMU implements ${op}h, cxlsim does not"
      elif [[ ${ceff[$op]} == "$eff" ]]; then
        row cel "${op}h" agree "$id: effects ${eff}h"
      else
        row cel "${op}h" FAIL "$id: effects QEMU ${eff}h cxlsim ${ceff[$op]}h"
      fi
      unset "ceff[$op]"
    done
    row cel "others" qemu-deviation "$id: ${#ceff[@]} opcodes cxlsim implements are not implemented in QEMU 7.2: $(printf '%sh ' "${!ceff[@]}" | tr ' ' '\n' | sort | tr '\n' ' ')"
    unset ceff
  fi
done

# --- table: one line per command x field (worst result over the devices) ---------------------
echo
printf '%-10s %-26s %-15s %s\n' command field result detail
declare -A seen=()
for r in "${ROWS[@]}"; do
  IFS='|' read -r cmd f res detail <<<"$r"
  key="$cmd.$f"
  [[ -n ${seen[$key]:-} ]] && continue
  # Worst result over all devices for this command x field.
  worst=$res worst_detail=$detail
  for r2 in "${ROWS[@]}"; do
    IFS='|' read -r c2 f2 res2 d2 <<<"$r2"
    [[ $c2.$f2 == "$key" ]] || continue
    if [[ $res2 == FAIL ]] || [[ $res2 == qemu-deviation && $worst == agree ]]; then worst=$res2 worst_detail=$d2; fi
  done
  seen[$key]=1
  printf '%-10s %-26s %-15s %s\n' "$cmd" "$f" "$worst" "$worst_detail"
done
echo
echo "mbox conformance: ${#ROWS[@]} comparisons on ${#ids[@]} memdevs, $fails FAIL; guest $((guest_ms / 1000)).$((guest_ms % 1000 / 100)) s (QEMU 7.2, Linux 6.1)"
if [[ $fails != 0 ]]; then
  echo "guest output:"; cat "$TMP/guest.out"
  exit 1
fi
