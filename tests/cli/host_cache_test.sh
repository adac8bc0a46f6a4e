#!/usr/bin/env bash
# CLI behaviour of --host-cache on `cxlsim replay` and `cxlsim mlc`: the cache is off unless asked
# for, its hits and misses follow from the trace's reuse, memory sees fills and write-backs only,
# and bad specs or [cache] tables are exit 2 naming the culprit.
# Usage: host_cache_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

for c in replay mlc; do
  run 0 "$c" --help
  expect_out "--host-cache"
done

# 1024 distinct lines (64 KiB) read twice: the second pass hits in any cache that holds 64 KiB.
python3 - "$TMP" <<'PY'
import sys, random
d = sys.argv[1]
with open(d + "/reuse.txt", "w") as f:
    for p in range(2):
        for i in range(1024):
            f.write("R %x 64\n" % (0x100000 + 64 * i))
random.seed(3)
with open(d + "/mixed.txt", "w") as f:
    for i in range(30000):
        f.write("%s %x 64\n" % ("W" if i % 3 == 0 else "R", random.randrange(0, 1 << 21) & ~63))
PY

run 0 replay --model requests "$TMP/reuse.txt" --json --quiet
[[ $(jqv 'has("host_cache")') == false ]] || fail "no --host-cache: the report has a host_cache entry"
no_cache_mean=$(jqv '.latency_ns.mean')
run 0 replay --model requests "$TMP/reuse.txt" --quiet
expect_no_out "Host cache"

run 0 replay --model requests "$TMP/reuse.txt" --json --quiet --host-cache 1M:8
[[ $(jqv '.host_cache.misses, .host_cache.hits, .host_cache.writebacks' | xargs) == "1024 1024 0" ]] ||
  fail "reuse trace: expected 1024 misses (first pass), 1024 hits (second), no write-backs: $(jqv '.host_cache')"
[[ $(jqv '[.components[] | select(.kind == "target") | .requests] | add') == 1024 ]] ||
  fail "reuse trace: memory should see the 1024 fills only"
[[ $(jqv ".latency_ns.mean < $no_cache_mean") == true ]] || fail "reuse trace: a cache should lower the mean latency"
# (the histogram's quantiles are binned: within 10 %)
[[ $(jqv '(.latency_ns.p50 / .host_cache.hit_latency_ns - 1) | fabs < 0.1') == true ]] ||
  fail "reuse trace: half the requests hit, so the median is the hit latency: $(jqv '.latency_ns')"

run 0 replay --model requests "$TMP/reuse.txt" --quiet --host-cache 1M:8
expect_out "Host cache 1 MiB 8-way, hit 33.0 ns: 1024 hits, 1024 misses (50.0 % hit rate), 0 write-backs"

# Random 2:1 reads:writes over 2 MiB with a 256 KiB cache: many misses, dirty victims written back.
run 0 replay --model requests "$TMP/mixed.txt" --json --quiet --host-cache 256K:4:20ns
[[ $(jqv '.host_cache.hits + .host_cache.misses') == 30000 ]] || fail "mixed: every request looks up the cache once"
[[ $(jqv '.host_cache.writebacks > 1000') == true ]] || fail "mixed: dirty lines should be written back"
[[ $(jqv '([.components[] | select(.kind == "target") | .requests] | add) == .host_cache.misses + .host_cache.writebacks') == true ]] ||
  fail "mixed: memory requests should be fills plus write-backs"
[[ $(jqv '.host_cache.hit_latency_ns') == 20 ]] || fail "mixed: LATENCY of the spec is the hit latency"

# on = the host profile's [cache]; off = none.
run 0 replay --model requests "$TMP/reuse.txt" --json --quiet --host-cache on
[[ $(jqv '.host_cache.size_bytes, .host_cache.ways' | xargs) == "31457280 15" ]] || fail "spr-xeon's [cache] is 30 MiB 15-way"
run 0 replay --model requests "$TMP/reuse.txt" --json --quiet --host-cache off
[[ $(jqv 'has("host_cache")') == false ]] || fail "--host-cache off still reports a cache"

run 0 mlc --idle-latency --json --host-cache 2M:16
[[ $(jqv '.host_cache') == "2 MiB 16-way, hit 33.0 ns" ]] || fail "mlc --json names the host cache: $OUT"
run 0 mlc --idle-latency --json
[[ $(jqv 'has("host_cache")') == false ]] || fail "mlc: no cache by default"

# Bad input: exit 2 naming what is wrong.
run 2 replay --model requests "$TMP/reuse.txt" --host-cache 1M:7
expect_err "invalid --host-cache '1M:7': size 1048576 bytes is not a multiple of ways x 64 B"
run 2 mlc --idle-latency --host-cache lots
expect_err "invalid --host-cache 'lots'"
sed "/^\[cache\]/,\$d" "$SRC/src/timing/profiles/spr-xeon.toml" >"$TMP/nocache.toml"
run 2 replay --model requests "$TMP/reuse.txt" --host "$TMP/nocache.toml" --host-cache 2M:16
expect_err "no [cache] table to take WAYS and LATENCY from"
run 0 replay --model requests "$TMP/reuse.txt" --host "$TMP/nocache.toml" --host-cache 2M:16:25ns --json --quiet
[[ $(jqv '.host_cache.hit_latency_ns') == 25 ]] || fail "a profile without [cache] takes the whole spec"
{ cat "$TMP/nocache.toml"; printf '[cache]\nsize = "1M"\nways = 0\nhit_latency_ns = 30\n'; } >"$TMP/badways.toml"
run 2 replay --model requests "$TMP/reuse.txt" --host "$TMP/badways.toml"
expect_err "[cache] ways must be a positive integer"

finish host_cache_test
