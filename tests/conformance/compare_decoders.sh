#!/usr/bin/env bash
# compare_decoders.sh WORKDIR INDEX TOPOLOGY WINDOW WAYS GRANULARITY IDS: the decoders Linux
# programmed for region INDEX (sysfs, from the guest's records) against those cxlsim programs
# for the same request (cxlsim_conformance_decoders, $CXLSIM_CONFORMANCE_DECODERS). Root
# decoders are left to the list check. Prints a one-line summary; exit 0 when equal.
# With CXLSIM_CONFORMANCE_PEER=10 (Linux 6.12) exit 3 when Linux's decoders differ from cxlsim's
# only as Linux 6.12 programs a 1-way port decoder (list_lib.jq's linux612_granularity).
set -uo pipefail
work=$1; i=$2; topo=$3; win=$4; ways=$5; gran=$6; ids=$7
helper=${CXLSIM_CONFORMANCE_DECODERS:?set CXLSIM_CONFORMANCE_DECODERS}
here=$(cd "$(dirname "$0")" && pwd)
# decoder name -> {"port": key} or {"endpoint": serial}, from cxl list -vvv during the region.
jq -c -s --argjson i "$i" '
  include "list_lib";
  (.[] | select(.kind == "region_list" and .index == $i) | .data) as $list
  | ([$list | .. | objects | select(has("port") or has("endpoint"))
      | (if has("endpoint") then {endpoint: .memdev.serial} else {port: key} end) as $id
      | entries("decoders:")[] | {key: .decoder, value: $id}] | from_entries) as $ids
  | .[] | select(.kind == "decoder" and .index == $i and (.decoder | startswith("decoder0.") | not))
  | $ids[.decoder] + {ways: .interleave_ways, granularity: .interleave_granularity, start, size}
    + (if $ids[.decoder] | has("endpoint") then {dpa: .dpa_resource}
       else {targets: (.target_list | split(",") | map(tonumber))} end)' \
  -L "$here" "$work/guest.jsonl" | jq -S -c . | sort > "$work/decoders.$i.linux"
"$helper" "$topo" "$win" "$ways" "$gran" "$ids" | jq -S -c . | sort > "$work/decoders.$i.cxlsim"
if diff "$work/decoders.$i.linux" "$work/decoders.$i.cxlsim" > "$work/decoders.$i.diff"; then
  echo "$(wc -l < "$work/decoders.$i.linux") decoders match"
elif [ "${CXLSIM_CONFORMANCE_PEER:-7}" = 10 ] &&
  root=$(jq -c -s --argjson i "$i" --arg d "decoder0.$win" '
      [.[] | select(.kind == "region_list" and .index == $i) | .data | .. | objects
       | select(.decoder? == $d) | {granularity: .interleave_granularity, ways: .interleave_ways}]
      | first' "$work/guest.jsonl") &&
  jq -s -c -L "$here" --argjson root "$root" 'include "list_lib"; linux612_granularity($root)[]' \
    "$work/decoders.$i.cxlsim" | jq -S -c . | sort > "$work/decoders.$i.cxlsim612" &&
  diff "$work/decoders.$i.linux" "$work/decoders.$i.cxlsim612" > /dev/null; then
  echo "$(wc -l < "$work/decoders.$i.linux") decoders match once 1-way port decoders take Linux" \
    "6.12's granularity (parent granularity x parent ways): $(grep '^<' "$work/decoders.$i.diff" | head -n 2 | tr '\n' ' ')"
  exit 3
else
  echo "decoders differ (< Linux, > cxlsim): $(head -n 4 "$work/decoders.$i.diff" | tr '\n' ' ')"
  exit 1
fi
