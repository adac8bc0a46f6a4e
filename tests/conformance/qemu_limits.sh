#!/usr/bin/env bash
# qemu_limits.sh WORKDIR INDEX: names the QEMU 7.2 routing limit region INDEX of the guest's
# run runs into, exit 0; exit 1 when none applies. QEMU 7.2 (hw/cxl/cxl-host.c) routes a CXL
# window access only through host bridge HDM decoders and at most one switch below them, so
#   - a port with a single dport (Linux 6.1 programs no decoder there: pass-through), and
#   - a switch below a switch (endpoint depth > 3)
# on a region's path lose its data (reads return zeros, writes are dropped).
set -euo pipefail
jq -r -e --argjson i "$2" -s '
  include "list_lib";
  (.[] | select(.kind == "region" and .index == $i) | .targets | split(",") | map(tonumber)) as $t
  | (.[] | select(.kind == "region_list" and .index == $i) | .data) as $list
  | ([$list | .. | objects | select(has("port") and .nr_dports == 1 and
        (serials | any(. as $s | $t | index($s) != null)))] | length) as $pt
  | ([$list | .. | objects | select(has("endpoint") and .depth > 3 and
        (.memdev.serial as $s | $t | index($s) != null))] | length) as $deep
  | [if $pt > 0 then "pass-through port (single dport) on the path" else empty end,
     if $deep > 0 then "switch below a switch on the path" else empty end]
  | if length > 0 then join(", ") else false end' -L "$(dirname "$0")" "$1/guest.jsonl"
