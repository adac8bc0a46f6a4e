// Instruction handlers: the semantics of each PTX operation on the lanes of a warp (PTX ISA 7.x
// chapter 9.7). The decoder picks one handler per instruction at load time; nullptr means the
// combination of operation and type is not supported. Internal to src/ptx.
#pragma once

#include <cstdint>

#include "ptx/program.h"

namespace cxlsim::ptx {

enum class Type : uint8_t {
  B8,
  B16,
  B32,
  B64,
  U8,
  U16,
  U32,
  U64,
  S8,
  S16,
  S32,
  S64,
  F16,
  F32,
  F64,
  Pred
};
uint32_t type_bytes(Type t);
bool is_float(Type t);
bool is_signed(Type t);

// Inst::mode bits for floating-point operations and conversions.
enum FloatMode : uint8_t {
  kRoundNearest = 0,
  kRoundZero = 1,
  kRoundDown = 2,
  kRoundUp = 3,
  kRoundMask = 3,
  kFtz = 4,
  kSat = 8,
  kIntRound = 16  // cvt.rni/rzi/rmi/rpi between floats
};

enum class Arith : uint8_t {
  Add,
  Sub,
  MulLo,
  MulHi,
  MulWide,
  Div,
  Rem,
  Min,
  Max,
  And,
  Or,
  Xor,
  Shl,
  Shr,
  AddSat,
  SubSat,
  Copysign
};
enum class Unary : uint8_t {
  Mov,
  Neg,
  Abs,
  Not,
  Cnot,
  Popc,
  Clz,
  Brev,
  Sqrt,
  Rcp,
  Rsqrt,
  Sin,
  Cos,
  Ex2,
  Lg2,
  Tanh
};
enum class Ternary : uint8_t { MadLo, MadHi, MadWide, Fma, Bfe, Bfi, Prmt, Selp };
// setp comparisons; the *u forms are true when either operand is NaN.
enum class Cmp : uint8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Equ,
  Neu,
  Ltu,
  Leu,
  Gtu,
  Geu,
  Num,
  Nan,
  Lo,
  Ls,
  Hi,
  Hs
};
enum class BoolOp : uint8_t { None, And, Or, Xor };
enum class AtomOp : uint8_t { Add, Min, Max, Exch, Cas, And, Or, Xor, Inc, Dec };
enum class PredOp : uint8_t { And, Or, Xor, Not, Mov };
enum class VoteMode : uint8_t { All, Any, Uni, Ballot };
enum class ShflMode : uint8_t { Up, Down, Bfly, Idx };

// Operands: d[] destinations, a[] sources, b the address register of memory operations.
ExecFn arith_fn(Arith op, Type t);      // d0 = a0 op a1
ExecFn unary_fn(Unary op, Type t);      // d0 = op a0
ExecFn ternary_fn(Ternary op, Type t);  // d0 = op(a0, a1, a2[, a3]); selp: a2 is a pred slot
ExecFn setp_fn(Cmp cmp, Type t, BoolOp combine);  // d0[, d1] preds; a2 pred to combine
ExecFn cvt_fn(Type dst, Type src);
ExecFn load_fn(Type t, uint32_t count);                 // d[0..count) = [b + offset]
ExecFn store_fn(Type t, uint32_t count);                // [b + offset] = a[0..count)
ExecFn atom_fn(AtomOp op, Type t);                      // d0 = atom [b + offset], a0 (, a1 for cas)
ExecFn pred_fn(PredOp op);                              // on predicate slots
ExecFn vote_fn(VoteMode mode);                          // d0 = vote a0 (pred), a1 member mask
ExecFn shfl_fn(ShflMode mode);                          // d0 (, d1 pred) = shfl a0, a1, a2, a3 mask
ExecFn pack_fn(uint32_t parts, uint32_t part_bytes);    // d0 = {a0, a1, ...}
ExecFn unpack_fn(uint32_t parts, uint32_t part_bytes);  // {d0, d1, ...} = a0
ExecFn cvta_fn(bool to_generic, uint64_t tag);
ExecFn fence_fn();
ExecFn clock_fn();  // d0 = the warp's clock
ExecFn trap_fn();
ExecFn activemask_fn();  // d0 = lanes executing

}  // namespace cxlsim::ptx
