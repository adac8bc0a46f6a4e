#!/usr/bin/env bash
# docs/coherence.md quotes what `cxlsim coherence` prints: every table that follows a
# `<!-- check: ARGS -->` line is compared with `cxlsim ARGS --json`. A row's first cell names a
# row of the output (or a ratio); the second is its latency (ns, or µs when the header says µs)
# to one decimal; the third, when given, its messages per access to two decimals.
# Usage: coherence_doc_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

doc="$SRC/docs/coherence.md"
[[ -f $doc ]] || { fail "no $doc"; finish coherence_doc_test; }

args="" state="" div=1 tables=0 rows=0
while IFS= read -r line; do
  if [[ $line =~ ^\<\!--\ check:\ (.*)\ --\>$ ]]; then
    args=${BASH_REMATCH[1]} state=header
    # shellcheck disable=SC2086  # the marker holds the command's words
    run 0 $args --json
    tables=$((tables + 1))
    continue
  fi
  [[ -n $args ]] || continue
  if [[ $line != \|* ]]; then
    args="" state=""
    continue
  fi
  IFS='|' read -r _ c1 c2 c3 _ <<<"$line"
  name=$(sed 's/^ *//; s/ *$//' <<<"$c1")
  lat=$(tr -d ' ' <<<"$c2")
  msgs=$(tr -d ' ' <<<"$c3")
  if [[ $state == header ]]; then
    div=1
    [[ $lat == *µs* ]] && div=1000
    state=separator
    continue
  fi
  if [[ $state == separator ]]; then
    state=rows
    continue
  fi
  rows=$((rows + 1))
  got=$(jq -r --arg n "$name" \
    '([.rows[] | select(.name == $n)][0] // {latency_ns: .ratios[$n]}) | .latency_ns // "missing"' \
    <<<"$OUT")
  if [[ $got == missing ]]; then
    fail "cxlsim $args prints no row or ratio '$name'"
    continue
  fi
  want=$(jq -rn --argjson v "$got" --argjson d "$div" '$v / $d')
  printf -v want '%.1f' "$want"
  [[ $want == "$lat" ]] || fail "docs/coherence.md: '$name' is $lat, cxlsim $args prints $want"
  if [[ -n $msgs ]]; then
    got=$(jq -r --arg n "$name" '[.rows[] | select(.name == $n)][0].messages_per_access' <<<"$OUT")
    printf -v got '%.2f' "$got"
    [[ $got == "$msgs" ]] || fail "docs/coherence.md: '$name' has $msgs messages, cxlsim $args prints $got"
  fi
done <"$doc"
((tables >= 7 && rows >= 20)) || fail "docs/coherence.md: only $tables checked tables, $rows rows"
finish coherence_doc_test
