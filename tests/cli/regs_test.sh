#!/usr/bin/env bash
# CLI behaviour of `cxlsim regs`: the CEDT agrees with the root decoders `cxlsim list` shows and
# with ACPI's own rules (signature, length, byte sum 0); component dumps report the topology's
# port numbers, the DVSECs CXL 3.1 Table 8-2 gives each kind, and a region's committed HDM
# decoders field by field; malformed input exits 2 naming what is wrong.
# Usage: regs_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# Three host bridges (UIDs 5, 9, 2) under a 3-way 1 KiB window and a 1-way window on hb2; two
# root ports each, with port numbers 4 and 7.
cat >"$TMP/t.toml" <<TOML
version = 1
name = "regs-test"
[[window]]
id = "cfmw0"
size = "6G"
targets = ["hb0", "hb1", "hb2"]
granularity = "1K"
[[window]]
id = "cfmw1"
size = "2G"
targets = ["hb2"]
granularity = "256"
TOML
n=0
uids=(5 9 2)
for hb in 0 1 2; do
  cat >>"$TMP/t.toml" <<TOML
[[host_bridge]]
id = "hb$hb"
uid = ${uids[$hb]}
bus_nr = $((12 + 32 * hb))
TOML
  for rp in 4 7; do
    cat >>"$TMP/t.toml" <<TOML
[[root_port]]
id = "rp$hb$rp"
host_bridge = "hb$hb"
port = $rp
chassis = $hb
slot = $rp
[[type3]]
id = "m$n"
parent = "rp$hb$rp"
volatile = "256M"
persistent = "768M"
serial = $((n + 1))
TOML
    n=$((n + 1))
  done
done
T=$TMP/t.toml

run 0 regs --help
expect_out "--component"

# CEDT vs `cxlsim list`: every root decoder is a CFMWS with its base, size, ways, granularity
# and host bridge UIDs; every host bridge a CHBS.
run 0 list "$T" --json
LIST=$OUT
run 0 regs "$T" --cedt --json
[[ $(jqv '.signature') == CEDT ]] || fail "signature is not CEDT"
[[ $(jqv '[.structures[] | select(.type == "CHBS")] | length') == 3 ]] || fail "expected 3 CHBS"
[[ $(jqv '[.structures[] | select(.type == "CHBS") | .uid] | join(",")') == "5,9,2" ]] || fail "CHBS UIDs"
# list shows root0's dports in ACPI namespace order, the reverse of the CHBS (creation) order.
[[ $(jq -r '[.[0].dports[].id] | reverse | join(",")' <<<"$LIST") == "5,9,2" ]] || fail "list dports differ from CHBS UIDs"
# QEMU 7.2 places host bridge component registers at 4 GiB, 64 KiB apart, last host bridge first.
[[ $(jqv '[.structures[] | select(.type == "CHBS") | .base] | join(",")') == "4295098368,4295032832,4294967296" ]] ||
  fail "CHBS bases: $(jqv '[.structures[] | select(.type == "CHBS") | .base]')"
for w in 0 1; do
  got=$(jqv "[.structures[] | select(.type == \"CFMWS\")][$w] | [.base, .size, .ways, .granularity, (.targets | join(\":\"))] | join(\" \")")
  want=$(jq -r ".[0][\"decoders:root0\"][$w] | [.resource, .size, .interleave_ways, (.interleave_granularity // \"\"), ([.targets[].id] | join(\":\"))] | join(\" \")" <<<"$LIST")
  # list omits the granularity of a 1-way root decoder (as cxl list does); the CFMWS carries HBIG.
  [[ $w == 1 ]] && want=${want/ 1  / 1 256 }
  [[ $got == "$want" ]] || fail "CFMWS $w '$got' != root decoder '$want'"
done
[[ $(jqv '[.structures[] | select(.type == "CFMWS")][0].eniw') == 8 ]] || fail "3 ways must encode ENIW 8"

run 0 regs "$T" --cedt
expect_out "CHBS"
expect_out "CFMWS"
run 0 regs "$T" --cedt --raw
[[ ${OUT:0:17} == "0000: 43 45 44 54" ]] || fail "raw table does not start with 'CEDT': ${OUT:0:20}"
bytes=$(sed 's/^[0-9a-f]*://' <<<"$OUT" | tr -s ' \n' '\n' | grep -v '^$')
count=$(wc -l <<<"$bytes")
read -r _ _ _ _ _ b4 b5 b6 b7 _ <<<"$(sed -n 1p <<<"$OUT")"
len=$((0x$b7$b6$b5$b4))
[[ $count == "$len" ]] || fail "raw table has $count bytes, header length says $len"
sum=0
for b in $bytes; do sum=$(((sum + 0x$b) % 256)); done
[[ $sum == 0 ]] || fail "ACPI checksum: byte sum is $sum mod 256"

# Components: port numbers, DVSECs per kind, HDM decoders after a region.
run 0 regs "$T" --component rp17 --json
[[ $(jqv '.config_space.summary.port_number') == 7 ]] || fail "rp17 port number"
[[ $(jqv '[.config_space.summary.dvsecs[].id] | sort | join(",")') == "3,4,7,8" ]] || fail "root port DVSECs"
[[ $(jqv '.component_registers | has("hdm")') == false ]] || fail "a root port has no HDM capability"
run 0 regs "$T" --component m3 --json
[[ $(jqv '[.config_space.summary.dvsecs[].name] | join(",")') == *"PCIe DVSEC for CXL Devices"* ]] || fail "memdev DVSEC 0"
run 0 regs "$T" --component hb1 --json
[[ $(jqv '.config_space') == null ]] || fail "a host bridge has no config space"
[[ $(jqv '.chbcr') == 4295032832 ]] || fail "hb1 CHBCR"

run 0 list "$T" --region window=0,ways=6,granularity=1K --json
want_ig=$(jqv '[.. | objects | select(has("decoder") and .interleave_ways == 2 and (.targets | length) == 2)][0].interleave_granularity')
run 0 regs "$T" --component hb1 --region window=0,ways=6,granularity=1K --json
dec0() { jqv ".component_registers.hdm_fields[] | select(.decoder == 0 and .field == \"$1\") | .value"; }
[[ $(dec0 Committed) == 1 ]] || fail "hb1 decoder 0 not committed"
[[ $(dec0 IW) == 1 ]] || fail "hb1 decoder 0 IW (2 ways: 1), got $(dec0 IW)"
[[ $((256 << $(dec0 IG))) == "$want_ig" ]] || fail "hb1 decoder 0 IG $(dec0 IG) disagrees with cxlsim list ($want_ig)"
tl=$(dec0 "Target List Low")
[[ $(((tl & 0xff) == 4 && ((tl >> 8) & 0xff) == 7)) == 1 ]] || fail "hb1 target list $tl is not port 4, port 7"
run 0 regs "$T" --component m2 --region window=0,ways=6,granularity=1K
expect_out "Decoder 0 Committed"
expect_out "CONFIG SPACE"

# Malformed input.
run 2 regs "$T" --component nosuch
expect_err "unknown component 'nosuch'"
run 2 regs "$T"
expect_err "--component ID or --cedt"
run 2 regs "$T" --component hb0 --raw
expect_err "--raw needs --cedt"
run 2 regs "$T" --component hb0 --cedt
run 2 regs "$T" --component hb0 --region window=0,ways=bogus
run 2 regs "$TMP/missing.toml" --cedt
run 1 regs "$T" --component hb0 --region window=0,ways=5,granularity=1K

finish "regs CLI"
