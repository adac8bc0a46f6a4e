#!/usr/bin/env bash
# CLI behaviour of `cxlsim topology ...`: exit codes and messages for good and malformed input,
# and a boot check of export-qemu against the real QEMU device model.
# Usage: topology_test.sh <path-to-cxlsim> <source-dir>
set -u
source "$(dirname "$0")/lib.sh"

# --help everywhere.
for sub in "" show validate export-qemu convert; do
  run 0 topology $sub --help
  expect_out "Usage"
done
run 0 topology --help
expect_out "Built-in topologies: default, switch2"

# show: a tree with sizes, serials, windows.
run 0 topology show builtin:default
expect_out "host bridge hb0 (uid 12, bus 12)"
expect_out "switch sw0"
expect_out "type3 mem4: persistent 1 GiB (RAM), lsa 1 MiB, serial 0x5"
expect_out "cfmw0: 8 GiB at (assigned at build), 1-way over [hb0], granularity 256 B"
run 0 topology show "$SRC/examples/switch2.toml" --json
python3 -c 'import json,sys; t=json.load(sys.stdin); assert len(t["switches"])==2 and len(t["type3"])==4 and t["windows"][0]["granularity"]==1024' <"$TMP/out" \
  || fail "show --json: unexpected JSON"
run 0 topology show "$SRC/examples/qemu-single.txt"
expect_out "type3 cxl-pmem0: persistent 256 MiB (/tmp/cxltest.raw), lsa 256 MiB"
# A pool (issue #10): hosts with their VCS, pooled MLD and DCD, human and JSON.
run 0 topology show builtin:pool-2host
expect_out "host h1: VCS with vPPBs 0-3"
expect_out "mld mld0: 4 LDs of 1 GiB, shareable"
expect_out "dcd dcd0: DC regions [1 GiB, 1 GiB], block size 2 MiB"
run 0 topology show builtin:pool-2host --json
[[ $(jqv '[.hosts[].id, (.mlds[0].lds|tostring), (.dcds[0].dc_regions|length|tostring)] | join(",")') == "h0,h1,4,2" ]] \
  || fail "pool show --json: $OUT"
printf 'version = 1\n[[host]]\nid = "h0"\n[[mld]]\nid = "m0"\nlds = 2\nld_size = "100M"\n' >"$TMP/badpool.toml"
run 1 topology validate "$TMP/badpool.toml"
expect_out "error: 'm0': ld_size 100 MiB is not a multiple of 256 MiB"
run 0 topology show "newick:(1,(2,3))"
expect_out "downstream port sw0p1"

# validate: exit 0 for every example (warnings allowed), 1 with diagnostics for errors.
for f in "$SRC"/examples/*; do
  run 0 topology validate "$f"
  expect_out ": valid ("
done
run 0 topology validate builtin:qemu-switch
expect_out "warning: 'root_port1': root port has nothing below it"
run 0 topology validate builtin:qemu-switch --json
python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["valid"] and j["diagnostics"][0]["severity"]=="warning"' <"$TMP/out" \
  || fail "validate --json: unexpected JSON"

# Malformed input.
run 2 topology validate "$TMP/missing.toml"
expect_err "cxlsim: error: cannot read topology '$TMP/missing.toml'"
printf '[[host_bridge]]\nid = "hb0\nbus_nr = 12\n' >"$TMP/syntax.toml"
run 2 topology validate "$TMP/syntax.toml"
expect_err "syntax.toml:2:"
expect_err "TOML syntax error"
printf '[[host_bridge]]\nid = "hb0"\nbus_nr = 12\nbus_number = 13\n' >"$TMP/unknown.toml"
run 2 topology show "$TMP/unknown.toml"
expect_err "[[host_bridge]] 'hb0': unknown key 'bus_number'"
printf '[[type3]]\nid = "m0"\nparent = "rp0"\npersistent = "1Q"\n' >"$TMP/badsize.toml"
run 2 topology validate "$TMP/badsize.toml"
expect_err "[[type3]] 'm0': key 'persistent': invalid size '1Q'"
sed 's/parent = "rp1"/parent = "rp7"/' "$SRC/examples/default.toml" >"$TMP/dangling.toml"
run 1 topology validate "$TMP/dangling.toml"
expect_out "error: 'mem4': parent 'rp7' does not exist"
expect_out "invalid (1 errors"
run 1 topology validate "$TMP/dangling.toml" --json
python3 -c 'import json,sys; j=json.load(sys.stdin); assert not j["valid"] and any(d["element"]=="mem4" and d["severity"]=="error" for d in j["diagnostics"])' <"$TMP/out" \
  || fail "validate --json of a dangling reference"
sed 's/persistent = "1G"/persistent = "300M"/' "$SRC/examples/default.toml" >"$TMP/unaligned.toml"
run 1 topology validate "$TMP/unaligned.toml"
expect_out "persistent capacity 300 MiB is not a multiple of 256 MiB"
run 0 topology show "$TMP/dangling.toml"
expect_out "not connected (see \`cxlsim topology validate\`):"
expect_out "  type3 mem4"
run 2 topology export-qemu "$TMP/dangling.toml"
expect_err "parent 'rp7' does not exist"
printf -- '-device cxl-type3,bus=rp0,memdev=nope,id=d0\n' >"$TMP/badqemu.txt"
run 2 topology show "$TMP/badqemu.txt"
expect_err "-device cxl-type3,bus=rp0,memdev=nope,id=d0: memdev='nope' does not name"
run 2 topology show builtin:nonesuch
expect_err "unknown built-in topology 'nonesuch'"
run 2 topology show "newick:(1,(2,3)"
expect_err "missing ')'"
# Usage errors: CLI11's own non-zero status and message.
run_nonzero() { "$CXLSIM" "$@" >"$TMP/out" 2>"$TMP/err" && fail "cxlsim $* succeeded"; ERR=$(cat "$TMP/err"); }
run_nonzero topology convert builtin:default --to yaml
expect_err "yaml not in {toml,json,qemu}"
run_nonzero topology show
expect_err "topology is required"

# Link widths/speeds: shown per link end and as trained, validated, round-tripped, timing-only
# in export-qemu (a note on stderr, the command line unchanged).
run 0 topology show builtin:gen4-switch
expect_out "root port rp0 (port 0, chassis 0, slot 0, link x16 32GT/s, trains x16 16GT/s)"
expect_out "switch sw0 (upstream link x16 16GT/s)"
expect_out "downstream port sw0_dsp1 (port 1, chassis 0, slot 0, link x16 16GT/s, trains x8 16GT/s)"
expect_out "serial 0x2, link x8 32GT/s"
run 0 topology show builtin:gen4-switch --json
python3 -c 'import json,sys; t=json.load(sys.stdin)
rp=t["root_ports"][0]; dp=t["downstream_ports"][0]; m=t["type3"][0]
assert (rp["link_width"], rp["link_speed"], rp["trained_link_width"], rp["trained_link_speed"]) == (16, "32GT/s", 16, "16GT/s"), rp
assert (dp["trained_link_width"], dp["trained_link_speed"]) == (8, "16GT/s"), dp
assert (m["link_width"], m["link_speed"]) == (8, "32GT/s"), m
assert t["switches"][0]["link_speed"] == "16GT/s"' <"$TMP/out" || fail "show --json: link fields"
run 0 topology show builtin:switch --json
python3 -c 'import json,sys; t=json.load(sys.stdin)
assert not any(k.startswith(("link_", "trained_link_")) for kind in ("root_ports", "switches", "downstream_ports", "type3") for e in t[kind] for k in e)' \
  <"$TMP/out" || fail "show --json: link fields on a topology without any"
sed 's/^link_width = 8$/link_width = 12/' "$SRC/examples/gen4-switch.toml" >"$TMP/x12.toml"
run 1 topology validate "$TMP/x12.toml"
expect_out "'mem0': link_width 12 is not a PCIe link width"
sed '0,/link_speed = "16GT\/s"/s//link_speed = "20GT\/s"/' "$SRC/examples/gen4-switch.toml" >"$TMP/20gt.toml"
run 2 topology show "$TMP/20gt.toml"
expect_err "[[switch]] 'sw0': key 'link_speed': not a PCIe link speed"
run 0 topology convert builtin:gen4-switch --to toml -o "$TMP/g4.toml"
run 0 topology convert "$TMP/g4.toml" --to toml
cmp -s "$TMP/g4.toml" "$TMP/out" || fail "convert of converted gen4-switch differs"
expect_out 'link_speed = "16GT/s"'
printf 'version = 1\n[[window]]\nid="w"\nsize="1G"\ntargets=["hb0"]\n[[host_bridge]]\nid="hb0"\nbus_nr=12\n[[root_port]]\nid="rp0"\nhost_bridge="hb0"\nlink_width=16\n[[type3]]\nid="pm0"\nparent="rp0"\npersistent="256M"\nlink_speed="16GT/s"\n' >"$TMP/links.toml"
run 0 topology export-qemu "$TMP/links.toml" --one-line
expect_err "link_width/link_speed of rp0, pm0 are timing-only"
expect_no_out "link"
LINK_ARGS=$OUT
sed '/^link_/d' "$TMP/links.toml" >"$TMP/nolinks.toml"
run 0 topology export-qemu "$TMP/nolinks.toml" --one-line
[[ $OUT == "$LINK_ARGS" ]] || fail "export-qemu: link attributes changed the QEMU command line"
[[ -z $ERR ]] || fail "export-qemu without link attributes wrote to stderr: $ERR"

# convert: TOML -> TOML is stable, QEMU -> TOML equals the built-in.
run 0 topology convert builtin:switch2 --to toml -o "$TMP/s2.toml"
run 0 topology convert "$TMP/s2.toml" --to toml
cmp -s "$TMP/s2.toml" "$TMP/out" || fail "convert of converted switch2 differs"
run 0 topology convert "$SRC/examples/qemu-single.txt" --to toml -o "$TMP/single.toml"
# Paths compare by file name: the built-in's files live in the per-user runtime directory.
norm='import json,os,sys
def n(v):
    if isinstance(v, dict): return {k: n(x) for k, x in v.items()}
    if isinstance(v, list): return [n(x) for x in v]
    return os.path.basename(v) if isinstance(v, str) and v.startswith("/") else v
t=json.load(sys.stdin); del t["name"]; print(json.dumps(n(t), sort_keys=True))'
"$CXLSIM" topology show --json "$TMP/single.toml" | python3 -c "$norm" >"$TMP/a.json"
"$CXLSIM" topology show --json builtin:qemu-single | python3 -c "$norm" >"$TMP/b.json"
cmp -s "$TMP/a.json" "$TMP/b.json" || fail "QEMU doc example converted to TOML differs from builtin:qemu-single"

# export-qemu: refused for what QEMU 7.2 cannot build.
printf 'version = 1\n[[window]]\nid="w"\nsize="1G"\ntargets=["hb0"]\n[[host_bridge]]\nid="hb0"\nbus_nr=12\n[[root_port]]\nid="rp0"\nhost_bridge="hb0"\n[[type3]]\nid="vol0"\nparent="rp0"\nvolatile="256M"\n' >"$TMP/volatile.toml"
run 0 topology validate "$TMP/volatile.toml"
run 2 topology export-qemu "$TMP/volatile.toml"
expect_err "type3 'vol0': QEMU 7.2 cannot model volatile capacity"
run 0 topology export-qemu builtin:default --one-line --backing-dir "$TMP/backing"
expect_out "qemu-system-x86_64 -machine q35,cxl=on,cxl-fmw.0.targets.0=hb0,cxl-fmw.0.size=8G"
[[ $(printf '%s' "$OUT" | wc -l) == 0 ]] || fail "--one-line printed several lines"
run 0 topology export-qemu builtin:default
[[ $(printf '%s\n' "$OUT" | wc -l) -gt 10 ]] || fail "multi-line export has too few lines"

# export-qemu output boots QEMU 7.2's device model: every device realizes and shows in the
# qtree (QEMU is stopped before the guest runs, so no kernel is needed).
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "**************************************************************************"
  echo "SKIPPED: qemu-system-x86_64 not found; export-qemu boot check not run."
  echo "**************************************************************************"
else
  for topo in builtin:default builtin:switch2 builtin:qemu-2hb builtin:qemu-switch builtin:qemu-window-per-hb \
      "newick:(1,(2,(3,4)),5)"; do
    mkdir -p "$TMP/backing"
    run 0 topology export-qemu "$topo" --json --backing-dir "$TMP/backing"
    # The qemu-* built-ins' files (QEMU documentation names, in the per-user runtime directory);
    # redirect them to $TMP.
    mapfile -t ARGS < <(python3 -c 'import json,sys
import re
for a in json.load(sys.stdin)["args"]: print(re.sub(r"mem-path=[^,]*/(cxltest|lsa)", r"mem-path='"$TMP/backing/"'\\1", a))' <"$TMP/out")
    printf 'info qtree\nquit\n' | timeout 60 qemu-system-x86_64 "${ARGS[@]}" -m 512M -nographic -S -display none \
      -serial none -monitor stdio >"$TMP/qemu.out" 2>&1
    status=$?
    [[ $status == 0 ]] || fail "QEMU rejected export of $topo (exit $status): $(grep -v '^(qemu)' "$TMP/qemu.out" | tail -3)"
    "$CXLSIM" topology show --json "$topo" >"$TMP/topo.json"
    python3 - "$TMP/topo.json" "$TMP/qemu.out" "$topo" <<'EOF' || fail "QEMU qtree of $topo lacks devices"
import json, re, sys
t = json.load(open(sys.argv[1]))
tree = open(sys.argv[2]).read()
found = {i: k for k, i in re.findall(r'dev: ([\w-]+), id "([^"]*)"', tree)}
want = [(hb["id"], "pxb-cxl") for hb in t["host_bridges"]] + [(r["id"], "cxl-rp") for r in t["root_ports"]] \
     + [(s["id"], "cxl-upstream") for s in t["switches"]] + [(d["id"], "cxl-downstream") for d in t["downstream_ports"]] \
     + [(d["id"], "cxl-type3") for d in t["type3"]]
missing = [(i, k) for i, k in want if found.get(i) != k]
if missing:
    print(sys.argv[3], "missing in qtree:", missing)
    sys.exit(1)
EOF
    rm -rf "$TMP/backing"
  done
fi

# Exit statuses (src/cli/exit_status.h): an empty topology is invalid input; a write the
# filesystem refuses is a failed operation (1), not bad input.
: >"$TMP/empty.toml"
run 1 topology validate "$TMP/empty.toml"
expect_out "topology is empty"
printf '# only a comment\n' >"$TMP/comment.toml"
run 2 list "$TMP/comment.toml"
expect_err "topology is empty"
run 1 topology convert builtin:default --to toml -o /nonexistent-dir/x.toml
expect_err "cannot write"

# One schema: every key the TOML writer emits for an element is in `show --json` too (every
# example and built-in, a DC device and a topology with links and backing files among them).
one_root_port_topology "$TMP/dc.toml" <<'TOML'
link_width = 8
[[type3]]
id = "dcd0"
parent = "rp0"
persistent = "512M"
persistent_object = "obj0"
persistent_path = "/tmp/x.raw"
dc_regions = ["256M", "512M"]
dc_block_size = "4M"
TOML
schema_check() {
  "$CXLSIM" topology convert "$1" --to toml >"$TMP/k.toml" 2>/dev/null || { fail "convert $1"; return; }
  "$CXLSIM" topology show "$1" --json >"$TMP/k.json" 2>/dev/null || { fail "show --json $1"; return; }
  python3 - "$TMP/k.toml" "$TMP/k.json" "$1" <<'PY' || fail "show --json lacks TOML keys: $1"
import json, sys, tomllib
t = tomllib.load(open(sys.argv[1], "rb"))
j = json.load(open(sys.argv[2]))
arrays = {"window": "windows", "host_bridge": "host_bridges", "root_port": "root_ports",
          "switch": "switches", "downstream_port": "downstream_ports", "type3": "type3", "type2": "type2",
          "host": "hosts", "mld": "mlds", "dcd": "dcds"}
bad = []
for table, array in arrays.items():
    for i, e in enumerate(t.get(table, [])):
        missing = set(e) - set(j[array][i])
        if missing:
            bad.append(f"{table} {e['id']}: {sorted(missing)}")
if bad:
    print(sys.argv[3], "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
}
for f in "$SRC"/examples/*.toml "$TMP/dc.toml" builtin:qemu-single; do schema_check "$f"; done

# export-qemu --qemu 10: QEMU 10's spellings for volatile capacity, refused on 7.2 (the default).
cat >"$TMP/vol.cmdline" <<'CMD'
qemu-system-x86_64 -M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=256M \
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 \
  -device cxl-type3,bus=rp0,volatile-memdev=vmem0,id=vol0 -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G
CMD
run 2 topology export-qemu "$TMP/vol.cmdline"
expect_err "QEMU 7.2 cannot model volatile capacity"
run 0 topology export-qemu "$TMP/vol.cmdline" --qemu 10 --json
[[ $(jqv '[.args[] | select(startswith("cxl-type3"))][0]') == *",volatile-memdev=vmem0,"* ]] ||
  fail "export-qemu --qemu 10: no volatile-memdev: $OUT"
[[ $(jqv '[.args[] | select(contains("memdev="))] | map(select(test("(^|,)memdev="))) | length') == 0 ]] ||
  fail "export-qemu --qemu 10: QEMU 7.2's memdev= spelling: $OUT"
run 2 topology export-qemu "$TMP/vol.cmdline" --qemu 9

finish "topology CLI"
