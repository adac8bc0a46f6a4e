// CUDA kernels (testdata/*.cu) compiled by clang at build time and by nvcc (checked in), run on
// the executor and checked exactly against C++ references of what the CUDA source computes.
#include <gtest/gtest.h>

#include <bit>
#include <cfenv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ptx/ptx_testing.h"

namespace cxlsim::ptx {
namespace {

using testing::kernel_ptx;
using testing::TestDevice;

class Kernels : public ::testing::TestWithParam<std::string> {
 protected:
  TestDevice dev{kernel_ptx("kernels", GetParam())};
  std::mt19937 rng{1234};
  std::vector<int> random_ints(size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<int> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  }
  std::vector<float> random_floats(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  }
};

TEST_P(Kernels, VectorAdd) {
  const int n = 1000;
  auto a = random_floats(n, -100, 100), b = random_floats(n, -100, 100);
  const uint64_t da = dev.upload(a), db = dev.upload(b), dc = dev.upload(std::vector<float>(n));
  const LaunchStats s = dev.launch("vector_add", {8}, {128}, da, db, dc, n);
  const auto c = dev.download<float>(dc, n);
  for (int i = 0; i < n; ++i) ASSERT_EQ(c[i], a[i] + b[i]) << i;
  // Device-memory traffic: each of the n threads reads a[i] and b[i] and writes c[i].
  EXPECT_EQ(s.global_bytes, 12u * n);
  EXPECT_EQ(s.global_written, 4u * n);
}

TEST_P(Kernels, Saxpy) {
  const int n = 5000;
  const float alpha = 1.75f;
  auto x = random_floats(n, -10, 10), y = random_floats(n, -10, 10);
  const uint64_t dx = dev.upload(x), dy = dev.upload(y);
  dev.launch("saxpy", {4}, {256}, n, alpha, dx, dy);
  const auto r = dev.download<float>(dy, n);
  for (int i = 0; i < n; ++i) ASSERT_EQ(r[i], std::fma(alpha, x[i], y[i])) << i;
}

TEST_P(Kernels, ReductionsInSharedMemoryAndWithShuffles) {
  const int n = 100000;
  auto in = random_ints(n, -1000, 1000);
  long long sum = 0;
  for (int v : in) sum += v;
  const uint64_t din = dev.upload(in);
  for (const char* k : {"reduce_shared", "reduce_shfl"}) {
    const uint64_t dout = dev.upload(std::vector<int>{0});
    dev.launch(k, {16}, {256}, din, dout, n);
    EXPECT_EQ(dev.download<int>(dout, 1)[0], sum) << k;
  }
}

TEST_P(Kernels, AtomicsOnGlobalAndSharedMemory) {
  const int n = 1000, block = 256;
  auto in = random_ints(n, -5000, 5000);
  std::vector<int> g(16, 0);
  g[1] = INT_MAX;
  g[2] = INT_MIN;
  g[3] = -1;
  const uint64_t din = dev.upload(in), dg = dev.upload(g);
  dev.launch("atomics", {(n + block - 1) / block}, {block}, din, dg, n);
  const auto r = dev.download<int>(dg, 16);
  std::vector<uint32_t> want(16, 0);
  want[1] = INT_MAX;
  want[2] = static_cast<uint32_t>(INT_MIN);
  want[3] = ~0u;
  std::vector<uint32_t> shared_total(8, 0);
  for (int b0 = 0; b0 < n; b0 += block) {
    int s_min = INT_MAX, s_max = INT_MIN;
    uint32_t s[8] = {0, 0, 0, ~0u, 0, 0, 0, 0};
    for (int i = b0; i < std::min(n, b0 + block); ++i) {
      const int v = in[i];
      const auto u = static_cast<uint32_t>(v);
      want[0] += u;
      want[1] = static_cast<uint32_t>(std::min(static_cast<int>(want[1]), v));
      want[2] = static_cast<uint32_t>(std::max(static_cast<int>(want[2]), v));
      want[3] &= u | 0x10;
      want[4] |= u & 0x0f0f;
      want[5] ^= u;
      want[6] += 2;
      want[7] = want[7] >= 100 ? 0 : want[7] + 1;
      s[0] += u;
      s_min = std::min(s_min, v);
      s_max = std::max(s_max, v);
      s[3] &= u | 0x10;
      s[4] |= u & 0x0f0f;
      s[5] ^= u;
      s[6] = 42;
      s[7] = std::max(s[7], u);
    }
    s[1] = static_cast<uint32_t>(s_min);
    s[2] = static_cast<uint32_t>(s_max);
    for (int t = 0; t < 8; ++t) shared_total[t] += s[t];
  }
  for (int t = 0; t < 8; ++t) want[8 + t] = shared_total[t];
  for (int t = 0; t < 16; ++t) EXPECT_EQ(static_cast<uint32_t>(r[t]), want[t]) << t;
}

TEST_P(Kernels, TiledMatrixMultiply) {
  const int n = 64;
  auto a = random_floats(static_cast<size_t>(n) * n, -2, 2),
       b = random_floats(static_cast<size_t>(n) * n, -2, 2);
  const uint64_t da = dev.upload(a), db = dev.upload(b),
                 dc = dev.upload(std::vector<float>(static_cast<size_t>(n) * n));
  const auto stats = dev.launch("matmul_tiled", {n / 16, n / 16}, {16, 16}, da, db, dc, n);
  EXPECT_GT(stats.thread_instructions, uint64_t{n} * n * n);
  const auto c = dev.download<float>(dc, static_cast<size_t>(n) * n);
  for (int r = 0; r < n; ++r) {
    for (int col = 0; col < n; ++col) {
      float acc = 0;
      for (int k = 0; k < n; ++k) acc = std::fma(a[r * n + k], b[k * n + col], acc);
      ASSERT_EQ(c[r * n + col], acc) << r << "," << col;
    }
  }
}

TEST_P(Kernels, Histogram) {
  const int n = 100000;
  std::vector<uint8_t> data(n);
  std::vector<uint32_t> want(256, 0);
  for (auto& d : data) {
    d = static_cast<uint8_t>(random_ints(1, 0, 255)[0] & random_ints(1, 0, 255)[0]);
    ++want[d];
  }
  const uint64_t dd = dev.upload(data), db = dev.upload(std::vector<uint32_t>(256));
  dev.launch("histogram", {8}, {256}, dd, n, db);
  EXPECT_EQ(dev.download<uint32_t>(db, 256), want);
}

TEST_P(Kernels, PrefixScan) {
  const int blocks = 4, n = blocks * 256;
  auto in = random_ints(n, -100, 100);
  const uint64_t din = dev.upload(in), dout = dev.upload(std::vector<int>(n));
  dev.launch("scan_block", {blocks}, {256}, din, dout);
  const auto out = dev.download<int>(dout, n);
  for (int b = 0; b < blocks; ++b) {
    int acc = 0;
    for (int t = 0; t < 256; ++t) {
      acc += in[b * 256 + t];
      ASSERT_EQ(out[b * 256 + t], acc) << b << "," << t;
    }
  }
}

TEST_P(Kernels, WarpVoteAndShuffle) {
  const int n = 64;
  auto in = random_ints(n, -5, 10);
  in[40] = 7;
  const uint64_t din = dev.upload(in), dballot = dev.upload(std::vector<uint32_t>(6)),
                 dshfl = dev.upload(std::vector<int>(size_t{4} * n));
  dev.launch("warp_ops", {1}, {n}, din, dballot, dshfl);
  const auto ballots = dev.download<uint32_t>(dballot, 6);
  const auto shfl = dev.download<int>(dshfl, size_t{4} * n);
  for (int w = 0; w < 2; ++w) {
    uint32_t ballot = 0;
    bool all = true, any = false;
    for (int l = 0; l < 32; ++l) {
      const int v = in[w * 32 + l];
      ballot |= uint32_t{v > 0} << l;
      all = all && v > -1000;
      any = any || v == 7;
    }
    EXPECT_EQ(ballots[size_t{3} * w], ballot);
    EXPECT_EQ(ballots[3 * w + 1] != 0, all);
    EXPECT_EQ(ballots[3 * w + 2] != 0, any);
    for (int l = 0; l < 32; ++l) {
      const int* v = &in[static_cast<size_t>(w) * 32];
      const int i = w * 32 + l;
      EXPECT_EQ(shfl[size_t{4} * i], v[l + 3 <= 31 ? l + 3 : l]) << i;
      EXPECT_EQ(shfl[4 * i + 1], v[l - 5 >= 0 ? l - 5 : l]) << i;
      EXPECT_EQ(shfl[4 * i + 2], v[l ^ 9]) << i;
      EXPECT_EQ(shfl[4 * i + 3], v[(l * 7) & 31]) << i;
    }
  }
}

TEST_P(Kernels, DivergentLoopsReconvergeForShuffle) {
  const int n = 64;
  auto in = random_ints(n, 0, 20);
  const uint64_t din = dev.upload(in), dout = dev.upload(std::vector<int>(n));
  dev.launch("diverge", {2}, {32}, din, dout);
  const auto out = dev.download<int>(dout, n);
  std::vector<int> acc(n, 0);
  for (int i = 0; i < n; ++i) {
    if (i & 1) {
      for (int k = 0; k < in[i]; ++k) acc[i] += k * 3;
    } else {
      for (int k = 0; k < in[i] + 2; ++k) acc[i] ^= k << 1;
    }
  }
  for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], acc[i] + acc[i ^ 1]) << i;
}

TEST_P(Kernels, CallPassesParametersAndResult) {
  const int n = 100;
  auto in = random_ints(n, -50, 150);
  const uint64_t din = dev.upload(in), dout = dev.upload(std::vector<int>(n));
  dev.launch("call_func", {1}, {128}, din, dout, n);
  const auto out = dev.download<int>(dout, n);
  for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], in[i] > i ? in[i] * 3 - i : i * 5 + in[i]) << i;
}

TEST_P(Kernels, StructParameterLayout) {
  const Kernel* k = dev.executor().module().kernel("struct_param");
  ASSERT_NE(k, nullptr);
  ASSERT_EQ(k->params.size(), 2u);
  EXPECT_EQ(k->params[0].size, 16u);
  EXPECT_EQ(k->params[0].align, 8u);
  EXPECT_EQ(k->params[1].offset, 16u);
  EXPECT_EQ(k->param_bytes, 24u);
  struct Params {
    int scale;
    float offset;
    long long bias;
  } p{3, 2.5f, -7};
  const uint64_t dout = dev.upload(std::vector<int>(32));
  dev.launch("struct_param", {1}, {32}, p, dout);
  const auto out = dev.download<int>(dout, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], i * 3 + 2 - 7);
}

TEST_P(Kernels, BarrierReductionsCountAndOr) {
  const int blocks = 4, block = 128;
  auto in = random_ints(static_cast<size_t>(blocks) * block, -60, 60);
  in[5] = 13;
  for (int t = 0; t < block; ++t) in[2 * block + t] = std::abs(in[2 * block + t]) - 40;
  const uint64_t din = dev.upload(in), dout = dev.upload(std::vector<int>(size_t{3} * blocks));
  dev.launch("barrier_reduce", {blocks}, {block}, din, dout);
  const auto out = dev.download<int>(dout, size_t{3} * blocks);
  for (int b = 0; b < blocks; ++b) {
    int count = 0;
    bool all = true, any = false;
    for (int t = 0; t < block; ++t) {
      const int v = in[b * block + t];
      count += v > 0;
      all = all && v > -50;
      any = any || v == 13;
    }
    EXPECT_EQ(out[size_t{3} * b], count) << b;
    EXPECT_EQ(out[3 * b + 1] != 0, all) << b;
    EXPECT_EQ(out[3 * b + 2] != 0, any) << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Compilers, Kernels, ::testing::Values("clang", "nvcc"));

// ---- edge cases ------------------------------------------------------------------------------

class Edges : public ::testing::TestWithParam<std::string> {
 protected:
  TestDevice dev{kernel_ptx("edge", GetParam())};
};

bool same_float(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}
// PTX float-to-integer conversion: rounding mode, then saturation, NaN to 0.
template <class I>
I f2i(float x, int mode) {
  if (std::isnan(x)) return 0;
  const double r = mode == 0 ? std::trunc(double{x}) : std::nearbyint(double{x});
  if (r <= static_cast<double>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (r >= static_cast<double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(r);
}
float ptx_min(float a, float b) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  if (a == b) return std::signbit(a) ? a : b;
  return std::min(a, b);
}
float ptx_max(float a, float b) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  if (a == b) return std::signbit(a) ? b : a;
  return std::max(a, b);
}

TEST_P(Edges, FloatNanInfinityDenormalsSaturation) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = INFINITY;
  const float den = std::numeric_limits<float>::denorm_min() * 3, big = 3e9f;
  const std::vector<float> xs = {nan,  1.0f, inf,   -inf, 0.0f, -0.0f, den,   -den, 1e-38f, 0.5f,
                                 1.5f, 2.5f, -2.5f, big,  -big, 4e9f,  1.25f, 7.0f, -1.0f,  0.0f};
  const std::vector<float> ys = {1.0f,  nan,  inf,  inf,   -0.0f,  0.0f, den,   0.5f, 1e-3f, 0.0f,
                                 -0.0f, 3.0f, 2.0f, -1.0f, 1e-30f, 0.1f, 1.25f, 0.0f, -1.0f, -3.0f};
  const int n = static_cast<int>(xs.size());
  const uint64_t da = dev.upload(xs), db = dev.upload(ys),
                 dout = dev.upload(std::vector<float>(size_t{12} * n));
  dev.launch("float_edges", {1}, {32}, da, db, dout, n);
  const auto o = dev.download<float>(dout, size_t{12} * n);
  for (int i = 0; i < n; ++i) {
    const float x = xs[i], y = ys[i];
    const float want[12] = {x + y,
                            x * y,
                            x / y,
                            std::sqrt(x),
                            ptx_min(x, y),
                            ptx_max(x, y),
                            std::isnan(x) ? 0.0f : std::clamp(x, 0.0f, 1.0f),
                            std::fma(x, y, 1.0f),
                            static_cast<float>(f2i<int32_t>(x, 0)),
                            static_cast<float>(f2i<int32_t>(x, 1)),
                            static_cast<float>(f2i<uint32_t>(x, 1)),
                            static_cast<float>(0x7fffffc1 + i)};
    for (int k = 0; k < 12; ++k) {
      EXPECT_TRUE(same_float(o[12 * i + k], want[k]))
          << "input " << i << " (" << x << ", " << y << ") result " << k << ": " << o[12 * i + k]
          << " != " << want[k];
    }
  }
}

TEST_P(Edges, ApproximateFunctionsWithinPtxError) {
  std::vector<float> xs;
  xs.reserve(64);
  for (int i = 0; i < 64; ++i) xs.push_back(-3.1f + 0.0973f * static_cast<float>(i));
  const int n = static_cast<int>(xs.size());
  const uint64_t da = dev.upload(xs), dout = dev.upload(std::vector<float>(size_t{4} * n));
  dev.launch("approx", {2}, {32}, da, dout, n);
  const auto o = dev.download<float>(dout, size_t{4} * n);
  for (int i = 0; i < n; ++i) {
    const double x = xs[i];
    // PTX ISA 9.7.3: sin.approx.f32 max absolute error 2^-20.9 in [-pi, pi]; ex2.approx.f32 max
    // relative error 2^-22; lg2.approx.f32 max absolute error 2^-22.6 for x in [0.5, 2] (relative
    // elsewhere); rcp.rn is exact.
    EXPECT_LE(std::abs(o[size_t{4} * i] - std::sin(x)), std::exp2(-20.9)) << x;
    EXPECT_LE(std::abs(o[4 * i + 1] - std::exp2(x)) / std::exp2(x), std::exp2(-22.0)) << x;
    const double ax = std::abs(x), l = std::log2(ax);
    EXPECT_LE(std::abs(o[4 * i + 2] - l), std::exp2(-22.6) * std::max(1.0, std::abs(l))) << x;
    EXPECT_EQ(o[4 * i + 3], 1.0f / xs[i]) << x;
  }
}

uint32_t prmt(uint32_t a, uint32_t b, uint32_t c) {
  const uint64_t x = (uint64_t{b} << 32) | a;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t s = (c >> (4 * i)) & 0xF;
    uint32_t byte = static_cast<uint32_t>(x >> (8 * (s & 7))) & 0xFF;
    if (s & 8) byte = (byte & 0x80) ? 0xFF : 0;
    r |= byte << (8 * i);
  }
  return r;
}

TEST_P(Edges, IntegerEdges) {
  const std::vector<int> xs = {INT_MIN,   INT_MIN, INT_MAX, -1,   0,  7,          -7,
                               123456789, -98765,  1 << 30, 5,    -5, 0x0F0F0F0F, 255,
                               -129,      33,      1,       0x80, -2, 100};
  const std::vector<int> ys = {-1, 1,   -1, 0,      0,     -2,  2,  1000,   33,      4,
                               32, -31, 3,  0x1234, 70000, -33, 31, 0x7FFF, INT_MIN, 7};
  const int n = static_cast<int>(xs.size());
  const uint64_t da = dev.upload(xs), db = dev.upload(ys),
                 dout = dev.upload(std::vector<int>(size_t{16} * n));
  dev.launch("int_edges", {1}, {32}, da, db, dout, n);
  const auto o = dev.download<int>(dout, size_t{16} * n);
  for (int i = 0; i < n; ++i) {
    const int x = xs[i], y = ys[i];
    const auto ux = static_cast<uint32_t>(x), uy = static_cast<uint32_t>(y);
    const int64_t w = int64_t{x} * int64_t{y};
    const int want[16] = {
        y == 0 ? 0 : (x == INT_MIN && y == -1 ? INT_MIN : x / y),
        y == 0 ? 0 : (y == -1 ? 0 : x % y),
        uy == 0 ? 0 : static_cast<int>(ux / uy),
        uy == 0 ? 0 : static_cast<int>(ux % uy),
        static_cast<int>(w >> 32),
        static_cast<int>(w >> 32),
        static_cast<int>(static_cast<uint32_t>(w)),
        x >> (y & 31),
        static_cast<int>(ux >> (uy & 31)),
        static_cast<int>(ux << (uy & 31)),
        std::popcount(ux),
        std::countl_zero(ux),
        static_cast<int>([&] {
          uint32_t r = 0;
          for (int b = 0; b < 32; ++b) r |= ((ux >> b) & 1u) << (31 - b);
          return r;
        }()),
        static_cast<int>(prmt(ux, uy, 0x3210u ^ static_cast<uint32_t>(i & 0x7777))),
        static_cast<int>(static_cast<int8_t>(x)) + static_cast<int>(static_cast<uint16_t>(y)),
        x < y ? static_cast<int>(ux - uy) : static_cast<int>(ux * uy)};
    for (int k = 0; k < 16; ++k) {
      EXPECT_EQ(o[16 * i + k], want[k]) << "input " << i << " result " << k;
    }
  }
}

TEST_P(Edges, UnsignedDivisionByZero) {
  const std::vector<uint32_t> a = {10, 0, 0xFFFFFFFF, 7, 12345};
  const std::vector<uint32_t> b = {0, 0, 0, 3, 1};
  const int n = static_cast<int>(a.size());
  const uint64_t da = dev.upload(a), db = dev.upload(b),
                 dout = dev.upload(std::vector<uint32_t>(size_t{2} * n));
  dev.launch("int_div", {1}, {32}, da, db, dout, n);
  const auto o = dev.download<uint32_t>(dout, size_t{2} * n);
  for (int i = 0; i < n; ++i) {
    // docs/ptx.md: x / 0 is all ones (as sm_70 computes it), x % 0 is x.
    EXPECT_EQ(o[size_t{2} * i], b[i] == 0 ? 0xFFFFFFFFu : a[i] / b[i]) << i;
    EXPECT_EQ(o[2 * i + 1], b[i] == 0 ? a[i] : a[i] % b[i]) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Compilers, Edges, ::testing::Values("clang", "nvcc"));

}  // namespace
}  // namespace cxlsim::ptx
