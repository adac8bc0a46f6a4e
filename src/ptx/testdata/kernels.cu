// Test kernels for the PTX executor (src/ptx/ptx_kernels_test.cc holds their host references).
#include "cuda_shim.h"

extern "C" __global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i < n) c[i] = a[i] + b[i];
}

extern "C" __global__ void saxpy(int n, float a, const float* x, float* y) {
  for (int i = CTAID_X * NTID_X + TID_X; i < n; i += NCTAID_X * NTID_X) y[i] = FMA(a, x[i], y[i]);
}

// Sum of in[] per block in shared memory (tree), blocks combined with an atomic add.
extern "C" __global__ void reduce_shared(const int* in, int* out, int n) {
  __shared__ int s[256];
  int t = TID_X;
  int sum = 0;
  for (int i = CTAID_X * NTID_X + t; i < n; i += NCTAID_X * NTID_X) sum += in[i];
  s[t] = sum;
  SYNC();
  for (int k = NTID_X / 2; k > 0; k >>= 1) {
    if (t < k) s[t] += s[t + k];
    SYNC();
  }
  if (t == 0) ATOMIC_ADD(out, s[0]);
}

// Warp sums with shfl.down, then the warps' sums in shared memory, then one atomic per block.
extern "C" __global__ void reduce_shfl(const int* in, int* out, int n) {
  __shared__ int warp_sums[32];
  int sum = 0;
  for (int i = CTAID_X * NTID_X + TID_X; i < n; i += NCTAID_X * NTID_X) sum += in[i];
  for (int d = 16; d > 0; d >>= 1) sum += SHFL_DOWN(sum, d);
  if (LANE == 0) warp_sums[TID_X / 32] = sum;
  SYNC();
  if (TID_X < 32) {
    int v = TID_X < NTID_X / 32 ? warp_sums[TID_X] : 0;
    for (int d = 16; d > 0; d >>= 1) v += SHFL_DOWN(v, d);
    if (TID_X == 0) ATOMIC_ADD(out, v);
  }
}

// Every atomic operation on global memory, and the same on shared memory copied out.
extern "C" __global__ void atomics(const int* in, int* g, int n) {
  __shared__ int s[8];
  int t = TID_X;
  if (t < 8) s[t] = t == 1 ? 0x7fffffff : (t == 2 ? (int)0x80000000 : (t == 3 ? -1 : 0));
  SYNC();
  int i = CTAID_X * NTID_X + t;
  if (i < n) {
    int v = in[i];
    ATOMIC_ADD(&g[0], v);
    ATOMIC_MIN(&g[1], v);
    ATOMIC_MAX(&g[2], v);
    ATOMIC_AND(&g[3], v | 0x10);
    ATOMIC_OR(&g[4], v & 0x0f0f);
    ATOMIC_XOR(&g[5], v);
    int old = g[6];
    for (;;) {
      int seen = ATOMIC_CAS(&g[6], old, old + 2);
      if (seen == old) break;
      old = seen;
    }
    ATOMIC_INC((unsigned*)&g[7], 100u);
    ATOMIC_ADD(&s[0], v);
    ATOMIC_MIN(&s[1], v);
    ATOMIC_MAX(&s[2], v);
    ATOMIC_AND(&s[3], v | 0x10);
    ATOMIC_OR(&s[4], v & 0x0f0f);
    ATOMIC_XOR(&s[5], v);
    ATOMIC_EXCH(&s[6], 42);
    ATOMIC_MAX_U((unsigned*)&s[7], (unsigned)v);
  }
  SYNC();
  if (t < 8) ATOMIC_ADD(&g[8 + t], s[t]);
}

// C = A * B for n x n matrices (n a multiple of 16), 16 x 16 tiles in shared memory.
extern "C" __global__ void matmul_tiled(const float* A, const float* B, float* C, int n) {
  __shared__ float As[16][16];
  __shared__ float Bs[16][16];
  int tx = TID_X, ty = TID_Y;
  int row = CTAID_Y * 16 + ty, col = CTAID_X * 16 + tx;
  float acc = 0.0f;
  for (int t = 0; t < n / 16; ++t) {
    As[ty][tx] = A[row * n + t * 16 + tx];
    Bs[ty][tx] = B[(t * 16 + ty) * n + col];
    SYNC();
    for (int k = 0; k < 16; ++k) acc = FMA(As[ty][k], Bs[k][tx], acc);
    SYNC();
  }
  C[row * n + col] = acc;
}

// 256-bin histogram of bytes: per-block bins in shared memory, then added to the global bins.
extern "C" __global__ void histogram(const unsigned char* data, int n, unsigned* bins) {
  __shared__ unsigned local[256];
  for (int b = TID_X; b < 256; b += NTID_X) local[b] = 0;
  SYNC();
  for (int i = CTAID_X * NTID_X + TID_X; i < n; i += NCTAID_X * NTID_X) {
    ATOMIC_ADD_U(&local[data[i]], 1u);
  }
  SYNC();
  for (int b = TID_X; b < 256; b += NTID_X) {
    if (local[b] != 0) ATOMIC_ADD_U(&bins[b], local[b]);
  }
}

// Inclusive prefix sum of each block's 256 elements (Hillis-Steele in shared memory).
extern "C" __global__ void scan_block(const int* in, int* out) {
  __shared__ int buf[2][256];
  int t = TID_X;
  int base = CTAID_X * NTID_X;
  int cur = 0;
  buf[0][t] = in[base + t];
  SYNC();
  for (int d = 1; d < (int)NTID_X; d <<= 1) {
    int v = buf[cur][t];
    if (t >= d) v += buf[cur][t - d];
    buf[1 - cur][t] = v;
    cur = 1 - cur;
    SYNC();
  }
  out[base + t] = buf[cur][t];
}

// Warp-level operations: ballot, all/any, and the four shuffles.
extern "C" __global__ void warp_ops(const int* in, unsigned* ballots, int* shfl) {
  int i = CTAID_X * NTID_X + TID_X;
  int v = in[i];
  unsigned b = BALLOT(v > 0);
  int all = ALL(v > -1000);
  int any = ANY(v == 7);
  if (LANE == 0) {
    ballots[3 * (i / 32)] = b;
    ballots[3 * (i / 32) + 1] = all;
    ballots[3 * (i / 32) + 2] = any;
  }
  shfl[4 * i] = SHFL_DOWN(v, 3);
  shfl[4 * i + 1] = SHFL_UP(v, 5);
  shfl[4 * i + 2] = SHFL_XOR(v, 9);
  shfl[4 * i + 3] = SHFL_IDX(v, (LANE * 7) & 31);
}

// Divergence inside a warp: odd and even lanes loop different counts, then a shuffle needs all.
extern "C" __global__ void diverge(const int* in, int* out) {
  int i = CTAID_X * NTID_X + TID_X;
  int v = in[i];
  int acc = 0;
  if (i & 1) {
    for (int k = 0; k < v; ++k) acc += k * 3;
  } else {
    for (int k = 0; k < v + 2; ++k) acc ^= k << 1;
  }
  acc += SHFL_XOR(acc, 1);
  out[i] = acc;
}

__device__ __attribute__((noinline)) int helper(int a, int b) {
  if (a > b) return a * 3 - b;
  return b * 5 + a;
}

// A real call (noinline): parameters and the return value pass through .param space.
extern "C" __global__ void call_func(const int* in, int* out, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i < n) out[i] = helper(in[i], i);
}

// Byte structure parameter laid out as an aligned .b8 array.
struct Params {
  int scale;
  float offset;
  long long bias;
};
extern "C" __global__ void struct_param(Params p, int* out) {
  int i = TID_X;
  out[i] = (int)(i * p.scale + (int)p.offset + (int)p.bias);
}

// __syncthreads_count/and/or: bar.red over the whole CTA.
extern "C" __global__ void barrier_reduce(const int* in, int* out) {
  int v = in[CTAID_X * NTID_X + TID_X];
  int count = SYNC_COUNT(v > 0);
  int all = SYNC_AND(v > -50);
  int any = SYNC_OR(v == 13);
  if (TID_X == 0) {
    out[3 * CTAID_X] = count;
    out[3 * CTAID_X + 1] = all;
    out[3 * CTAID_X + 2] = any;
  }
}
