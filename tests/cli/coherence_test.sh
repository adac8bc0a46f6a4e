#!/usr/bin/env bash
# cxlsim coherence: the scenarios run on builtin:type2-accel and their numbers order the way the
# protocol says they must (a D2H read pays the link both ways, device bias skips the host, more
# hosts writing one HDM-DB line wait longer); bad input is refused with exit status 2.
# Usage: coherence_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

run 0 coherence --help
expect_out "shared-write"

run 0 coherence d2h-read --accesses 32 --json
[[ $(jqv '.rows[0].latency_ns > .rows[2].latency_ns') == true ]] || fail "D2H read is not slower than a local DRAM read: $OUT"
[[ $(jqv '.ratios.cxl_cache_read_over_dma_read < 1') == true ]] || fail "CXL.cache read is not faster than DMA"
[[ $(jqv '.rows[0].messages_per_access') == 3 ]] || fail "a cold D2H read is not RdAny, GO, data"
d2h0=$(jqv '.rows[0].latency_ns')
run 0 coherence d2h-read --accesses 32 --accel accel1 --json
[[ $(jq -n "$(jqv '.rows[0].latency_ns') > $d2h0") == true ]] || fail "accel1 (below a switch) is not farther than accel0"
run 0 coherence d2h-read --accesses 8
expect_out "D2H read of host memory"

run 0 coherence hdm-host-bias --accesses 32 --json
host_bias=$(jqv '.rows[0].latency_ns')
# The accelerator's own profile (--device-of, --expander-*) is the one costed.
run 0 coherence hdm-host-bias --accesses 32 --json --device-of accel0=cxl-fpga-agilex
[[ $(jqv '.device') == cxl-fpga-agilex ]] || fail "--device-of accel0 is not the costed device"
[[ $(jq -n "$(jqv '.rows[0].latency_ns') != $host_bias") == true ]] || fail "--device-of accel0 changed nothing"
run 0 coherence hdm-host-bias --accesses 32 --json --expander-latency accel0=500
[[ $(jq -n "$(jqv '.rows[0].latency_ns') > $host_bias + 100") == true ]] || fail "--expander-latency accel0=500 changed nothing"
run 2 coherence hdm-host-bias --host-cache 30M:15
expect_err "--host-cache does not apply"
run 0 coherence hdm-device-bias --accesses 32 --json
[[ $(jq -n "$(jqv '.rows[0].latency_ns') < $host_bias") == true ]] || fail "device bias is not faster for the device"
[[ $(jqv '.rows[0].messages_per_access') == 0 ]] || fail "device-bias accesses send messages"

run 0 coherence pingpong --accesses 16 --json
[[ $(jqv '.rows[0].messages_per_access') == 6 ]] || fail "a line taken from another cache is not 6 messages"

run 0 coherence shared-write --hosts 2 --accesses 64 --json
two=$(jqv '.rows[0].latency_ns')
run 0 coherence shared-write --hosts 8 --accesses 64 --json
[[ $(jq -n "$(jqv '.rows[0].latency_ns') > $two") == true ]] || fail "8 hosts do not wait longer than 2"
[[ $(jqv '.ratios.bisnp_per_write > 0.9') == true ]] || fail "shared writes do not back-invalidate"

run 0 coherence weather --accesses 128 --json
[[ $(jqv '[.rows[] | select(.name | startswith("compute"))] | .[0].latency_ns < .[1].latency_ns') == true ]] \
  || fail "compute in device bias is not faster than in host bias"

run 2 coherence no-such-scenario
expect_err "unknown scenario"
run 2 coherence d2h-read --accel mem0
expect_err "no Type 2 device"
run 2 coherence d2h-read --topology builtin:switch
expect_err "no Type 2 device"
run 2 coherence shared-write --hosts 0
expect_err "--hosts"
finish coherence_test
