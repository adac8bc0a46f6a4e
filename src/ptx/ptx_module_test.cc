// Loading PTX: errors with line and column, refused instructions, parameter layout, robustness
// against damaged input; and instruction semantics best shown on hand-written PTX.
#include <gtest/gtest.h>

#include <bit>
#include <climits>
#include <cmath>
#include <random>
#include <string>

#include "ptx/half.h"
#include "ptx/module.h"
#include "ptx/ptx_testing.h"

namespace cxlsim::ptx {
namespace {

using testing::kernel_ptx;
using testing::TestDevice;

constexpr const char* kHeader = ".version 6.4\n.target sm_70\n.address_size 64\n";

std::string kernel(const std::string& params, const std::string& body) {
  return std::string(kHeader) + ".visible .entry k(" + params + ")\n{\n" + body + "\n}\n";
}

LoadError load_error(const std::string& text) {
  try {
    Module::load(text);
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded without error:\n" << text;
  return {0, 0, ""};
}

TEST(PtxLoad, MalformedTextGivesLineAndColumn) {
  // Line 6 (header 3 lines, .entry, '{', .reg), column of the offending token.
  const auto e = load_error(kernel("", ".reg .b32 %r<4>;\nadd.s32 %r1, %r2 %r3;"));
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.column(), 18u);
  EXPECT_NE(std::string(e.what()).find("ptx:7:18"), std::string::npos) << e.what();
  const auto e2 = load_error(kernel("", "mov.u32 %r1, 5;"));
  EXPECT_EQ(e2.line(), 6u);
  EXPECT_NE(std::string(e2.what()).find("unknown name '%r1'"), std::string::npos) << e2.what();
  const auto e3 = load_error(kernel("", "bra NOWHERE;"));
  EXPECT_NE(std::string(e3.what()).find("unknown label 'NOWHERE'"), std::string::npos);
  const auto e4 = load_error(std::string(kHeader) + ".visible .entry k(\n{\n");
  EXPECT_GT(e4.line(), 0u);
  const auto e5 = load_error(kernel("", ".reg .b32 %r<2>;\nmov.u32 %r1, 0x;"));
  EXPECT_EQ(e5.line(), 7u);
}

TEST(PtxLoad, UnsupportedInstructionsAreRefusedByNameAndLine) {
  const std::string regs = ".reg .b32 %r<9>;\n.reg .b64 %rd<4>;\n.reg .f32 %f<9>;\n";
  for (const std::string inst :
       {"tex.2d.v4.f32.f32 {%f1, %f2, %f3, %f4}, [%rd1, {%f5, %f6}];",
        "suld.b.2d.b32.trap {%r1}, [%rd1, {%r2, %r3}];",
        "mma.sync.aligned.m8n8k4.row.col.f32.f16.f16.f32 {%f1}, {%r1}, {%r2}, {%f2};",
        "add.cc.u32 %r1, %r2, %r3;", "brx.idx %r1, tbl;", "mul24.lo.s32 %r1, %r2, %r3;",
        "add.rn.f16x2 %r1, %r2, %r3;", "frobnicate.u32 %r1;"}) {
    const auto e = load_error(kernel("", regs + inst));
    const std::string opcode = inst.substr(0, inst.find(' '));
    EXPECT_NE(std::string(e.what()).find("unsupported instruction '" + opcode + "'"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("at line 9"), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), 9u);
  }
  EXPECT_NE(std::string(load_error(std::string(kHeader) + ".tex .u64 t;").what()).find("textures"),
            std::string::npos);
}

TEST(PtxLoad, RecursionIsRefused) {
  const std::string text = std::string(kHeader) +
                           ".func f(.param .b32 p)\n{\n.param .b32 q;\ncall.uni f, (q);\nret;\n}\n";
  EXPECT_NE(std::string(load_error(text).what()).find("recursive"), std::string::npos);
}

TEST(PtxLoad, ParameterLayoutFollowsTheEntrySignature) {
  const auto m = Module::load(kernel(
      ".param .u8 a, .param .u64 b, .param .align 16 .b8 s[24], .param .f32 c, .param .b16 d", ""));
  const Kernel* k = m.kernel("k");
  ASSERT_NE(k, nullptr);
  ASSERT_EQ(k->params.size(), 5u);
  const uint64_t offsets[] = {0, 8, 16, 40, 44}, sizes[] = {1, 8, 24, 4, 2},
                 aligns[] = {1, 8, 16, 4, 2};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(k->params[i].offset, offsets[i]) << i;
    EXPECT_EQ(k->params[i].size, sizes[i]) << i;
    EXPECT_EQ(k->params[i].align, aligns[i]) << i;
  }
  EXPECT_EQ(k->param_bytes, 46u);
  EXPECT_EQ(m.kernel("nope"), nullptr);
}

// Damaged real PTX (truncated, bytes changed, lines dropped) is refused with a LoadError or
// loaded; nothing else (no crash, no other exception).
TEST(PtxLoad, DamagedInputIsRefusedCleanly) {
  const std::string good = kernel_ptx("kernels", "clang");
  std::mt19937 rng(7);
  auto try_load = [](const std::string& text) {
    try {
      Module::load(text);
    } catch (const LoadError&) {
    }
  };
  for (size_t cut = 0; cut < good.size(); cut += 97) try_load(good.substr(0, cut));
  const std::string alphabet = "%.,;:[]{}()<>@!|+-_0123456789abcdefxu \n\"/*";
  for (int i = 0; i < 300; ++i) {
    std::string t = good;
    std::uniform_int_distribution<size_t> pos(0, t.size() - 1);
    for (int k = 0; k < 1 + i % 4; ++k) {
      switch (rng() % 3) {
        case 0:
          t[pos(rng)] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          t.erase(pos(rng), rng() % 16);
          break;
        default:
          t.insert(pos(rng), std::string(1 + rng() % 3, alphabet[rng() % alphabet.size()]));
      }
      if (t.empty()) t = "x";
      pos = std::uniform_int_distribution<size_t>(0, t.size() - 1);
    }
    EXPECT_NO_FATAL_FAILURE(try_load(t));
  }
}

// ---- semantics on hand-written PTX --------------------------------------------------------------

struct HandKernel {
  TestDevice dev;
  uint64_t out;
  explicit HandKernel(const std::string& ptx, size_t out_words = 64)
      : dev(ptx), out(dev.upload(std::vector<uint32_t>(out_words))) {}
};

TEST(PtxExec, RoundingModesOfConversionsAndArithmetic) {
  const std::string body = R"(.reg .b32 %r<4>; .reg .f32 %f<8>; .reg .b64 %rd<3>;
ld.param.u64 %rd1, [k_param_0];
mov.u32 %r1, 0x7fffffc1;
cvt.rn.f32.s32 %f1, %r1;
cvt.rz.f32.s32 %f2, %r1;
cvt.rm.f32.s32 %f3, -16777217;
cvt.rp.f32.s32 %f4, -16777217;
add.rz.f32 %f5, 0f3F800000, 0f33800001;
add.rp.f32 %f6, 0f3F800000, 0f33800001;
mul.ftz.f32 %f7, 0f00000100, 0f3F800000;
st.global.v4.f32 [%rd1], {%f1, %f2, %f3, %f4};
st.global.v2.f32 [%rd1+16], {%f5, %f6};
st.global.f32 [%rd1+24], %f7;
ret;)";
  HandKernel r(kernel(".param .u64 k_param_0", body));
  r.dev.launch("k", {1}, {1}, r.out);
  const auto o = r.dev.download<float>(r.out, 7);
  EXPECT_EQ(o[0], 2147483648.0f);
  EXPECT_EQ(o[1], 2147483520.0f);
  EXPECT_EQ(o[2], -16777218.0f);
  EXPECT_EQ(o[3], -16777216.0f);
  EXPECT_EQ(o[4], 1.0f);
  EXPECT_EQ(o[5], std::nextafter(1.0f, 2.0f));
  EXPECT_EQ(std::bit_cast<uint32_t>(o[6]), 0u);  // a denormal result flushed to +0
}

TEST(PtxExec, BitFieldsSaturationAndPredicates) {
  const std::string body = R"(.reg .b32 %r<12>; .reg .b64 %rd<3>; .reg .pred %p<4>;
ld.param.u64 %rd1, [k_param_0];
bfe.u32 %r1, 0xF0F0ABCD, 8, 8;
bfe.s32 %r2, 0x0000F000, 12, 4;
bfi.b32 %r3, 0x5, 0xFFFFFFFF, 4, 3;
add.sat.s32 %r4, 0x7FFFFFF0, 0x100;
sub.sat.s32 %r5, -2147483640, 100;
cvt.sat.u8.s32 %r6, -5;
cvt.sat.s8.s32 %r7, 300;
setp.lt.and.s32 %p1|%p2, 1, 2, 1;
selp.b32 %r8, 11, 22, %p1;
selp.b32 %r9, 11, 22, %p2;
mul.hi.u32 %r10, 0xFFFFFFFF, 0xFFFFFFFF;
mad.wide.s32 %rd2, -3, 5, 100;
cvt.u32.u64 %r11, %rd2;
st.global.v4.u32 [%rd1], {%r1, %r2, %r3, %r4};
st.global.v4.u32 [%rd1+16], {%r5, %r6, %r7, %r8};
st.global.v2.u32 [%rd1+32], {%r9, %r10};
st.global.u32 [%rd1+40], %r11;
ret;)";
  HandKernel r(kernel(".param .u64 k_param_0", body));
  r.dev.launch("k", {1}, {1}, r.out);
  const auto o = r.dev.download<uint32_t>(r.out, 11);
  EXPECT_EQ(o[0], 0xABu);
  EXPECT_EQ(o[1], 0xFFFFFFFFu);  // bfe.s32 sign-extends the field 0xF
  EXPECT_EQ(o[2], 0xFFFFFFDFu);  // bits 4..6 = 101
  EXPECT_EQ(o[3], static_cast<uint32_t>(INT_MAX));
  EXPECT_EQ(o[4], static_cast<uint32_t>(INT_MIN));
  EXPECT_EQ(o[5], 0u);
  EXPECT_EQ(o[6], 127u);
  EXPECT_EQ(o[7], 11u);
  EXPECT_EQ(o[8], 22u);
  EXPECT_EQ(o[9], 0xFFFFFFFEu);
  EXPECT_EQ(o[10], 85u);
}

TEST(PtxExec, ModuleVariablesConstantsAndDynamicSharedMemory) {
  const std::string text = std::string(kHeader) + R"(
.global .align 4 .u32 counter = 5;
.global .align 4 .b8 table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
.const .align 4 .f32 scale[2] = {0f40000000, 0f40400000};
.extern .shared .align 16 .b8 dyn[];
.visible .entry k(.param .u64 out)
{
  .reg .b32 %r<8>; .reg .b64 %rd<6>; .reg .f32 %f<3>;
  ld.param.u64 %rd1, [out];
  mov.u32 %r1, %tid.x;
  mov.u64 %rd2, dyn;
  mul.wide.u32 %rd3, %r1, 4;
  add.s64 %rd4, %rd2, %rd3;
  st.shared.u32 [%rd4], %r1;
  bar.sync 0;
  xor.b32 %r2, %r1, 1;
  mul.wide.u32 %rd3, %r2, 4;
  add.s64 %rd4, %rd2, %rd3;
  ld.shared.u32 %r3, [%rd4];
  atom.global.add.u32 %r4, [counter], 1;
  ld.global.u8 %r5, [table+3];
  ld.const.f32 %f1, [scale+4];
  cvt.rzi.u32.f32 %r6, %f1;
  mul.wide.u32 %rd3, %r1, 12;
  add.s64 %rd5, %rd1, %rd3;
  st.global.v2.u32 [%rd5], {%r3, %r5};
  st.global.u32 [%rd5+8], %r6;
  ret;
}
)";
  TestDevice dev(text);
  const uint64_t out = dev.upload(std::vector<uint32_t>(size_t{3} * 64));
  const Kernel& k = *dev.executor().module().kernel("k");
  ParamBuffer p(k);
  p.set(0, out);
  LaunchConfig cfg;
  cfg.block = {64};
  cfg.dynamic_shared_bytes = uint64_t{64} * 4;
  dev.executor().launch("k", cfg, p.bytes());
  const auto o = dev.download<uint32_t>(out, size_t{3} * 64);
  for (uint32_t t = 0; t < 64; ++t) {
    EXPECT_EQ(o[size_t{3} * t], t ^ 1u);
    EXPECT_EQ(o[3 * t + 1], 4u);
    EXPECT_EQ(o[3 * t + 2], 3u);
  }
  EXPECT_EQ(dev.download<uint32_t>(dev.executor().global_address("counter"), 1)[0], 5u + 64u);
}

TEST(PtxExec, FaultsAndBadLaunchesAreReported) {
  const std::string body = R"(.reg .b64 %rd<3>; .reg .b32 %r<2>;
ld.param.u64 %rd1, [k_param_0];
ld.global.u32 %r1, [%rd1];
ret;)";
  TestDevice dev(kernel(".param .u64 k_param_0", body));
  EXPECT_THROW(dev.launch("k", {1}, {32}, uint64_t{16}), ExecError);
  EXPECT_THROW(dev.launch("k", {1}, {2048}, uint64_t{0x7000'0000}), std::invalid_argument);
  EXPECT_THROW(dev.launch("nope", {1}, {1}, uint64_t{0}), std::invalid_argument);
  TestDevice trap(kernel("", "trap;"));
  EXPECT_THROW(trap.launch("k", {4}, {1}), ExecError);
}

TEST(PtxExec, BarrierWaitsForEveryWarpAndExitedThreadsDoNotCount) {
  // Warp 1 exits early; warp 0 passes the barrier; the value written before it by every thread
  // of warp 0 is read after it by its neighbour.
  const std::string body = R"(.reg .b64 %rd<5>; .reg .b32 %r<5>; .reg .pred %p<2>;
.shared .align 4 .b8 s[256];
ld.param.u64 %rd1, [k_param_0];
mov.u32 %r1, %tid.x;
setp.ge.u32 %p1, %r1, 32;
@%p1 exit;
mul.wide.u32 %rd2, %r1, 4;
mov.u64 %rd3, s;
add.s64 %rd4, %rd3, %rd2;
add.u32 %r2, %r1, 100;
st.shared.u32 [%rd4], %r2;
bar.sync 0;
xor.b32 %r3, %r1, 31;
mul.wide.u32 %rd2, %r3, 4;
add.s64 %rd4, %rd3, %rd2;
ld.shared.u32 %r4, [%rd4];
mul.wide.u32 %rd2, %r1, 4;
add.s64 %rd4, %rd1, %rd2;
st.global.u32 [%rd4], %r4;
ret;)";
  HandKernel r(kernel(".param .u64 k_param_0", body));
  r.dev.launch("k", {1}, {64}, r.out);
  const auto o = r.dev.download<uint32_t>(r.out, 32);
  for (uint32_t t = 0; t < 32; ++t) EXPECT_EQ(o[t], (t ^ 31u) + 100u);
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

TEST(PtxExec, DoublesReductionsCosineAndClock) {
  const std::string body = R"(.reg .b64 %rd<6>; .reg .f64 %fd<6>; .reg .f32 %f<3>; .reg .b32 %r<4>;
.reg .pred %p<2>;
ld.param.u64 %rd1, [k_param_0];
mov.u32 %r1, %tid.x;
cvt.rn.f64.u32 %fd1, %r1;
div.rn.f64 %fd2, %fd1, 0d4008000000000000;
fma.rn.f64 %fd3, %fd2, 0d4008000000000000, 0dBFF0000000000000;
sqrt.rn.f64 %fd4, %fd1;
red.global.add.f64 [%rd1], %fd1;
red.global.max.u64 [%rd1+8], %rd1;
atom.global.cas.b64 %rd2, [%rd1+16], 0, 77;
cvt.rn.f32.f64 %f1, %fd2;
cos.approx.f32 %f2, %f1;
setp.eq.u32 %p1, %r1, 5;
vote.sync.uni.pred %p1, %p1, -1;
selp.u32 %r2, 1, 0, %p1;
mov.u32 %r3, %clock;
mul.wide.u32 %rd3, %r1, 32;
add.s64 %rd4, %rd1, %rd3;
st.global.v2.f64 [%rd4+32], {%fd3, %fd4};
st.global.v2.f32 [%rd4+48], {%f1, %f2};
st.global.v2.u32 [%rd4+56], {%r2, %r3};
ret;)";
  TestDevice dev(kernel(".param .u64 k_param_0", body));
  const uint64_t out = dev.upload(std::vector<uint64_t>(4 + 4 * 32));
  dev.launch("k", {1}, {32}, out);
  const auto o = dev.download<uint64_t>(out, 4 + 4 * 32);
  EXPECT_EQ(std::bit_cast<double>(o[0]), 496.0);  // 0 + 1 + ... + 31
  EXPECT_EQ(o[1], out);
  EXPECT_EQ(o[2], 77u);
  uint32_t last_clock = 0;
  for (uint32_t t = 0; t < 32; ++t) {
    const uint64_t* r = &o[4 + 4 * t];
    const double q = t / 3.0;
    EXPECT_EQ(std::bit_cast<double>(r[0]), std::fma(q, 3.0, -1.0)) << t;
    EXPECT_EQ(std::bit_cast<double>(r[1]), std::sqrt(double(t))) << t;
    const auto f = static_cast<float>(q);
    EXPECT_EQ(std::bit_cast<float>(static_cast<uint32_t>(r[2])), f);
    EXPECT_LE(
        std::abs(std::bit_cast<float>(static_cast<uint32_t>(r[2] >> 32)) - std::cos(double{f})),
        std::exp2(-20.5));
    EXPECT_EQ(static_cast<uint32_t>(r[3]), 0u);  // vote.uni: lane 5 differs
    const auto clock = static_cast<uint32_t>(r[3] >> 32);
    EXPECT_GT(clock, 10u);
    if (t > 0) {
      EXPECT_EQ(clock, last_clock);  // lanes of a warp read the same clock
    }
    last_clock = clock;
  }
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

// The even lanes reach the shuffle first (it lies before the odd lanes' path in the code); the
// shuffle must wait for the odd lanes, whose values the even lanes read.
TEST(PtxExec, ShuffleWaitsForLanesThatArriveLater) {
  const std::string body = R"(.reg .b64 %rd<4>; .reg .b32 %r<5>; .reg .pred %p<2>;
ld.param.u64 %rd1, [k_param_0];
mov.u32 %r1, %tid.x;
mov.u32 %r2, %r1;
and.b32 %r3, %r1, 1;
setp.ne.u32 %p1, %r3, 0;
@%p1 bra LONG;
SYNC:
shfl.sync.bfly.b32 %r4, %r2, 1, 31, -1;
mul.wide.u32 %rd2, %r1, 4;
add.s64 %rd3, %rd1, %rd2;
st.global.u32 [%rd3], %r4;
exit;
LONG:
mul.lo.u32 %r2, %r1, 10;
bra SYNC;)";
  TestDevice dev(kernel(".param .u64 k_param_0", body));
  const uint64_t out = dev.upload(std::vector<uint32_t>(32));
  dev.launch("k", {1}, {32}, out);
  const auto o = dev.download<uint32_t>(out, 32);
  for (uint32_t t = 0; t < 32; ++t) EXPECT_EQ(o[t], (t & 1) ? t - 1 : (t + 1) * 10) << t;
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

// prmt's modes, expected values from the tables of PTX ISA 9.7.8.7.
TEST(PtxExec, PermuteModes) {
  const std::string body = R"(.reg .b64 %rd<2>; .reg .b32 %r<8>;
ld.param.u64 %rd1, [k_param_0];
prmt.b32.f4e %r1, 0x33221100, 0x77665544, 1;
prmt.b32.b4e %r2, 0x33221100, 0x77665544, 1;
prmt.b32.rc8 %r3, 0x33221100, 0x77665544, 2;
prmt.b32.ecl %r4, 0x33221100, 0x77665544, 1;
prmt.b32.ecr %r5, 0x33221100, 0x77665544, 2;
prmt.b32.rc16 %r6, 0x33221100, 0x77665544, 1;
prmt.b32 %r7, 0x33221100, 0x77665544, 0x8F40;
st.global.v4.u32 [%rd1], {%r1, %r2, %r3, %r4};
st.global.v2.u32 [%rd1+16], {%r5, %r6};
st.global.u32 [%rd1+24], %r7;
ret;)";
  TestDevice dev(kernel(".param .u64 k_param_0", body));
  const uint64_t out = dev.upload(std::vector<uint32_t>(7));
  dev.launch("k", {1}, {1}, out);
  const auto o = dev.download<uint32_t>(out, 7);
  EXPECT_EQ(o[0], 0x44332211u);
  EXPECT_EQ(o[1], 0x66770011u);
  EXPECT_EQ(o[2], 0x22222222u);
  EXPECT_EQ(o[3], 0x33221111u);
  EXPECT_EQ(o[4], 0x22221100u);
  EXPECT_EQ(o[5], 0x33223322u);
  // selectors 0, 4, 0xF (sign of byte 7: 0x77 -> 0x00), 8 (sign of byte 0: 0x00 -> 0x00)
  EXPECT_EQ(o[6], 0x00004400u);
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

// .f16: conversions in each rounding mode and arithmetic, expected bit patterns from IEEE 754
// binary16 (1.0 = 0x3C00, 65504 = 0x7BFF, 2^-24 = 0x0001, 1/3 rounds to 0x3555).
TEST(PtxExec, HalfPrecision) {
  const std::string body = R"(.reg .b64 %rd<2>; .reg .f32 %f<4>; .reg .f16 %h<16>; .reg .b32 %r<3>;
.reg .pred %p<2>;
ld.param.u64 %rd1, [k_param_0];
cvt.rn.f16.f32 %h1, 0f3EAAAAAB;
cvt.rz.f16.f32 %h2, 0f477FF000;
cvt.rn.f16.f32 %h3, 0f477FF000;
cvt.rn.f16.f32 %h4, 0f33800000;
cvt.rn.f16.f32 %h5, 0f33000000;
cvt.rm.f16.f32 %h6, 0fBEAAAAAB;
cvt.rn.f16.s32 %h7, 2049;
add.f16 %h8, %h1, %h1;
mul.rn.f16 %h9, %h2, %h2;
fma.rn.f16 %h10, %h1, %h7, %h1;
neg.f16 %h11, %h4;
cvt.f32.f16 %f1, %h1;
cvt.rzi.s32.f16 %r1, %h7;
setp.lt.f16 %p1, %h11, %h4;
selp.u32 %r2, 1, 0, %p1;
st.global.v4.b16 [%rd1], {%h1, %h2, %h3, %h4};
st.global.v4.b16 [%rd1+8], {%h5, %h6, %h7, %h8};
st.global.v4.b16 [%rd1+16], {%h9, %h10, %h11, %h1};
st.global.f32 [%rd1+24], %f1;
st.global.v2.u32 [%rd1+28], {%r1, %r2};
ret;)";
  TestDevice dev(kernel(".param .u64 k_param_0", body));
  const uint64_t out = dev.upload(std::vector<uint16_t>(20));
  dev.launch("k", {1}, {1}, out);
  const auto h = dev.download<uint16_t>(out, 12);
  EXPECT_EQ(h[0], 0x3555);  // 1/3
  EXPECT_EQ(h[1], 0x7BFF);  // 65520 toward zero: the largest half
  EXPECT_EQ(h[2], 0x7C00);  // 65520 to nearest (a tie to even): infinity
  EXPECT_EQ(h[3], 0x0001);  // 2^-24, the smallest subnormal
  EXPECT_EQ(h[4], 0x0000);  // 2^-25: a tie between 0 and 2^-24, to even
  EXPECT_EQ(h[5], 0xB556);  // -1/3 toward -infinity
  EXPECT_EQ(h[6], 0x6800);  // 2049 to nearest: 2048 (a tie, to even)
  EXPECT_EQ(h[7], 0x3955);  // 1/3 + 1/3
  EXPECT_EQ(h[8], 0x7C00);  // 65504^2 overflows
  EXPECT_EQ(h[9], 0x6156);  // 682.5 + 0.33325... = 682.83... to the spacing 0.5: 683
  EXPECT_EQ(h[10], 0x8001);
  const auto w = dev.download<uint32_t>(out + 24, 3);
  EXPECT_EQ(std::bit_cast<float>(w[0]), 0.333251953125f);
  EXPECT_EQ(w[1], 2048u);
  EXPECT_EQ(w[2], 1u);
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

TEST(PtxExec, RunawayKernelStopsAtTheInstructionLimit) {
  TestDevice dev(kernel("", "LOOP:\nbra LOOP;"));
  LaunchConfig cfg;
  cfg.block = {64};
  cfg.max_warp_instructions = 100000;
  EXPECT_THROW(dev.executor().launch("k", cfg, {}), ExecError);
  EXPECT_NE(std::string(load_error(kernel("", "A:\nA:\nret;")).what()).find("defined twice"),
            std::string::npos);
}

}  // namespace
}  // namespace cxlsim::ptx

namespace cxlsim::ptx {
namespace {

TEST(PtxHalf, EveryHalfConvertsExactlyBackAndForth) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const double v = half_to_double(static_cast<uint16_t>(h));
    const bool nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
    for (uint8_t mode : {kRoundNearest, kRoundZero, kRoundDown, kRoundUp}) {
      EXPECT_EQ(double_to_half(v, mode), nan ? 0x7FFF : h) << h;
    }
  }
}

#ifdef __FLT16_MAX__
// The compiler's own _Float16 conversion (round to nearest even) as an independent reference.
TEST(PtxHalf, RoundToNearestMatchesTheCompilersFloat16) {
  __extension__ typedef _Float16 Half;
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    // Exponents around binary16's range, random mantissas.
    const auto bits = static_cast<uint32_t>((rng() & 0x807FFFFFu) | ((100 + rng() % 60) << 23));
    const float f = std::bit_cast<float>(bits);
    const auto want = std::bit_cast<uint16_t>(static_cast<Half>(f));
    ASSERT_EQ(double_to_half(f, kRoundNearest), want) << f;
    ASSERT_EQ(half_to_double(want), static_cast<double>(static_cast<Half>(f)));
  }
}
#endif

}  // namespace
}  // namespace cxlsim::ptx
