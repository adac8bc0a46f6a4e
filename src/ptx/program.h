// The pre-decoded form of a PTX module that the executor runs: instructions with their operands
// resolved to register slots, so no text is looked at while a kernel runs. Internal to src/ptx.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cxlsim::ptx {

struct Warp;
struct Inst;
// Executes one non-control instruction for the lanes in Warp::exec.
using ExecFn = void (*)(Warp&, const Inst&);

// PTX state spaces as the decoder resolves them. KernelParam is a kernel's parameter buffer;
// function parameters and call arguments live in per-thread local memory.
enum class Space : uint8_t { Generic, Global, Shared, Local, KernelParam, Const };

// Instructions that change the warp's flow are run by the scheduler itself.
enum class Control : uint8_t { None, Bra, Exit, Ret, Call, BarSync, WarpSync };

// Register slots 0..kNumSpecial-1 hold the special registers, filled when a warp starts.
enum Special : uint32_t {
  kTidX,
  kTidY,
  kTidZ,
  kNtidX,
  kNtidY,
  kNtidZ,
  kCtaidX,
  kCtaidY,
  kCtaidZ,
  kNctaidX,
  kNctaidY,
  kNctaidZ,
  kLaneId,
  kWarpId,
  kNwarpId,
  kLanemaskEq,
  kLanemaskLt,
  kLanemaskLe,
  kLanemaskGt,
  kLanemaskGe,
  kZero,
  kNumSpecial
};
// Inst::mode of a bar.sync that also reduces a predicate over the CTA (bar.red).
enum BarRed : uint8_t { kBarRedNone = 0, kBarRedPopc = 1, kBarRedAnd = 2, kBarRedOr = 3 };

// Predicate slot 0 is always true (all lanes): the guard of unguarded instructions.
inline constexpr uint32_t kTruePred = 0;

struct Inst {
  ExecFn exec = nullptr;
  Control control = Control::None;
  Space space = Space::Generic;
  uint8_t count = 1;  // vector element count, or a small mode number
  uint8_t mode = 0;   // instruction-specific (rounding, comparison, shuffle mode)
  uint32_t guard = kTruePred;
  uint32_t guard_xor = 0;        // ~0u for @!p
  uint32_t d[4] = {};            // destination slots (predicate slots for setp/vote)
  uint32_t a[4] = {};            // source slots
  uint32_t b = 0, c = 0, e = 0;  // further source slots
  int64_t offset = 0;            // address offset
  uint32_t target = 0;           // branch target or callee function index
  uint32_t line = 0;             // source line, for errors
};

// A .global or .const variable of the module.
struct Variable {
  std::string name;
  uint64_t size = 0;
  uint64_t align = 1;
  std::vector<uint8_t> init;  // empty: zero-filled
  uint32_t slot = 0;          // register slot holding its address (globals)
  uint64_t offset = 0;        // offset in the constant bank (consts)
};

struct ParamSlot {
  std::string name;
  uint64_t size = 0;
  uint64_t align = 1;
  uint64_t offset = 0;  // kernel: in the param buffer; function: in local memory
};

struct Function {
  std::string name;
  bool entry = false;
  bool defined = false;
  uint32_t begin = 0, end = 0;     // instruction range
  std::vector<ParamSlot> params;   // in declaration order
  std::vector<ParamSlot> returns;  // .func return parameters
  uint64_t param_bytes = 0;        // kernels: size of the parameter buffer
  uint32_t line = 0;
};

// A copy of `size` bytes between per-thread local offsets when a call starts or returns.
struct ParamCopy {
  uint64_t from = 0, to = 0, size = 0;
};
struct CallSite {
  uint32_t callee = 0;
  std::vector<ParamCopy> args;     // caller's argument variables -> callee's parameters
  std::vector<ParamCopy> results;  // callee's return parameters -> caller's variables
};

struct Program {
  std::vector<Inst> code;
  std::vector<Function> functions;
  std::vector<CallSite> calls;  // Inst::target of a call
  uint32_t num_slots = kNumSpecial;
  uint32_t num_preds = 1;
  std::vector<std::pair<uint32_t, uint64_t>> constants;  // slot, 64-bit value for every lane
  std::vector<Variable> globals;
  std::vector<Variable> consts;
  std::vector<uint8_t> const_bank;
  uint64_t shared_bytes = 0;  // static .shared, module and function scope
  uint64_t local_bytes = 0;   // per thread: .local variables and function parameters
};

}  // namespace cxlsim::ptx
