// Integer and floating-point edge cases: NaN, infinities, denormals, saturation, division by zero.
#include "cuda_shim.h"

extern "C" __global__ void float_edges(const float* a, const float* b, float* out, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i >= n) return;
  float x = a[i], y = b[i];
  float* o = out + 12 * i;
  o[0] = x + y;
  o[1] = x * y;
  o[2] = x / y;
  o[3] = SQRTF(x);
  o[4] = FMINF(x, y);
  o[5] = FMAXF(x, y);
  o[6] = SATURATE(x);
  o[7] = FMA(x, y, 1.0f);
  o[8] = (float)F2I_RZ(x);
  o[9] = (float)F2I_RN(x);
  o[10] = (float)F2U_RN(x);
  o[11] = (float)(int)(0x7fffffc1 + i);
}

extern "C" __global__ void approx(const float* a, float* out, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i >= n) return;
  float x = a[i];
  out[4 * i] = SIN_APPROX(x);
  out[4 * i + 1] = EX2_APPROX(x);
  out[4 * i + 2] = LG2_APPROX(x > 0 ? x : -x);
  out[4 * i + 3] = RCP_APPROX(x);
}

extern "C" __global__ void int_edges(const int* a, const int* b, int* out, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i >= n) return;
  int x = a[i], y = b[i];
  unsigned ux = (unsigned)x, uy = (unsigned)y;
  int* o = out + 16 * i;
  o[0] = y != 0 ? x / y : 0;
  o[1] = y != 0 ? x % y : 0;
  o[2] = uy != 0 ? (int)(ux / uy) : 0;
  o[3] = uy != 0 ? (int)(ux % uy) : 0;
  o[4] = MULHI(x, y);
  long long w = (long long)x * (long long)y;
  o[5] = (int)(w >> 32);
  o[6] = (int)w;
  o[7] = x >> (y & 31);
  o[8] = (int)(ux >> (uy & 31));
  o[9] = x << (y & 31);
  o[10] = POPC(x);
  o[11] = CLZ(x);
  o[12] = (int)BREV((unsigned)x);
  o[13] = (int)PRMT((unsigned)x, (unsigned)y, 0x3210u ^ (unsigned)(i & 0x7777));
  o[14] = (int)(signed char)x + (int)(unsigned short)y;
  o[15] = x < y ? x - y : (int)(ux * uy);
}

// Integer division by zero in PTX itself (the C++ source must not divide by zero).
extern "C" __global__ void int_div(const unsigned* a, const unsigned* b, unsigned* out, int n) {
  int i = CTAID_X * NTID_X + TID_X;
  if (i >= n) return;
  out[2 * i] = a[i] / b[i];
  out[2 * i + 1] = a[i] % b[i];
}
