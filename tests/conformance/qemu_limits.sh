#!/usr/bin/env bash
# qemu_limits.sh WORKDIR INDEX: prints "SERIAL REASON" for each memdev of region INDEX (of the
# guest's run) whose accesses QEMU 7.2 cannot route; exit 1 when there is none. QEMU 7.2
# (hw/cxl/cxl-host.c) routes a CXL window access only through host bridge HDM decoders and at
# most one switch below them, so the data of a memdev is lost (reads return zeros, writes are
# dropped) when its path has
#   - a port with a single dport (Linux 6.1 programs no decoder there: pass-through), or
#   - a switch below a switch (endpoint depth > 3).
set -euo pipefail
out=$(jq -r --argjson i "$2" -s '
  include "list_lib";
  (.[] | select(.kind == "region" and .index == $i) | .targets | split(",") | map(tonumber)) as $t
  | (.[] | select(.kind == "region_list" and .index == $i) | .data) as $list
  | ([$list | .. | objects | select(has("port") and .nr_dports == 1) | serials[]]) as $pt
  | ([$list | .. | objects | select(has("endpoint") and .depth > 3) | .memdev.serial]) as $deep
  | $t[] | . as $s
  | [if ($pt | index($s)) != null then "pass-through-port" else empty end,
     if ($deep | index($s)) != null then "switch-below-switch" else empty end]
  | select(length > 0) | "\($s) \(join("+"))"' -L "$(dirname "$0")" "$1/guest.jsonl")
[ -n "$out" ] || exit 1
echo "$out"
