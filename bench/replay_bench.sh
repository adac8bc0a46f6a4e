#!/usr/bin/env bash
# Speed of `cxlsim replay` next to the timing engine alone on a 4 GiB random footprint (issue 9,
# item 7: page placement must not dominate). Runs bench/placement_bench and prints, in items per
# second of CPU time: the engine alone (random line reads, no trace, no placement), the page
# table alone, replay's default model for one prediction and for both (wall time), and
# --model requests; then what fraction of a replayed record's time a page lookup takes.
# Usage: bench/replay_bench.sh [BUILD_DIR] (default build/release; needs placement_bench).
set -euo pipefail
BUILD=${1:-build/release}
B=$BUILD/bench/placement_bench
[[ -x $B ]] || { echo "build the placement_bench target first" >&2; exit 2; }
J=$(mktemp)
trap 'rm -f "$J"' EXIT
"$B" --benchmark_min_time=1 --benchmark_format=json >"$J" 2>/dev/null
rate() { jq -r --arg n "$1" '.benchmarks[] | select(.name | startswith($n)) | .items_per_second' "$J" | head -1; }
engine=$(rate BM_EngineRandom)
table=$(rate BM_PlacementMap)
hash=$(rate BM_PlacementHashMapBefore)
app=$(rate BM_ReplayAppRandom)
both=$(rate BM_ReplayAppBoth)
req=$(rate BM_ReplayRandom)
awk -v e="$engine" -v t="$table" -v h="$hash" -v a="$app" -v b="$both" -v r="$req" 'BEGIN {
  printf "%-58s %12.2f M/s\n", "engine alone (random line reads, 4 GiB, requests)", e / 1e6
  printf "%-58s %12.2f M/s\n", "page table lookups (flat table, 4 GiB random)", t / 1e6
  printf "%-58s %12.2f M/s\n", "page hash map it replaced", h / 1e6
  printf "%-58s %12.2f M/s\n", "replay (app model), one prediction, records", a / 1e6
  printf "%-58s %12.2f M/s\n", "replay (app model), both predictions, records, wall", b / 1e6
  printf "%-58s %12.2f M/s\n", "replay --model requests, records", r / 1e6
  printf "replay one prediction / engine alone: %.2f\n", a / e
  printf "page lookup share of a replayed record (app model): %.1f %%\n", 100 * a / t
  printf "page lookup share of a replayed record (requests model): %.1f %%\n", 100 * r / t
}'
