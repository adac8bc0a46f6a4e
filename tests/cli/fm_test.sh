#!/usr/bin/env bash
# cxlsim fm: the fabric manager of builtin:pool-2host served on a socket and driven by the client
# (docs/fm.md). Every client command is tried with the admin key, with no key and with a wrong
# key; a host key sees and changes only its own; refused requests name the spec's return code
# and change nothing; the state survives a kill -9 of the daemon and a restart.
source "$(dirname "$0")/lib.sh"
ST=$TMP/state
SOCK=$TMP/fm.sock
ADMIN=(--socket "$SOCK" --key-file "$ST/admin.key")
H0=(--socket "$SOCK" --key-file "$ST/keys/h0.key")

wait_for() {
  for _ in $(seq 600); do eval "$1" && return 0; sleep 0.1; done
  return 1
}
start() {
  "$CXLSIM" fm serve builtin:pool-2host --state "$ST" --socket "$SOCK" --quiet &
  PID=$!
  wait_for "[[ -S $SOCK && -f $ST/keys/h1.key ]]" || fail "fm serve did not start"
}

# --- serve: bad input ---
run 2 fm serve builtin:type2-accel --state "$TMP/x" --socket "$TMP/x.sock"
expect_err "not a pool"
run 2 fm serve builtin:pool-2host --socket "$TMP/x.sock"
expect_err "--state"
run 0 fm --help
expect_out "bind"

start
for f in "$ST/admin.key" "$ST/keys/h0.key" "$ST/keys/h1.key" "$ST/state.json"; do
  [[ ! -e $f || $(stat -c %a "$f") == 600 ]] || fail "$f is not mode 0600"
done
[[ $(stat -c %a "$ST") == 700 ]] || fail "the state directory is not mode 0700"

# --- every command, admin key ---
run 0 fm identify "${ADMIN[@]}" --json
[[ $(jqv '.physical_ports') == 2 && $(jqv '.vcss') == 2 && $(jqv '.principal') == admin ]] ||
  fail "identify: $OUT"
run 0 fm bind h0 0 mld0:1 "${ADMIN[@]}"
run 0 fm bind h1 2 mld0:1 "${ADMIN[@]}"  # mld0 is shared
run 0 fm vcs-info "${ADMIN[@]}" --json
[[ $(jqv '.[0].vppbs[0].device + ":" + (.[0].vppbs[0].ld|tostring)') == mld0:1 &&
  $(jqv '.[1].vppbs[2].bound') == true && $(jqv '.[1].vppbs[0].bound') == false ]] ||
  fail "vcs-info after binds: $OUT"
[[ $(stat -c %s "$ST/backing/mld0-ld1.mem") == 1073741824 ]] || fail "LD backing file size"
run 0 fm ld-info mld0 "${ADMIN[@]}" --json
[[ $(jqv '.ld_count') == 4 && $(jqv '.allocations[2].bytes') == 1073741824 ]] || fail "ld-info: $OUT"
run 0 fm set-ld-alloc mld0 --start 2 512M 1536M "${ADMIN[@]}"
run 0 fm ld-info mld0 "${ADMIN[@]}" --json
[[ $(jqv '.allocations[3].bytes') == 1610612736 ]] || fail "set-ld-alloc: $OUT"
run 0 fm dc-info dcd0 "${ADMIN[@]}" --json
[[ $(jqv '.regions') == 2 && $(jqv '.total_capacity') == 2147483648 &&
  $(jqv '.region_config[1].base') == 1073741824 && $(jqv '.region_config[1].block_size') == 2097152 ]] ||
  fail "dc-info: $OUT"
run 0 fm dc-add dcd0 h0 0 64M --tag 0102030405060708090a0b0c0d0e0f10 "${ADMIN[@]}"
run 0 fm dc-add dcd0 h1 1 --extent 1G:4M "${ADMIN[@]}"
run 0 fm dc-extents dcd0 "${ADMIN[@]}" --json
[[ $(jqv '.[0].extents[0].length') == 67108864 && $(jqv '.[1].extents[0].dpa') == 1073741824 &&
  $(jqv '.[0].extents[0].tag') == 0102030405060708090a0b0c0d0e0f10 ]] || fail "dc-extents: $OUT"
run 0 fm dc-release dcd0 h0 --extent 0:2M "${ADMIN[@]}"
run 0 fm dc-extents dcd0 h0 "${ADMIN[@]}" --json
[[ $(jqv '.[0].extents[0].dpa') == 2097152 ]] || fail "prescriptive release splits: $OUT"
run 0 fm state "${ADMIN[@]}"
[[ $(jqv '.bindings | length') == 2 ]] || fail "state: $OUT"

# --- refusals name the return code and change nothing ---
before=$(cat "$ST/state.json")
run 1 fm bind h0 0 mld0:2 "${ADMIN[@]}"
expect_err "Busy"
run 1 fm bind h0 5 mld0:2 "${ADMIN[@]}"
expect_err "Invalid Input"
run 2 fm bind h9 1 mld0:2 "${ADMIN[@]}"
expect_err "no host 'h9'"
run 2 fm bind h0 1 dcd0:0 "${ADMIN[@]}"
expect_err "not an mld"
run 2 fm bind h0 1 mld0 "${ADMIN[@]}"
expect_err "DEVICE:LDID"
run 1 fm unbind h0 3 "${ADMIN[@]}"
expect_err "Invalid Input"
run 1 fm dc-add dcd0 h0 0 3M "${ADMIN[@]}"
expect_err "Invalid Input"
run 1 fm dc-add dcd0 h0 0 2G "${ADMIN[@]}"
expect_err "Resources Exhausted"
run 1 fm dc-add dcd0 h1 0 --extent 4M:2M "${ADMIN[@]}"  # h0 holds it
expect_err "Invalid Extent List"
run 1 fm dc-release dcd0 h1 --extent 0:2M "${ADMIN[@]}"
expect_err "Invalid Extent List"
run 1 fm set-ld-alloc mld0 --start 1 512M "${ADMIN[@]}"  # LD 1 is bound
expect_err "Busy"
[[ $(cat "$ST/state.json") == "$before" ]] || fail "a refused request changed the state"

# --- every command without a key and with a wrong key: nothing is answered ---
echo 00000000000000000000000000000000000000000000000000000000000000ff >"$TMP/wrong.key"
commands=("identify" "vcs-info" "bind h0 1 mld0:2" "unbind h0 0" "ld-info mld0"
  "set-ld-alloc mld0 1G" "dc-add dcd0 h0 0 2M" "dc-release dcd0 h0 --extent 2M:2M"
  "dc-extents dcd0" "dc-info dcd0" "state" "attach h0 $TMP/qmp")
for c in "${commands[@]}"; do
  read -ra args <<<"$c"
  run 1 fm "${args[@]}" --socket "$SOCK"
  expect_err "Invalid Security State"
  [[ -z $OUT ]] || fail "fm $c without a key printed: $OUT"
  run 1 fm "${args[@]}" --socket "$SOCK" --key-file "$TMP/wrong.key"
  expect_err "Incorrect Passphrase"
done
run 2 fm identify --socket "$SOCK" --key-file "$TMP/none.key"
expect_err "cannot be read"
[[ $(cat "$ST/state.json") == "$before" ]] || fail "a request without a valid key changed the state"

# --- a host key: its own VCS and extents only ---
run 0 fm vcs-info "${H0[@]}" --json
[[ $(jqv 'length') == 1 && $(jqv '.[0].host') == h0 ]] || fail "h0 sees other VCSs: $OUT"
run 1 fm vcs-info h1 "${H0[@]}" --json
run 0 fm dc-extents dcd0 "${H0[@]}" --json
[[ $(jqv 'length') == 1 && $(jqv '.[0].host') == h0 ]] || fail "h0 sees other extents: $OUT"
run 1 fm dc-extents dcd0 h1 "${H0[@]}"
expect_err "Invalid Security State"
run 1 fm dc-info dcd0 h1 "${H0[@]}"
expect_err "Invalid Security State"
run 0 fm dc-info dcd0 "${H0[@]}" --json
[[ $(jqv '.host') == h0 ]] || fail "dc-info for h0: $OUT"
for c in "bind h0 1 mld0:2" "unbind h0 0" "dc-add dcd0 h0 0 2M" "set-ld-alloc mld0 1G" "state" \
  "dc-release dcd0 h1 --extent 1G:4M" "attach h1 $TMP/qmp"; do
  read -ra args <<<"$c"
  run 1 fm "${args[@]}" "${H0[@]}"
  expect_err "Invalid Security State"
done
run 0 fm dc-release dcd0 h0 --tag 0102030405060708090a0b0c0d0e0f10 "${H0[@]}"
run 0 fm ld-info mld0 "${H0[@]}" --json  # h0 has an LD of mld0: info, not allocations
[[ $(jqv '.ld_count') == 4 && $(jqv '.allocations') == null ]] || fail "ld-info for h0: $OUT"

# --- kill -9 and restart: everything acknowledged is there ---
kill -9 "$PID"
wait "$PID" 2>/dev/null
start
run 0 fm vcs-info h1 "${ADMIN[@]}" --json
[[ $(jqv '.[0].vppbs[2].device') == mld0 ]] || fail "binding lost in a restart: $OUT"
run 0 fm dc-extents dcd0 "${ADMIN[@]}" --json
[[ $(jqv '.[0].extents | length') == 0 && $(jqv '.[1].extents[0].length') == 4194304 ]] ||
  fail "extents after a restart: $OUT"
run 0 fm unbind h0 0 "${ADMIN[@]}"
kill -TERM "$PID"
wait "$PID" || fail "fm serve did not exit cleanly on SIGTERM"
[[ ! -e $SOCK ]] || fail "the socket outlived the daemon"
run 1 fm identify "${ADMIN[@]}"
expect_err "connecting to"
finish fm_test
