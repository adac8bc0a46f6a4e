#!/usr/bin/env bash
# passthrough_hb.sh WORKDIR INDEX: exit 0 when region INDEX of the guest's run has a device
# below a host bridge with a single root port (a pass-through port for Linux 6.1).
set -euo pipefail
jq -e --argjson i "$2" -s '
  (.[] | select(.kind == "region" and .index == $i) | .targets | split(",") | map(tonumber)) as $t
  | [.[] | select(.kind == "region_list" and .index == $i) | .data
     | .. | objects | select(has("port") and .depth == 1 and .nr_dports == 1)
     | [.. | objects | select(has("memdev") and (.memdev | type) == "object") | .memdev.serial]
     | any(. as $s | $t | index($s) != null)] | any' "$1/guest.jsonl" > /dev/null
