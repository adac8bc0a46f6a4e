// IEEE 754 binary16 (.f16) for PTX: exact conversions to and from double, correctly rounded
// results in every PTX rounding mode, and the .f16 instruction handlers (values held as 16-bit
// patterns in register slots). Internal to src/ptx.
#pragma once

#include <cstdint>

#include "ptx/ops.h"

namespace cxlsim::ptx {

double half_to_double(uint16_t h);
// Rounds `v` to binary16 by `mode` (FloatMode rounding bits; kFtz flushes subnormal results).
uint16_t double_to_half(double v, uint8_t mode);

ExecFn half_arith_fn(Arith op);          // add, sub, mul, min, max
ExecFn half_unary_fn(Unary op);          // neg, abs, mov
ExecFn half_fma_fn();                    // fma.rn.f16, mad
ExecFn half_setp_fn();                   // Inst::count holds the Cmp as for setp_fn
ExecFn half_cvt_fn(Type dst, Type src);  // one of them F16; no 64-bit integers

}  // namespace cxlsim::ptx
