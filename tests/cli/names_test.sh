#!/usr/bin/env bash
# Names on the command line (fabric/linux_names.h resolve_memdev, resolve_window): --memdev,
# --region targets=/window= and map --targets/--window accept the names `cxlsim list` prints
# (memN, decoder0.N, the window id) as well as topology ids and window indices.
# Usage: names_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# Two host bridges at 256 B, two root ports each; memdev ids a, b (hb0), c, d (hb1): list calls
# them mem0..mem3 in that order.
cat >"$TMP/t.toml" <<TOML
version = 1
[[window]]
id = "wide"
size = "4G"
targets = ["hb0", "hb1"]
granularity = "256"
[[host_bridge]]
id = "hb0"
bus_nr = 12
[[host_bridge]]
id = "hb1"
bus_nr = 64
TOML
n=0
for id in a b c d; do
  hb=$((n / 2))
  cat >>"$TMP/t.toml" <<TOML
[[root_port]]
id = "rp$n"
host_bridge = "hb$hb"
port = $((n % 2))
chassis = $hb
slot = $((n % 2))
[[type3]]
id = "$id"
parent = "rp$n"
persistent = "256M"
serial = $((n + 1))
persistent_path = "$TMP/$id.raw"
TOML
  n=$((n + 1))
done
T="$TMP/t.toml"

# list names the memdevs memN in topology order: the mapping the other checks rely on.
run 0 list "$T" --json --extra
[[ $(jqv '[.. | objects | select(has("memdev") and has("serial")) | "\(.memdev)=\(.topology_id)"] | unique | join(",")') \
  == "mem0=a,mem1=b,mem2=c,mem3=d" ]] || fail "list memdev names: $OUT"

# --region: topology ids, memN and the window's index, root decoder name or id give one region.
region_json() { run 0 list "$T" --region "$1" --json; jqv '.[0]["decoders:root0"][0]["regions:decoder0.0"]'; }
by_id=$(region_json window=0,ways=2,granularity=256,targets=b:d)
[[ $by_id != null && -n $by_id ]] || fail "region by ids: $OUT"
for spec in window=decoder0.0,ways=2,granularity=256,targets=mem1:mem3 \
  window=wide,ways=2,granularity=256,targets=mem1:d; do
  [[ $(region_json "$spec") == "$by_id" ]] || fail "--region $spec differs from targets=b:d"
done
[[ $(region_json window=0,ways=2,granularity=256,targets=mem0:mem2) != "$by_id" ]] \
  || fail "targets=mem0:mem2 made the same region as b:d"

# map: position 0 is --targets' first memdev, by either name.
for targets in mem1,mem3 b,mem3; do
  for window in 0 decoder0.0 wide; do
    run 0 map "$T" --ways 2 --granularity 256 --targets "$targets" --window "$window" --step 256 \
      --count 2 --json
    [[ $(jqv '[.[].memdev] | join(",")') == "b,d" ]] || fail "map --targets $targets --window $window: $OUT"
  done
done

# Unknown names: exit 2, the message lists what is accepted.
run 2 map "$T" --ways 2 --granularity 256 --targets mem1,mem9 --step 256
expect_err "no memdev 'mem9'"
expect_err "mem3 (d)"
run 2 list "$T" --region window=decoder0.1,ways=2
expect_err "no window 'decoder0.1'"
expect_err "0, decoder0.0 or wide"

# mbox --memdev: memN and the topology id reach the same device (one state beside c.raw).
run 0 mbox "$T" --memdev mem2 poison inject 0x40
run 0 mbox "$T" --memdev c poison list --json
[[ $(jqv '[.records[].dpa] | join(",")') == "0x40" ]] || fail "poison injected via mem2 not on c: $OUT"
run 0 mbox "$T" --memdev b poison list --json
[[ $(jqv '.records | length') == 0 ]] || fail "poison injected via mem2 on b: $OUT"
run 2 mbox "$T" --memdev mem4 identify
expect_err "no memdev 'mem4'"

# A topology id wins over another device's memN: here "mem1" is the first device.
sed -e 's/id = "a"/id = "mem1"/' -e 's/id = "b"/id = "x"/' "$T" >"$TMP/clash.toml"
run 0 map "$TMP/clash.toml" --ways 2 --granularity 256 --targets mem1,d --step 256 --count 1 --json
[[ $(jqv '.[0].memdev') == "mem1" ]] || fail "topology id mem1 did not win: $OUT"

finish names_test
