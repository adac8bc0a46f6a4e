#!/usr/bin/env bash
# run_topology.sh CXLSIM TOPOLOGY.toml WORKDIR: the host half of the conformance suite for one
# topology. Boots one guest (cxlsim vm run) with a script generated from guest_lib.sh and the
# topology's plan (TOPOLOGY.plan), then checks what the guest saw against cxlsim:
#   boot        the guest ran the whole script
#   list        cxl list -vvv (before any region) == cxlsim list --json, whole documents after
#               list_lib.jq's normalizations (probe-order names, sysfs array order)
#   region.N    Linux and cxlsim agree on accepting the region; decoders Linux programmed ==
#               cxlsim's; every tag written through /dev/pmemN is in the backing file at the
#               (file, file offset) `cxlsim map` gives for its region offset; cxl list -vvv
#               with the region == cxlsim list --region --json (whole, normalized)
# Appends "topology<TAB>check<TAB>pass|FAIL|qemu-deviation|linux-6.12-deviation<TAB>detail"
# lines to WORKDIR/results.tsv. Exits 0 (failures are in the results).
# CXLSIM_CONFORMANCE_PEER=10 runs the guest on peer QEMU 10.0 + Linux 6.12 (`vm run --qemu 10`;
# the topology should say hdm_decoders = 4): the listings are compared after list_lib.jq's
# linux612 rewrites too (linux-6.12-deviation when only those rewrites make them equal), and
# QEMU 7.2's routing limits excuse no missing tag. Default 7: QEMU 7.2 + Linux 6.1.
set -uo pipefail
cxlsim=$1
topo=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$topo" .toml)
plan=${topo%.toml}.plan
rm -rf "$work"
mkdir -p "$work/backing" "$work/vm"
results=$work/results.tsv
: > "$results"
peer=${CXLSIM_CONFORMANCE_PEER:-7}
case $peer in
  7) rewrite='.'; peer_args=() ;;
  10) rewrite='linux612'; peer_args=(--qemu 10) ;;
  *) echo "run_topology.sh: CXLSIM_CONFORMANCE_PEER must be 7 or 10, not $peer" >&2; exit 2 ;;
esac
result() { printf '%s\t%s\t%s\t%s\n' "$name" "$1" "$2" "$(tr '\n\t' '  ' <<< "$3")" >> "$results"; }

# Plan lines "region WINDOW WAYS GRANULARITY TARGETS" become check_region INDEX ... calls.
{
  cat "$here/guest_lib.sh"
  echo "check_list"
  awk '$1 == "region" { print "check_region", i++, $2, $3, $4, $5 }' "$plan"
  echo "finish"
} > "$work/guest.sh"

start=$(date +%s.%N)
"$cxlsim" vm run "$topo" "${peer_args[@]}" --backing-dir "$work/backing" --workdir "$work/vm" --quiet \
  --script "$work/guest.sh" --timeout 300 > "$work/guest.out" 2> "$work/vm.err"
rc=$?
end=$(date +%s.%N)
grep '^{"kind"' "$work/guest.out" > "$work/guest.jsonl"
awk -v a="$start" -v b="$end" -v n="$name" 'BEGIN { printf "%s boot+checks in guest: %.1f s\n", n, b - a }' >> "$work/timing"
if ! grep -q '"kind":"done"' "$work/guest.jsonl"; then
  result boot FAIL "guest did not finish (cxlsim vm run exit $rc): $(tail -n 3 "$work/vm.err" | tr '\n' ' ')"
  exit 0
fi
result boot pass "$(cat "$work/timing")"
g() { jq -c "select(.kind == \"$1\")" "$work/guest.jsonl"; }

# serial (decimal) -> topology id, from the [[type3]] tables.
"$cxlsim" list "$topo" --json > "$work/cxlsim-list.json" 2> "$work/cxlsim-list.err"
list_rc=$?
awk '/^\[\[/ { t = $0 } t == "[[type3]]" && $1 == "id" { gsub(/"/, "", $3); id = $3 }
     t == "[[type3]]" && $1 == "serial" { print $3, id }' "$topo" |
  while read -r s id; do echo "$((s)) $id"; done > "$work/serials"
id_of() { awk -v s="$(($1))" '$1 == s { print $2 }' "$work/serials"; }

# --- list: cxl list -vvv vs cxlsim list --json, whole documents -------------------------------
if [ $list_rc -ne 0 ]; then
  result list FAIL "cxlsim list failed: $(head -c 300 "$work/cxlsim-list.err")"
else
  g list | jq '.data' > "$work/guest-list.json"
  jq -S -L "$here" 'include "list_lib"; normalize' "$work/guest-list.json" > "$work/guest-list.norm"
  jq -S -L "$here" "include \"list_lib\"; $rewrite | normalize" "$work/guest-list.json" > "$work/guest-list.peer.norm"
  jq -S -L "$here" 'include "list_lib"; normalize' "$work/cxlsim-list.json" > "$work/cxlsim-list.norm"
  counts="$(jq '[.. | objects | select(has("port"))] | length' "$work/guest-list.json") ports, $(jq '[.. | objects | select(has("endpoint"))] | length' "$work/guest-list.json") endpoints, $(jq '[.. | objects | select(has("decoder"))] | length' "$work/guest-list.json") decoders"
  if diff -u "$work/guest-list.norm" "$work/cxlsim-list.norm" > "$work/list.diff"; then
    result list pass "equal: $counts"
  elif diff -u "$work/guest-list.peer.norm" "$work/cxlsim-list.norm" > "$work/list.diff"; then
    result list linux-6.12-deviation "equal once Linux 6.12's root dport naming (pci0000:BB, alias ACPI0016:NN) is rewritten to 6.1's: $counts"
  else
    result list FAIL "see $work/list.diff: $(grep '^[-+] ' "$work/list.diff" | head -n 4 | tr '\n' ' ')"
  fi
fi

# Backing-file tags: "index hex_offset file_basename file_offset", all regions.
for f in "$work"/backing/*; do
  grep -boaE 'CXLTAG:[0-9]+:[0-9a-f]+;' "$f" | awk -F: -v f="$(basename "$f")" '{ sub(/;$/, "", $4); print $3, $4, f, $1 }'
done | sort > "$work/tags.found"

# linux612_unencodable WINDOW WAYS GRANULARITY IDS: the decoders cxlsim programs for the region
# whose granularity under Linux 6.12's rule for 1-way port decoders (list_lib.jq's
# linux612_granularity) exceeds 16 KiB, the largest CXL encodes; empty when none.
linux612_unencodable() {
  local root
  root=$(g list | jq -c --arg d "decoder0.$1" '[.data | .. | objects | select(.decoder? == $d)
    | {granularity: .interleave_granularity, ways: .interleave_ways}] | first') &&
    "${CXLSIM_CONFORMANCE_DECODERS:?}" "$topo" "$1" "$2" "$3" "$4" |
    jq -s -c -L "$here" --argjson root "$root" \
      'include "list_lib"; linux612_granularity($root)[] | select(.granularity > 16384)' |
    tr '\n' ' '
}

# --- regions ----------------------------------------------------------------------------------
n=$(g attempt | wc -l)
for ((i = 0; i < n; i++)); do
  a=$(g attempt | jq -c "select(.index == $i)")
  r=$(g region | jq -c "select(.index == $i)")
  win=$(jq -r .window <<< "$a"); ways=$(jq -r .ways <<< "$a"); gran=$(jq -r .granularity <<< "$a")
  req=$(jq -r .requested <<< "$a")
  label="region.$i w$win x$ways g$gran ${req/auto/auto}"
  created=$(jq -r '.created // false' <<< "$r")
  # The order Linux used: the region's targets when created, else what was asked for.
  if [ "$created" = true ]; then order=$(jq -r .targets <<< "$r"); else order=$(jq -r .order <<< "$a"); fi
  ids=""
  for s in ${order//,/ }; do ids="$ids,$(id_of "$s")"; done
  ids=${ids#,}
  step=$(jq -r ".step // $((gran / 2))" <<< "$r")
  base=$(jq -r '.base // 0' <<< "$r"); count=$(jq -r '.count // 32' <<< "$r")
  total=$(((base / step) + count))
  "$cxlsim" map "$topo" --ways "$ways" --granularity "$gran" --targets "$ids" --window "$win" \
    --step "$step" --count "$total" --backing-dir "$work/backing" --json > "$work/map.$i.json" 2> "$work/map.$i.err"
  map_rc=$?
  if [ "$created" != true ]; then
    why=$(jq -r .error <<< "$r" | sed 's/cxl region: //g; s/ *cmd_create_region.*//' | head -c 100)
    sim=$("${CXLSIM_CONFORMANCE_DECODERS:?}" "$topo" "$win" "$ways" "$gran" "$ids" | jq -r '.rejected // empty')
    if [ $map_rc -eq 1 ] && [ -n "$sim" ]; then
      result "$label" pass "order $ids rejected by Linux ($why) and by cxlsim ($sim)"
    elif [ "$peer" = 10 ] && [ $map_rc -eq 0 ] && [ -z "$sim" ] &&
      over=$(linux612_unencodable "$win" "$ways" "$gran" "$ids") && [ -n "$over" ]; then
      result "$label" linux-6.12-deviation "order $ids rejected by Linux 6.12 ($why), accepted by cxlsim (Linux 6.1): Linux 6.12's 1-way port decoder granularity has no encoding (> 16 KiB): $over"
    else
      result "$label" FAIL "Linux rejected order $ids ($why); cxlsim map exit $map_rc, region: ${sim:-accepted}"
    fi
    continue
  fi
  # Decoders Linux programmed (sysfs) vs cxlsim's.
  dec=$("$here/compare_decoders.sh" "$work" "$i" "$topo" "$win" "$ways" "$gran" "$ids" 2>&1)
  dec_rc=$?
  # cxl list -vvv with the region committed vs cxlsim list --region, by structure.
  if "$cxlsim" list "$topo" --region "window=$win,ways=$ways,granularity=$gran,targets=${ids//,/:}" \
       --json > "$work/region-list.$i.cxlsim.json" 2> "$work/region-list.$i.err"; then
    g region_list | jq "select(.index == $i) | .data" > "$work/region-list.$i.linux.json"
    jq -S -L "$here" "include \"list_lib\"; $rewrite | normalize_region_list" \
      "$work/region-list.$i.linux.json" > "$work/region-list.$i.linux.norm"
    jq -S -L "$here" 'include "list_lib"; normalize_region_list' "$work/region-list.$i.cxlsim.json" \
      > "$work/region-list.$i.cxlsim.norm"
    if diff -u "$work/region-list.$i.linux.norm" "$work/region-list.$i.cxlsim.norm" > "$work/region-list.$i.diff"; then
      dec="$dec, cxl list equal"
    else
      dec="$dec, but cxl list differs ($work/region-list.$i.diff: $(grep '^[-+] ' "$work/region-list.$i.diff" | head -n 2 | tr -s ' '))"
      dec_rc=1
    fi
  else
    dec="$dec, but cxlsim list --region failed: $(head -c 200 "$work/region-list.$i.err")"
    dec_rc=1
  fi
  if [ $map_rc -ne 0 ]; then
    result "$label" FAIL "Linux accepted order $ids; cxlsim map exit $map_rc: $(head -c 200 "$work/map.$i.err"); $dec"
    continue
  fi
  awk -v i="$i" '$1 == i { print $2, $3, $4 }' "$work/tags.found" | sort > "$work/tags.$i.found"
  jq -r --argjson base "$base" --argjson stop "$((base + count * step))" \
    '.[] | select(.offset >= $base and .offset < $stop) | "\(.offset) \(.file | split("/") | last) \(.file_offset)"' \
    "$work/map.$i.json" | awk '{ printf "%x %s %s\n", $1, $2, $3 }' | sort > "$work/tags.$i.expected"
  expected=$(wc -l < "$work/tags.$i.expected")
  found=$(wc -l < "$work/tags.$i.found")
  if [ "$expected" -eq 0 ]; then
    result "$label" FAIL "cxlsim map gave no offsets in [$base, +$((count * step)))"
  elif diff "$work/tags.$i.found" "$work/tags.$i.expected" > "$work/tags.$i.diff"; then
    if [ $dec_rc -eq 0 ]; then
      result "$label" pass "order $ids; $expected tags at cxlsim's (file, offset); $dec"
    elif [ $dec_rc -eq 3 ]; then
      result "$label" linux-6.12-deviation "order $ids; $expected tags at cxlsim's (file, offset); $dec"
    else
      result "$label" FAIL "order $ids; $expected tags at cxlsim's (file, offset) but $dec"
    fi
  elif [ "$peer" = 7 ] && limits=$("$here/qemu_limits.sh" "$work" "$i"); then
    # Memdevs QEMU 7.2 cannot route to: their tags must be missing, all others where cxlsim
    # puts them.
    lost=""; lost_files=""
    while read -r serial why; do
      lost="$lost $(id_of "$serial") ($why)"
      lost_files="$lost_files $(jq -r --arg m "$(id_of "$serial")" \
        '[.[] | select(.memdev == $m) | .file | split("/") | last] | unique | .[]' "$work/map.$i.json")"
    done <<< "$limits"
    awk -v lost="$lost_files" 'BEGIN { n = split(lost, f, " "); for (k = 1; k <= n; k++) skip[f[k]] = 1 }
                              !($2 in skip)' "$work/tags.$i.expected" > "$work/tags.$i.reachable"
    reachable=$(wc -l < "$work/tags.$i.reachable")
    if diff "$work/tags.$i.found" "$work/tags.$i.reachable" > "$work/tags.$i.diff" && [ $dec_rc -eq 0 ]; then
      result "$label" qemu-deviation "order $ids; QEMU 7.2 dropped the $((expected - reachable)) tags of${lost}; the other $reachable at cxlsim's (file, offset); Linux's $dec"
    else
      result "$label" FAIL "order $ids; tags differ from cxlsim map beyond QEMU 7.2's limits ($lost; found $found, expected $reachable reachable): $(head -n 3 "$work/tags.$i.diff" | tr '\n' ' '); $dec"
    fi
  else
    result "$label" FAIL "order $ids; tags differ from cxlsim map (found $found, expected $expected): $(head -n 3 "$work/tags.$i.diff" | tr '\n' ' ')"
  fi
done
exit 0
