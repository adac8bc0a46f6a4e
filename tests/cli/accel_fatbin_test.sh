#!/usr/bin/env bash
# cxlsim accel: cubin and fatbin module images (docs/accel.md, src/accel/fatbin.h) through the
# libcuda shim. Fatbins are made by the test-side writer (tests/accel_programs/make_fatbin.c)
# from clang 14's PTX of src/ptx/testdata/kernels.cu; every kernel result is checked exactly by
# driver_api against the host. The ptx backend takes the PTX entry of the highest arch <= sm_75
# (the other entries would fail the program if taken: edge.cu's PTX has no vector_add, the rest
# is not PTX); a cubin or a fatbin without such PTX is CUDA_ERROR_NO_BINARY_FOR_GPU; a malformed
# container CUDA_ERROR_INVALID_IMAGE. A real peer: kernels.cu as nvcc 13.0 packed it
# (src/ptx/testdata/kernels.nvcc.fatbin: compute_75/90 PTX, sm_80/90 cubins, all zstd). The cuda backend forwards images unchanged (checked
# through the shim standing in for a GPU's driver, as in accel_test.sh).
source "$(dirname "$0")/lib.sh"
BIN=$(dirname "$CXLSIM")
PROG=$BIN/accel_programs/driver_api
MAKE=$BIN/accel_programs/make_fatbin
KERNELS=$BIN/src/ptx/testdata/kernels.clang.ptx
EDGE=$BIN/src/ptx/testdata/edge.clang.ptx
for f in "$PROG" "$MAKE" "$KERNELS" "$EDGE"; do
  [[ -e $f ]] || { echo "accel_fatbin_test: $f not built"; exit 1; }
done
printf 'not PTX at all\n' >"$TMP/junk"

# load_fails STATUS NAME FILE [TEXT]: the program's module load fails with CUresult NAME (and the
# device's message has TEXT).
load_fails() {
  CXLSIM_ACCEL_DEBUG=1 run 2 accel run --quiet -- "$PROG" "$3" info
  expect_err "cuModuleLoad: $2"
  [[ -z ${4:-} ]] || expect_err "$4"
}

# --- several arches in one fatbin: the right PTX is taken, compressed or not; results exact ---
"$MAKE" "$TMP/multi.fatbin" ptx:52:none:"$TMP/junk" ptx:61:none:"$EDGE" \
  ptx:75:lz4:"$KERNELS" ptx:80:none:"$TMP/junk" ptx:90:zstd:"$TMP/junk" elf:75:none:"$TMP/junk" ||
  fail "make_fatbin multi"
"$MAKE" "$TMP/zstd.fatbin" ptx:75:zstd:"$KERNELS" || fail "make_fatbin zstd"
"$MAKE" "$TMP/plain.fatbin" ptx:60:none:"$KERNELS" elf:70:none:"$TMP/junk" || fail "make_fatbin plain"
for t in vector_add saxpy reduce matmul image; do
  run 0 accel run --quiet -- "$PROG" "$TMP/multi.fatbin" "$t"
  expect_out "$t:"
done
expect_out "image: 3 loaders exact" # cuModuleLoadData, DataEx, FatBinary; the wrapper refused
for f in zstd plain; do
  run 0 accel run --quiet -- "$PROG" "$TMP/$f.fatbin" image
  expect_out "image: 3 loaders exact"
done
# nvcc's own fatbin: its compute_75 PTX, zstd-compressed by nvcc, runs every program exactly
NVCC_FATBIN=$SRC/src/ptx/testdata/kernels.nvcc.fatbin
for t in vector_add saxpy reduce matmul image; do
  run 0 accel run --quiet -- "$PROG" "$NVCC_FATBIN" "$t"
  expect_out "$t:"
done
# PTX text still loads from memory by every loader
run 0 accel run --quiet -- "$PROG" "$KERNELS" image
expect_out "image: 2 loaders exact"

# --- nothing the ptx backend runs: CUDA_ERROR_NO_BINARY_FOR_GPU ---
"$MAKE" --cubin "$TMP/k.cubin" 70 || fail "make_fatbin --cubin"
load_fails 2 CUDA_ERROR_NO_BINARY_FOR_GPU "$TMP/k.cubin" "runs PTX only"
"$MAKE" "$TMP/cubins.fatbin" elf:70:none:"$TMP/k.cubin" elf:80:lz4:"$TMP/k.cubin" || fail "cubins"
load_fails 2 CUDA_ERROR_NO_BINARY_FOR_GPU "$TMP/cubins.fatbin" "cubins: sm_70, sm_80"
"$MAKE" "$TMP/sm80.fatbin" ptx:80:none:"$KERNELS" || fail "make_fatbin sm80"
load_fails 2 CUDA_ERROR_NO_BINARY_FOR_GPU "$TMP/sm80.fatbin" "no PTX for sm_75 or lower"

# --- malformed images: CUDA_ERROR_INVALID_IMAGE (the shim or the device), the device serves on ---
size=$(stat -c %s "$TMP/multi.fatbin")
head -c $((size - 9)) "$TMP/multi.fatbin" >"$TMP/truncated.fatbin"
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/truncated.fatbin"  # the shim: past the file's end
cubin_size=$(stat -c %s "$TMP/k.cubin")
head -c $((cubin_size - 1)) "$TMP/k.cubin" >"$TMP/truncated.cubin"
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/truncated.cubin"
# patch FILE OFFSET HEX-BYTES: a copy of multi.fatbin with bytes overwritten, in $TMP/patched
patch() {
  cp "$1" "$TMP/patched"
  printf "$3" | dd of="$TMP/patched" bs=1 seek="$2" conv=notrunc status=none
}
patch "$TMP/multi.fatbin" 24 '\xff\xff\xff\x7f' # the first entry's payload runs past the end
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched" "past the container's end"
patch "$TMP/multi.fatbin" 20 '\x20' # the first entry's header shorter than 64 bytes
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched"
patch "$TMP/multi.fatbin" 0 '\x00' # the magic's first byte lost: no image (CUDA 13's answer)
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched" "empty image"
patch "$TMP/multi.fatbin" 4 '\x07' # container version 7
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched" "version 7"
"$MAKE" "$TMP/one.fatbin" ptx:75:lz4:"$KERNELS" || fail "make_fatbin one"
patch "$TMP/one.fatbin" $((16 + 56)) '\x10' # the LZ4 entry does not inflate to its size
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched" "does not inflate"
patch "$TMP/one.fatbin" $((16 + 72)) '\xff\xff\xff\xff\xff\xff\xff\xff' # corrupt LZ4 tokens
load_fails 2 CUDA_ERROR_INVALID_IMAGE "$TMP/patched"

# --- the cuda backend forwards images unchanged: program -> shim -> server A (cuda, its driver
# the shim) -> shim -> server B (ptx), which picks the PTX, or refuses a cubin ---
SOCKB=$TMP/b.sock
"$CXLSIM" accel serve --quiet --json --socket "$SOCKB" >"$TMP/b.json" 2>&1 &
server=$!
for _ in $(seq 600); do [[ -S $SOCKB ]] && break; sleep 0.1; done
SHIM=$("$CXLSIM" accel shim-dir)/libcuda.so.1
CXLSIM_ACCEL_SOCKET=$SOCKB run 0 accel run --quiet --backend cuda --cuda-library "$SHIM" -- \
  "$PROG" "$TMP/multi.fatbin" image
expect_out "image: 3 loaders exact"
CXLSIM_ACCEL_SOCKET=$SOCKB run 2 accel run --quiet --backend cuda --cuda-library "$SHIM" -- \
  "$PROG" "$TMP/k.cubin" info
expect_err "CUDA_ERROR_NO_BINARY_FOR_GPU"
CXLSIM_ACCEL_SOCKET=$SOCKB run 2 accel run --quiet --backend cuda --cuda-library "$SHIM" -- \
  "$PROG" "$TMP/patched" info
expect_err "CUDA_ERROR_INVALID_IMAGE"
kill -TERM $server
wait $server
# server B ran the 3 launches of the image test and refused the cubin and the corrupt fatbin
jq -e '.launches == 3 and .failed_commands >= 2' "$TMP/b.json" >/dev/null ||
  fail "cuda backend chain: $(cat "$TMP/b.json")"

finish accel_fatbin_test
