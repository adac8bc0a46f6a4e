// PTX text to Program: module directives, function bodies and instructions, decoded to handlers
// and register slots at load time (PTX ISA 7.x chapters 4-11).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ptx/half.h"
#include "ptx/lexer.h"
#include "ptx/module.h"
#include "ptx/ops.h"
#include "ptx/program.h"
#include "ptx/warp.h"

namespace cxlsim::ptx {

LoadError::LoadError(uint32_t line, uint32_t column, const std::string& message)
    : ParseError("ptx:" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      line_(line),
      column_(column) {}

namespace {

std::optional<Type> parse_type(std::string_view s) {
  static const std::map<std::string_view, Type> kTypes = {
      {"b8", Type::B8},   {"b16", Type::B16}, {"b32", Type::B32}, {"b64", Type::B64},
      {"u8", Type::U8},   {"u16", Type::U16}, {"u32", Type::U32}, {"u64", Type::U64},
      {"s8", Type::S8},   {"s16", Type::S16}, {"s32", Type::S32}, {"s64", Type::S64},
      {"f16", Type::F16}, {"f32", Type::F32}, {"f64", Type::F64}, {"pred", Type::Pred}};
  auto it = kTypes.find(s);
  if (it == kTypes.end()) {
    return std::nullopt;
  }
  return it->second;
}

// Largest variable or parameter accepted, and largest state-space total (static shared, per-thread
// local, constant bank): far above what a GPU offers, small enough to allocate.
constexpr uint64_t kMaxVariableBytes = uint64_t{1} << 26;
// Register slots of a module (each costs 256 bytes per warp at run time).
constexpr uint64_t kMaxRegisters = uint64_t{1} << 16;

uint64_t align_up(uint64_t v, uint64_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

struct Operand {
  enum Kind { Name, Int, Float, Addr, Vec, Sink } kind = Name;
  std::string_view name;   // Name; Addr: base (register or symbol), empty for an absolute address
  std::string_view name2;  // second destination after '|'
  bool neg = false;        // !p
  bool paren = false;      // Vec written with ( )
  uint64_t ival = 0;       // Int, Addr offset
  Token lit;               // Float
  std::vector<Operand> elems;
  uint32_t line = 0, col = 0;
};

// Where a name in a function body points.
struct Sym {
  enum Kind { Reg, Pred, KernelParam, Local, Shared, Global, Const, ExternShared, Func } kind = Reg;
  uint64_t value = 0;  // slot, predicate slot or offset; function index
  uint64_t size = 0;
};

struct RegRange {
  uint32_t base = 0;
  uint32_t count = 0;
  bool pred = false;
};

struct Fixup {
  uint32_t inst = 0;
  std::string label;
  uint32_t line = 0, col = 0;
};

struct PendingCall {
  uint32_t site = 0;
  std::string callee;
  std::vector<std::pair<uint64_t, uint64_t>> args;     // caller local offset, size
  std::vector<std::pair<uint64_t, uint64_t>> results;  // caller local offset, size
  uint32_t caller = 0;
  uint32_t line = 0, col = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : lex_(text) { cur_ = lex_.next(); }
  Program run();

 private:
  // --- tokens
  [[noreturn]] void fail(const Token& t, const std::string& msg) const {
    throw LoadError(t.line, t.col, msg);
  }
  [[noreturn]] void fail(const Operand& o, const std::string& msg) const {
    throw LoadError(o.line, o.col, msg);
  }
  bool is(std::string_view p) const {
    return (cur_.kind == Tok::Punct || cur_.kind == Tok::Ident) && cur_.text == p;
  }
  Token take() {
    Token t = cur_;
    cur_ = lex_.next();
    return t;
  }
  void expect(std::string_view p) {
    if (!is(p)) {
      fail(cur_, "expected '" + std::string(p) + "'");
    }
    take();
  }
  Token ident() {
    if (cur_.kind != Tok::Ident) {
      fail(cur_, "expected a name");
    }
    return take();
  }
  uint64_t integer() {
    bool neg = false;
    if (is("-")) {
      take(), neg = true;
    }
    if (cur_.kind != Tok::Int) {
      fail(cur_, "expected an integer");
    }
    const uint64_t v = take().int_value;
    return neg ? ~v + 1 : v;
  }

  // --- module level
  void directive();
  void variable(std::string_view space, bool is_extern, uint32_t fn);
  void function(bool entry, bool is_extern);
  std::vector<ParamSlot> param_list(bool entry);
  void body(uint32_t fn);
  void statement(uint32_t fn);
  void skip_braces();

  // --- instructions
  Operand operand();
  void instruction(uint32_t fn, const Token& op, const Token* guard, bool guard_neg);
  void decode(Inst& in, uint32_t fn, const Token& op, const std::vector<std::string_view>& mods,
              std::vector<Operand>& ops);

  // --- names
  std::optional<Sym> find(std::string_view name) const;
  Sym lookup(const Operand& o) const;
  uint32_t constant(uint64_t value);
  uint32_t dst(const Operand& o);
  uint32_t pred(const Operand& o);
  // The predicate after '|' in a "p|q" destination (setp, shfl), kTruePred when there is none.
  uint32_t second_pred(const Operand& o);
  uint32_t src(const Operand& o, Type t);
  void address(Inst& in, const Operand& o, bool kernel);

  Lexer lex_;
  Token cur_;
  Program prog_;
  std::unordered_map<std::string, Sym> module_syms_;
  std::unordered_map<std::string, Sym> fn_syms_;
  std::unordered_map<std::string, RegRange> ranges_;
  std::unordered_map<std::string, uint32_t> labels_;
  std::vector<Fixup> fixups_;
  std::vector<PendingCall> calls_;
  std::unordered_map<uint64_t, uint32_t> constants_;
  std::vector<uint32_t> extern_shared_slots_;
  uint32_t sink_ = 0;  // slot that `_` destinations write
};

Program Parser::run() {
  while (cur_.kind != Tok::End) {
    directive();
  }
  // Calls: link call sites to callees and their parameter offsets.
  for (const PendingCall& c : calls_) {
    auto it = module_syms_.find(c.callee);
    if (it == module_syms_.end() || it->second.kind != Sym::Func) {
      throw LoadError(c.line, c.col, "call of unknown function '" + c.callee + "'");
    }
    const auto callee = static_cast<uint32_t>(it->second.value);
    const Function& f = prog_.functions[callee];
    if (!f.defined) {
      throw LoadError(c.line, c.col, "call of undefined function '" + c.callee + "'");
    }
    if (f.entry) {
      throw LoadError(c.line, c.col, "call of a kernel '" + c.callee + "'");
    }
    if (c.args.size() != f.params.size() || c.results.size() > f.returns.size()) {
      throw LoadError(c.line, c.col, "call of '" + c.callee + "' with a wrong number of arguments");
    }
    CallSite& s = prog_.calls[c.site];
    s.callee = callee;
    for (size_t i = 0; i < c.args.size(); ++i) {
      s.args.push_back(
          {c.args[i].first, f.params[i].offset, std::min(c.args[i].second, f.params[i].size)});
    }
    for (size_t i = 0; i < c.results.size(); ++i) {
      s.results.push_back({f.returns[i].offset, c.results[i].first,
                           std::min(c.results[i].second, f.returns[i].size)});
    }
  }
  // Recursion is refused: parameters and locals have one static place per function.
  std::vector<uint8_t> state(prog_.functions.size(), 0);
  std::function<void(uint32_t)> visit = [&](uint32_t f) {
    state[f] = 1;
    const Function& fn = prog_.functions[f];
    for (uint32_t i = fn.begin; i < fn.end; ++i) {
      const Inst& in = prog_.code[i];
      if (in.control != Control::Call) {
        continue;
      }
      const uint32_t callee = prog_.calls[in.target].callee;
      if (state[callee] == 1) {
        throw LoadError(
            in.line, 1,
            "recursive call of '" + prog_.functions[callee].name + "' is not supported");
      }
      if (state[callee] == 0) {
        visit(callee);
      }
    }
    state[f] = 2;
  };
  for (uint32_t f = 0; f < prog_.functions.size(); ++f) {
    if (state[f] == 0) {
      visit(f);
    }
  }
  // Dynamic shared memory (.extern .shared arrays) starts after the static variables.
  prog_.shared_bytes = align_up(prog_.shared_bytes, 16);
  for (auto& [slot, value] : prog_.constants) {
    if (std::find(extern_shared_slots_.begin(), extern_shared_slots_.end(), slot) !=
        extern_shared_slots_.end()) {
      value = prog_.shared_bytes;
    }
  }
  return std::move(prog_);
}

void Parser::skip_braces() {
  expect("{");
  int depth = 1;
  while (depth > 0) {
    if (cur_.kind == Tok::End) {
      fail(cur_, "unterminated '{'");
    }
    if (is("{")) {
      ++depth;
    }
    if (is("}")) {
      --depth;
    }
    take();
  }
}

void Parser::directive() {
  const Token t = ident();
  const std::string_view d = t.text;
  if (d == ".version" || d == ".target" || d == ".address_size" || d == ".file") {
    // .target sm_70, texmode_independent; .file 1 "name"
    while (!(cur_.kind == Tok::Ident && cur_.text.starts_with('.')) && cur_.kind != Tok::End) {
      if (d == ".address_size" && cur_.kind == Tok::Int && cur_.int_value != 64) {
        fail(cur_, "only .address_size 64 is supported");
      }
      take();
    }
    return;
  }
  if (d == ".section") {
    ident();
    skip_braces();
    return;
  }
  bool is_extern = false;
  std::string_view what = d;
  while (what == ".visible" || what == ".extern" || what == ".weak" || what == ".common") {
    if (what == ".extern") {
      is_extern = true;
    }
    what = ident().text;
  }
  if (what == ".entry" || what == ".func") {
    return function(what == ".entry", is_extern);
  }
  if (what == ".global" || what == ".const" || what == ".shared") {
    return variable(what, is_extern, ~0u);
  }
  if (what == ".tex" || what == ".surfref" || what == ".texref" || what == ".samplerref") {
    fail(t, "unsupported directive '" + std::string(what) + "' (textures and surfaces)");
  }
  fail(t, "unexpected '" + std::string(what) + "' at module level");
}

// [.align N] .type name[N][...] [= init];  in `space`, at module (fn == ~0u) or function level.
void Parser::variable(std::string_view space, bool is_extern, uint32_t fn) {
  uint64_t align = 0;
  std::optional<Type> type;
  while (cur_.kind == Tok::Ident && cur_.text.starts_with('.')) {
    const Token m = take();
    if (m.text == ".align") {
      align = integer();
    } else if (auto ty = parse_type(m.text.substr(1))) {
      type = ty;
    } else if (m.text == ".v2" || m.text == ".v4") {
      fail(m, "vector variables are not supported");
    } else {
      fail(m, "unexpected '" + std::string(m.text) + "' in a variable declaration");
    }
  }
  if (!type) {
    fail(cur_, "variable declaration without a type");
  }
  const Token name = ident();
  const uint64_t elem = type_bytes(*type);
  uint64_t count = 1;
  bool unsized = false;
  while (is("[")) {
    const Token at = take();
    if (is("]")) {
      unsized = true;
    } else {
      const uint64_t dim = integer();
      if (dim != 0 && count > kMaxVariableBytes / dim) {
        fail(at, "variable too large");
      }
      count *= dim;
    }
    expect("]");
  }
  if (elem * count > kMaxVariableBytes) {
    fail(name, "variable too large");
  }
  if (align == 0) {
    align = elem;
  }
  if (align > 4096 || !std::has_single_bit(align)) {
    fail(name, "bad alignment");
  }
  std::vector<uint8_t> init;
  if (is("=")) {
    take();
    std::vector<Token> vals;
    auto value = [&]() {
      bool neg = false;
      if (is("-")) {
        take(), neg = true;
      }
      Token v = take();
      if (v.kind != Tok::Int && v.kind != Tok::Float) {
        fail(v, "unsupported initializer");
      }
      if (neg) {
        v.int_value = ~v.int_value + 1;
        v.float_value = -v.float_value;
        v.float_bits ^= v.float_form == 4 ? 0x80000000ull : 0x8000000000000000ull;
      }
      vals.push_back(v);
    };
    if (is("{")) {
      take();
      while (!is("}")) {
        if (is("{")) {
          fail(cur_, "nested initializers are not supported");
        }
        value();
        if (is(",")) {
          take();
        } else if (!is("}")) {
          fail(cur_, "expected ',' or '}'");
        }
      }
      take();
    } else {
      value();
    }
    if (unsized) {
      count = vals.size();
    }
    if (vals.size() > count) {
      fail(name, "too many initializers");
    }
    init.assign(elem * count, 0);
    for (size_t i = 0; i < vals.size(); ++i) {
      uint64_t bits = vals[i].int_value;
      if (vals[i].kind == Tok::Float) {
        const double v =
            vals[i].float_form == 8 ? std::bit_cast<double>(vals[i].float_bits)
            : vals[i].float_form == 4
                ? double{std::bit_cast<float>(static_cast<uint32_t>(vals[i].float_bits))}
                : vals[i].float_value;
        bits = *type == Type::F32 ? std::bit_cast<uint32_t>(static_cast<float>(v))
                                  : std::bit_cast<uint64_t>(v);
      }
      std::memcpy(init.data() + i * elem, &bits, elem);
    }
  }
  expect(";");
  const uint64_t size = elem * count;
  Sym sym{Sym::Global, 0, size};
  if (space == ".shared") {
    if (is_extern || unsized) {
      const uint32_t slot = prog_.num_slots++;
      prog_.constants.emplace_back(slot, 0);
      extern_shared_slots_.push_back(slot);
      sym = {Sym::ExternShared, slot, 0};
    } else {
      prog_.shared_bytes = align_up(prog_.shared_bytes, align);
      sym = {Sym::Shared, prog_.shared_bytes, size};
      prog_.shared_bytes += size;
    }
  } else if (space == ".global") {
    if (is_extern) {
      fail(name, "external .global variables are not supported");
    }
    Variable v{std::string(name.text), size, align, init, prog_.num_slots++, 0};
    prog_.globals.push_back(v);
    sym = {Sym::Global, v.slot, size};
  } else if (space == ".const") {
    if (is_extern) {
      fail(name, "external .const variables are not supported");
    }
    const uint64_t off = align_up(prog_.const_bank.size(), align);
    prog_.const_bank.resize(off + size, 0);
    std::copy(init.begin(), init.end(),
              prog_.const_bank.begin() + static_cast<std::ptrdiff_t>(off));
    sym = {Sym::Const, off, size};
  } else if (space == ".local" || space == ".param") {
    prog_.local_bytes = align_up(prog_.local_bytes, align);
    sym = {Sym::Local, prog_.local_bytes, size};
    prog_.local_bytes += size;
  }
  if (prog_.shared_bytes > kMaxVariableBytes || prog_.local_bytes > kMaxVariableBytes ||
      prog_.const_bank.size() > kMaxVariableBytes) {
    fail(name, "state space too large");
  }
  auto& table = fn == ~0u ? module_syms_ : fn_syms_;
  table[std::string(name.text)] = sym;
}

std::vector<ParamSlot> Parser::param_list(bool entry) {
  std::vector<ParamSlot> out;
  expect("(");
  uint64_t offset = 0;
  while (!is(")")) {
    const Token p = ident();
    if (p.text != ".param" && p.text != ".reg") {
      fail(p, "expected '.param'");
    }
    if (p.text == ".reg") {
      fail(p, ".reg parameters are not supported");
    }
    uint64_t align = 0;
    std::optional<Type> type;
    while (cur_.kind == Tok::Ident && cur_.text.starts_with('.')) {
      const Token m = take();
      if (m.text == ".align") {
        align = integer();
      } else if (auto ty = parse_type(m.text.substr(1))) {
        type = ty;
      } else if (m.text == ".ptr" || m.text == ".global" || m.text == ".const" ||
                 m.text == ".shared" || m.text == ".local") {
        // .ptr.space.align N attributes of pointer parameters (PTX ISA 5.1.6.1)
      } else {
        fail(m, "unexpected '" + std::string(m.text) + "' in a parameter");
      }
    }
    if (!type) {
      fail(cur_, "parameter without a type");
    }
    const Token name = ident();
    uint64_t count = 1;
    while (is("[")) {
      const Token at = take();
      const uint64_t dim = integer();
      if (dim != 0 && count > kMaxVariableBytes / dim) {
        fail(at, "parameter too large");
      }
      count *= dim;
      expect("]");
    }
    const uint64_t elem = type_bytes(*type);
    if (elem * count > kMaxVariableBytes) {
      fail(name, "parameter too large");
    }
    if (align == 0) {
      align = elem;
    }
    if (align > 4096 || !std::has_single_bit(align)) {
      fail(name, "bad alignment");
    }
    ParamSlot s{std::string(name.text), elem * count, align, 0};
    if (entry) {
      offset = align_up(offset, align);
      s.offset = offset;
      offset += s.size;
    } else {
      prog_.local_bytes = align_up(prog_.local_bytes, align);
      s.offset = prog_.local_bytes;
      prog_.local_bytes += s.size;
    }
    out.push_back(s);
    if (is(",")) {
      take();
    } else if (!is(")")) {
      fail(cur_, "expected ',' or ')'");
    }
  }
  take();
  return out;
}

void Parser::function(bool entry, bool is_extern) {
  Function f;
  f.entry = entry;
  std::vector<ParamSlot> returns;
  if (!entry && is("(")) {
    returns = param_list(false);
  }
  const Token name = ident();
  f.name = std::string(name.text);
  f.line = name.line;
  if (is("(")) {
    f.params = param_list(entry);
  }
  f.returns = returns;
  if (entry) {
    uint64_t end = 0;
    for (const auto& p : f.params) {
      end = std::max(end, p.offset + p.size);
    }
    f.param_bytes = end;
  }
  // Performance directives (.maxntid 256, 1, 1; .noreturn; ...) carry no semantics here.
  while (cur_.kind == Tok::Ident && cur_.text.starts_with('.')) {
    take();
    while (cur_.kind == Tok::Int || is(",")) {
      take();
    }
  }
  uint32_t index;
  auto it = module_syms_.find(f.name);
  if (it != module_syms_.end()) {
    if (it->second.kind != Sym::Func) {
      fail(name, "'" + f.name + "' is already a variable");
    }
    index = static_cast<uint32_t>(it->second.value);
    if (prog_.functions[index].defined && !is(";")) {
      fail(name, "function '" + f.name + "' defined twice");
    }
    if (!is(";")) {
      prog_.functions[index] = f;
    }
  } else {
    index = static_cast<uint32_t>(prog_.functions.size());
    prog_.functions.push_back(f);
    module_syms_[f.name] = {Sym::Func, index, 0};
  }
  if (is(";")) {
    take();
    return;
  }
  if (is_extern) {
    fail(name, "an .extern function cannot have a body");
  }
  fn_syms_.clear();
  ranges_.clear();
  labels_.clear();
  fixups_.clear();
  Function& fn = prog_.functions[index];
  for (const auto& p : fn.params) {
    fn_syms_[p.name] = {entry ? Sym::KernelParam : Sym::Local, p.offset, p.size};
  }
  for (const auto& p : fn.returns) {
    fn_syms_[p.name] = {Sym::Local, p.offset, p.size};
  }
  fn.begin = static_cast<uint32_t>(prog_.code.size());
  body(index);
  // A body that falls off its end returns.
  Inst ret;
  ret.control = entry ? Control::Exit : Control::Ret;
  ret.line = cur_.line;
  prog_.code.push_back(ret);
  Function& done = prog_.functions[index];
  done.end = static_cast<uint32_t>(prog_.code.size());
  done.defined = true;
  for (const Fixup& x : fixups_) {
    auto l = labels_.find(x.label);
    if (l == labels_.end()) {
      throw LoadError(x.line, x.col, "unknown label '" + x.label + "'");
    }
    prog_.code[x.inst].target = l->second;
  }
}

void Parser::body(uint32_t fn) {
  expect("{");
  while (!is("}")) {
    if (cur_.kind == Tok::End) {
      fail(cur_, "unterminated function body");
    }
    statement(fn);
  }
  take();
}

void Parser::statement(uint32_t fn) {
  if (is("{")) {
    return body(fn);
  }
  if (is("@")) {
    take();
    bool neg = false;
    if (is("!")) {
      take(), neg = true;
    }
    const Token g = ident();
    const Token op = ident();
    return instruction(fn, op, &g, neg);
  }
  if (cur_.kind != Tok::Ident) {
    fail(cur_, "expected an instruction");
  }
  if (cur_.text.starts_with('.')) {
    const Token d = take();
    if (d.text == ".reg") {
      std::optional<Type> type;
      while (cur_.kind == Tok::Ident && cur_.text.starts_with('.')) {
        const Token m = take();
        if (m.text == ".v2" || m.text == ".v4" || m.text == ".align") {
          fail(m, "vector registers are not supported");
        }
        type = parse_type(m.text.substr(1));
        if (!type) {
          fail(m, "unknown register type '" + std::string(m.text) + "'");
        }
      }
      if (!type) {
        fail(cur_, "register declaration without a type");
      }
      for (;;) {
        const Token n = ident();
        const bool is_pred = *type == Type::Pred;
        if (is("<")) {
          take();
          const uint64_t count = integer();
          expect(">");
          if (count > kMaxRegisters || prog_.num_slots + count > kMaxRegisters ||
              prog_.num_preds + count > kMaxRegisters) {
            fail(n, "too many registers");
          }
          RegRange r{is_pred ? prog_.num_preds : prog_.num_slots, static_cast<uint32_t>(count),
                     is_pred};
          (is_pred ? prog_.num_preds : prog_.num_slots) += static_cast<uint32_t>(count);
          ranges_[std::string(n.text)] = r;
        } else {
          const uint32_t slot = is_pred ? prog_.num_preds++ : prog_.num_slots++;
          fn_syms_[std::string(n.text)] = {is_pred ? Sym::Pred : Sym::Reg, slot, 0};
        }
        if (!is(",")) {
          break;
        }
        take();
      }
      expect(";");
      return;
    }
    if (d.text == ".local" || d.text == ".shared" || d.text == ".param") {
      return variable(d.text, false, fn);
    }
    if (d.text == ".pragma" || d.text == ".loc" || d.text == ".maxntid" || d.text == ".reqntid") {
      while (!is(";")) {
        if (cur_.kind == Tok::End) {
          fail(cur_, "expected ';'");
        }
        take();
      }
      take();
      return;
    }
    fail(d, "unsupported directive '" + std::string(d.text) + "' in a function body");
  }
  const Token t = take();
  if (is(":")) {
    take();
    if (!labels_.emplace(std::string(t.text), static_cast<uint32_t>(prog_.code.size())).second) {
      fail(t, "label '" + std::string(t.text) + "' defined twice");
    }
    return;
  }
  instruction(fn, t, nullptr, false);
}

Operand Parser::operand() {
  Operand o;
  o.line = cur_.line;
  o.col = cur_.col;
  if (is("[")) {
    take();
    o.kind = Operand::Addr;
    if (cur_.kind == Tok::Ident) {
      o.name = take().text;
      if (is("+")) {
        take();
        o.ival = integer();
      } else if (is("-")) {
        take();
        o.ival = ~integer() + 1;
      }
    } else {
      o.ival = integer();
    }
    expect("]");
    return o;
  }
  if (is("{") || is("(")) {
    o.paren = is("(");
    const std::string_view close = o.paren ? ")" : "}";
    take();
    o.kind = Operand::Vec;
    while (!is(close)) {
      o.elems.push_back(operand());
      if (is(",")) {
        take();
      } else if (!is(close)) {
        fail(cur_, "expected ',' or '" + std::string(close) + "'");
      }
    }
    take();
    return o;
  }
  if (is("!")) {
    take(), o.neg = true;
  }
  bool minus = false;
  if (is("-")) {
    take(), minus = true;
  }
  if (cur_.kind == Tok::Int) {
    o.kind = Operand::Int;
    o.ival = take().int_value;
    if (minus) {
      o.ival = ~o.ival + 1;
    }
    return o;
  }
  if (cur_.kind == Tok::Float) {
    o.kind = Operand::Float;
    o.lit = take();
    if (minus) {
      o.lit.float_value = -o.lit.float_value;
      o.lit.float_bits ^= o.lit.float_form == 4 ? 0x80000000ull : 0x8000000000000000ull;
    }
    return o;
  }
  if (minus) {
    fail(cur_, "expected a number after '-'");
  }
  const Token n = ident();
  if (n.text == "_") {
    o.kind = Operand::Sink;
    return o;
  }
  o.kind = Operand::Name;
  o.name = n.text;
  if (is("|")) {
    take();
    o.name2 = ident().text;
  } else if (is("+")) {
    take();
    o.ival = integer();
  }
  return o;
}

const std::map<std::string_view, uint32_t>& special_registers() {
  static const std::map<std::string_view, uint32_t> kSpecial = {{"%tid.x", kTidX},
                                                                {"%tid.y", kTidY},
                                                                {"%tid.z", kTidZ},
                                                                {"%ntid.x", kNtidX},
                                                                {"%ntid.y", kNtidY},
                                                                {"%ntid.z", kNtidZ},
                                                                {"%ctaid.x", kCtaidX},
                                                                {"%ctaid.y", kCtaidY},
                                                                {"%ctaid.z", kCtaidZ},
                                                                {"%nctaid.x", kNctaidX},
                                                                {"%nctaid.y", kNctaidY},
                                                                {"%nctaid.z", kNctaidZ},
                                                                {"%laneid", kLaneId},
                                                                {"%warpid", kWarpId},
                                                                {"%nwarpid", kNwarpId},
                                                                {"%lanemask_eq", kLanemaskEq},
                                                                {"%lanemask_lt", kLanemaskLt},
                                                                {"%lanemask_le", kLanemaskLe},
                                                                {"%lanemask_gt", kLanemaskGt},
                                                                {"%lanemask_ge", kLanemaskGe},
                                                                {"%smid", kZero},
                                                                {"%gridid", kZero}};
  return kSpecial;
}

std::optional<Sym> Parser::find(std::string_view name) const {
  const std::string key(name);
  if (auto it = fn_syms_.find(key); it != fn_syms_.end()) {
    return it->second;
  }
  size_t digits = 0;
  while (digits < name.size() &&
         std::isdigit(static_cast<unsigned char>(name[name.size() - 1 - digits]))) {
    ++digits;
  }
  if (digits > 0 && digits < 10) {
    auto r = ranges_.find(std::string(name.substr(0, name.size() - digits)));
    if (r != ranges_.end()) {
      const uint64_t idx = std::stoull(std::string(name.substr(name.size() - digits)));
      if (idx < r->second.count) {
        return Sym{r->second.pred ? Sym::Pred : Sym::Reg, r->second.base + idx, 0};
      }
    }
  }
  if (auto s = special_registers().find(name); s != special_registers().end()) {
    return Sym{Sym::Reg, s->second, 0};
  }
  if (auto it = module_syms_.find(key); it != module_syms_.end()) {
    return it->second;
  }
  return std::nullopt;
}

Sym Parser::lookup(const Operand& o) const {
  const std::optional<Sym> s = find(o.name);
  if (!s) {
    fail(o, "unknown name '" + std::string(o.name) + "'");
  }
  return *s;
}

uint32_t Parser::constant(uint64_t value) {
  auto it = constants_.find(value);
  if (it != constants_.end()) {
    return it->second;
  }
  const uint32_t slot = prog_.num_slots++;
  prog_.constants.emplace_back(slot, value);
  constants_[value] = slot;
  return slot;
}

uint32_t Parser::dst(const Operand& o) {
  if (o.kind == Operand::Sink) {
    if (sink_ == 0) {
      sink_ = prog_.num_slots++;
    }
    return sink_;
  }
  if (o.kind != Operand::Name) {
    fail(o, "expected a register");
  }
  const Sym s = lookup(o);
  if (s.kind != Sym::Reg || s.value < kNumSpecial) {
    fail(o, "expected a register, not '" + std::string(o.name) + "'");
  }
  return static_cast<uint32_t>(s.value);
}

uint32_t Parser::pred(const Operand& o) {
  if (o.kind != Operand::Name) {
    fail(o, "expected a predicate");
  }
  const Sym s = lookup(o);
  if (s.kind != Sym::Pred) {
    fail(o, "expected a predicate, not '" + std::string(o.name) + "'");
  }
  return static_cast<uint32_t>(s.value);
}

uint32_t Parser::second_pred(const Operand& o) {
  if (o.name2.empty()) return kTruePred;
  Operand q = o;
  q.name = q.name2;
  return pred(q);
}

uint32_t Parser::src(const Operand& o, Type t) {
  switch (o.kind) {
    case Operand::Int:
      if (t == Type::F32) {
        return constant(std::bit_cast<uint32_t>(static_cast<float>(static_cast<int64_t>(o.ival))));
      }
      if (t == Type::F64) {
        return constant(std::bit_cast<uint64_t>(static_cast<double>(static_cast<int64_t>(o.ival))));
      }
      return constant(o.ival);
    case Operand::Float: {
      if (!is_float(t) || t == Type::F16) {
        fail(o, "floating-point literal for a non-float operand");
      }
      const Token& l = o.lit;
      if ((l.float_form == 4 && t == Type::F32) || (l.float_form == 8 && t == Type::F64)) {
        return constant(l.float_bits);
      }
      const double v = l.float_form == 8 ? std::bit_cast<double>(l.float_bits)
                       : l.float_form == 4
                           ? double{std::bit_cast<float>(static_cast<uint32_t>(l.float_bits))}
                           : l.float_value;
      return t == Type::F32 ? constant(std::bit_cast<uint32_t>(static_cast<float>(v)))
                            : constant(std::bit_cast<uint64_t>(v));
    }
    case Operand::Name: {
      const Sym s = lookup(o);
      switch (s.kind) {
        case Sym::Reg:
          if (o.ival != 0) {
            fail(o, "register with an offset");
          }
          return static_cast<uint32_t>(s.value);
        case Sym::KernelParam:
        case Sym::Local:
        case Sym::Shared:
        case Sym::Const:
          return constant(s.value + o.ival);
        case Sym::Global:
        case Sym::ExternShared:
          if (o.ival != 0) {
            fail(o, "offsets from this symbol are not supported here");
          }
          return static_cast<uint32_t>(s.value);
        default:
          break;
      }
      fail(o, "'" + std::string(o.name) + "' is not a value");
    }
    default:
      break;
  }
  fail(o, "expected a register or a constant");
}

void Parser::address(Inst& in, const Operand& o, bool kernel) {
  if (o.kind != Operand::Addr) {
    fail(o, "expected an address [...]");
  }
  in.offset = static_cast<int64_t>(o.ival);
  in.b = kZero;
  Space sym_space = Space::Generic;
  if (!o.name.empty()) {
    const Sym s = lookup(o);
    switch (s.kind) {
      case Sym::Reg:
        in.b = static_cast<uint32_t>(s.value);
        break;
      case Sym::KernelParam:
        sym_space = Space::KernelParam;
        in.offset += static_cast<int64_t>(s.value);
        break;
      case Sym::Local:
        sym_space = Space::Local;
        in.offset += static_cast<int64_t>(s.value);
        break;
      case Sym::Shared:
        sym_space = Space::Shared;
        in.offset += static_cast<int64_t>(s.value);
        break;
      case Sym::Const:
        sym_space = Space::Const;
        in.offset += static_cast<int64_t>(s.value);
        break;
      case Sym::Global:
        sym_space = Space::Global;
        in.b = static_cast<uint32_t>(s.value);
        break;
      case Sym::ExternShared:
        sym_space = Space::Shared;
        in.b = static_cast<uint32_t>(s.value);
        break;
      default:
        fail(o, "'" + std::string(o.name) + "' is not an address");
    }
  }
  if (in.space == Space::KernelParam && sym_space == Space::Generic && !kernel) {
    in.space = Space::Local;
  }
  if (sym_space != Space::Generic) {
    const bool param_ok = in.space == Space::KernelParam &&
                          (sym_space == Space::KernelParam || sym_space == Space::Local);
    if (in.space != Space::Generic && in.space != sym_space && !param_ok) {
      fail(o, "'" + std::string(o.name) + "' is not in the instruction's state space");
    }
    in.space = sym_space;
  }
}

void Parser::instruction(uint32_t fn, const Token& op, const Token* guard, bool guard_neg) {
  std::vector<std::string_view> mods;
  std::string_view text = op.text;
  size_t dot = text.find('.');
  const std::string_view base = text.substr(0, dot);
  while (dot != std::string_view::npos) {
    const size_t next = text.find('.', dot + 1);
    mods.push_back(text.substr(dot + 1, next == std::string_view::npos ? next : next - dot - 1));
    dot = next;
  }
  if (base.empty()) {
    fail(op, "expected an instruction");
  }
  // Refuse what the executor does not run before looking at operands, whose syntax may be one
  // this parser does not know (texture coordinates, matrix fragments).
  static const std::map<std::string_view, std::string_view> kRefused = {
      {"tex", "textures"},
      {"tld4", "textures"},
      {"txq", "textures"},
      {"suld", "surfaces"},
      {"sust", "surfaces"},
      {"sured", "surfaces"},
      {"suq", "surfaces"},
      {"mma", "tensor cores"},
      {"wmma", "tensor cores"},
      {"ldmatrix", "tensor cores"},
      {"stmatrix", "tensor cores"},
      {"cp", "asynchronous copies"},
      {"mbarrier", "asynchronous barriers"},
      {"istypep", "textures"}};
  static const std::set<std::string_view> kKnown = {
      "add",      "sub",       "mul",  "div",  "rem",        "min",    "max",   "and",
      "or",       "xor",       "shl",  "shr",  "copysign",   "mov",    "neg",   "abs",
      "not",      "cnot",      "popc", "clz",  "brev",       "sqrt",   "rcp",   "rsqrt",
      "sin",      "cos",       "ex2",  "lg2",  "tanh",       "mad",    "fma",   "bfe",
      "bfi",      "prmt",      "selp", "setp", "cvt",        "cvta",   "ld",    "ldu",
      "st",       "atom",      "red",  "bar",  "barrier",    "membar", "fence", "nanosleep",
      "prefetch", "prefetchu", "shfl", "vote", "activemask", "bra",    "brx",   "ret",
      "exit",     "trap",      "call"};
  auto refuse = [&](std::string_view why) {
    fail(op, "unsupported instruction '" + std::string(op.text) + "'" +
                 (why.empty() ? "" : " (" + std::string(why) + ")") + " at line " +
                 std::to_string(op.line));
  };
  if (auto r = kRefused.find(base); r != kRefused.end()) {
    refuse(r->second);
  }
  if (!kKnown.contains(base)) {
    refuse("");
  }
  std::vector<Operand> ops;
  while (!is(";")) {
    if (cur_.kind == Tok::End) {
      fail(cur_, "expected ';'");
    }
    ops.push_back(operand());
    if (is(",")) {
      take();
    } else if (!is(";") && !is("(")) {
      fail(cur_, "expected ',' or ';'");
    }
  }
  take();
  Inst in;
  in.line = op.line;
  if (guard != nullptr) {
    Operand g;
    g.kind = Operand::Name;
    g.name = guard->text;
    g.line = guard->line;
    g.col = guard->col;
    in.guard = pred(g);
    in.guard_xor = guard_neg ? kAllLanes : 0;
  }
  decode(in, fn, op, mods, ops);
  if (in.exec == nullptr && in.control == Control::None) {
    fail(op, "internal: no handler");
  }
  prog_.code.push_back(in);
}

void Parser::decode(Inst& in, uint32_t fn, const Token& op,
                    const std::vector<std::string_view>& mods, std::vector<Operand>& ops) {
  const std::string_view base = op.text.substr(0, op.text.find('.'));
  const std::string name(op.text);
  auto has = [&](std::string_view m) {
    return std::find(mods.begin(), mods.end(), m) != mods.end();
  };
  std::vector<Type> types;
  for (auto m : mods) {
    if (auto t = parse_type(m)) {
      types.push_back(*t);
    }
  }
  auto need = [&](size_t n) {
    if (ops.size() != n) {
      fail(op, "'" + name + "' takes " + std::to_string(n) + " operands, not " +
                   std::to_string(ops.size()));
    }
  };
  auto type = [&]() {
    if (types.empty()) {
      fail(op, "'" + name + "' needs a type");
    }
    const Type t = types.back();
    if (t == Type::F16) {
      fail(op, "unsupported instruction '" + name + "' (.f16 arithmetic) at line " +
                   std::to_string(op.line));
    }
    return t;
  };
  auto type_h = [&]() {  // .f16 allowed
    if (types.empty()) {
      fail(op, "'" + name + "' needs a type");
    }
    return types.back();
  };

  auto unsupported = [&](const std::string& why) -> void {
    fail(op, "unsupported instruction '" + name + "'" + (why.empty() ? "" : " (" + why + ")") +
                 " at line " + std::to_string(op.line));
  };
  auto check = [&](ExecFn f) {
    if (f == nullptr) {
      unsupported("type");
    }
    return f;
  };
  auto float_mode = [&]() {
    uint8_t m = 0;
    if (has("rz")) {
      m |= kRoundZero;
    }
    if (has("rm")) {
      m |= kRoundDown;
    }
    if (has("rp")) {
      m |= kRoundUp;
    }
    if (has("ftz")) {
      m |= kFtz;
    }
    if (has("sat")) {
      m |= kSat;
    }
    return m;
  };
  auto pred_src = [&](const Operand& o, uint32_t& slot, uint32_t& negx) {
    if (o.kind == Operand::Int) {  // constant predicates 0 and 1
      slot = kTruePred;
      negx = o.ival != 0 ? 0 : kAllLanes;
      return;
    }
    slot = pred(o);
    negx = o.neg ? kAllLanes : 0;
  };
  static const std::map<std::string_view, Arith> kArith = {
      {"add", Arith::Add},          {"sub", Arith::Sub}, {"mul", Arith::MulLo},
      {"div", Arith::Div},          {"rem", Arith::Rem}, {"min", Arith::Min},
      {"max", Arith::Max},          {"and", Arith::And}, {"or", Arith::Or},
      {"xor", Arith::Xor},          {"shl", Arith::Shl}, {"shr", Arith::Shr},
      {"copysign", Arith::Copysign}};
  static const std::map<std::string_view, Unary> kUnary = {
      {"mov", Unary::Mov},   {"neg", Unary::Neg},   {"abs", Unary::Abs},     {"not", Unary::Not},
      {"cnot", Unary::Cnot}, {"popc", Unary::Popc}, {"clz", Unary::Clz},     {"brev", Unary::Brev},
      {"sqrt", Unary::Sqrt}, {"rcp", Unary::Rcp},   {"rsqrt", Unary::Rsqrt}, {"sin", Unary::Sin},
      {"cos", Unary::Cos},   {"ex2", Unary::Ex2},   {"lg2", Unary::Lg2},     {"tanh", Unary::Tanh}};

  for (auto m : mods) {
    if (m == "f16x2" || m == "bf16" || m == "bf16x2" || m == "tf32" || m == "e4m3" || m == "e5m2" ||
        m == "e4m3x2" || m == "e5m2x2") {
      unsupported("." + std::string(m));
    }
  }
  const bool kernel = prog_.functions[fn].entry;
  const bool pred_type = !types.empty() && types.back() == Type::Pred;

  if (auto a = kArith.find(base); a != kArith.end()) {
    need(3);
    const Type t = type_h();
    if (t == Type::F16) {
      in.exec = check(half_arith_fn(a->second));
      in.mode = float_mode();
      in.d[0] = dst(ops[0]);
      in.a[0] = src(ops[1], Type::B16);
      in.a[1] = src(ops[2], Type::B16);
      return;
    }
    if (pred_type) {
      if (a->second != Arith::And && a->second != Arith::Or && a->second != Arith::Xor) {
        unsupported("type");
      }
      in.exec = pred_fn(a->second == Arith::And  ? PredOp::And
                        : a->second == Arith::Or ? PredOp::Or
                                                 : PredOp::Xor);
      in.d[0] = pred(ops[0]);
      pred_src(ops[1], in.a[0], in.b);
      pred_src(ops[2], in.a[1], in.c);
      return;
    }
    Arith kind = a->second;
    Type t2 = t;
    if (has("cc")) {
      unsupported("carry flags");
    }
    if (kind == Arith::MulLo && has("hi")) {
      kind = Arith::MulHi;
    }
    if (kind == Arith::MulLo && has("wide")) {
      kind = Arith::MulWide;
    }
    if (kind == Arith::Shl || kind == Arith::Shr) {
      t2 = Type::U32;
    }
    if (!is_float(t) && has("sat")) {
      if (kind == Arith::Add) {
        kind = Arith::AddSat;
      } else if (kind == Arith::Sub) {
        kind = Arith::SubSat;
      } else {
        unsupported("");
      }
    }
    in.exec = check(arith_fn(kind, t));
    if (is_float(t)) {
      in.mode = float_mode();
    }
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], t);
    in.a[1] = src(ops[2], t2);
    return;
  }
  if (base == "mov" && ops.size() == 2) {
    const Type t = type();
    if (t == Type::Pred) {
      in.exec = pred_fn(PredOp::Mov);
      in.d[0] = pred(ops[0]);
      pred_src(ops[1], in.a[0], in.b);
      return;
    }
    if (ops[0].kind == Operand::Vec) {
      const auto n = static_cast<uint32_t>(ops[0].elems.size());
      in.exec = check(n == 0 ? nullptr : unpack_fn(n, type_bytes(t) / n));
      for (uint32_t i = 0; i < n; ++i) {
        in.d[i] = ops[0].elems[i].kind == Operand::Sink ? kZero : dst(ops[0].elems[i]);
      }
      in.a[0] = src(ops[1], t);
      return;
    }
    in.d[0] = dst(ops[0]);
    if (ops[1].kind == Operand::Vec) {
      const auto n = static_cast<uint32_t>(ops[1].elems.size());
      in.exec = check(n == 0 ? nullptr : pack_fn(n, type_bytes(t) / n));
      for (uint32_t i = 0; i < n; ++i) {
        in.a[i] = src(ops[1].elems[i], Type::B64);
      }
      return;
    }
    if (ops[1].kind == Operand::Name &&
        (ops[1].name == "%clock" || ops[1].name == "%clock64" || ops[1].name == "%globaltimer")) {
      in.exec = clock_fn();
      return;
    }
    in.exec = check(unary_fn(Unary::Mov, t));
    in.a[0] = src(ops[1], t);
    return;
  }
  if (auto u = kUnary.find(base); u != kUnary.end()) {
    need(2);
    const Type t = type_h();
    if (t == Type::F16) {
      in.exec = check(half_unary_fn(u->second));
      in.d[0] = dst(ops[0]);
      in.a[0] = src(ops[1], Type::B16);
      return;
    }
    if (t == Type::Pred) {
      if (u->second != Unary::Not) {
        unsupported("type");
      }
      in.exec = pred_fn(PredOp::Not);
      in.d[0] = pred(ops[0]);
      pred_src(ops[1], in.a[0], in.b);
      return;
    }
    in.exec = check(unary_fn(u->second, t));
    if (is_float(t)) {
      in.mode = float_mode();
    }
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], t);
    return;
  }
  if (base == "mad" || base == "fma") {
    need(4);
    const Type t = type_h();
    if (t == Type::F16) {
      in.exec = half_fma_fn();
      in.mode = float_mode();
      in.d[0] = dst(ops[0]);
      for (int i = 0; i < 3; ++i) {
        in.a[i] = src(ops[i + 1], Type::B16);
      }
      return;
    }
    Ternary kind = Ternary::MadLo;
    if (is_float(t)) {
      kind = Ternary::Fma;
    } else if (has("hi")) {
      kind = Ternary::MadHi;
    } else if (has("wide")) {
      kind = Ternary::MadWide;
    } else if (has("cc")) {
      unsupported("carry flags");
    }
    if (base == "fma" && !is_float(t)) {
      unsupported("type");
    }
    in.exec = check(ternary_fn(kind, t));
    if (is_float(t)) {
      in.mode = float_mode();
    }
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], t);
    in.a[1] = src(ops[2], t);
    Type tc = t;
    if (kind == Ternary::MadWide) {
      tc = type_bytes(t) == 4 ? (is_signed(t) ? Type::S64 : Type::U64) : Type::U32;
    }
    in.a[2] = src(ops[3], tc);
    return;
  }
  if (base == "bfe" || base == "bfi" || base == "prmt") {
    const Type t = type();
    const Ternary kind = base == "bfe"   ? Ternary::Bfe
                         : base == "bfi" ? Ternary::Bfi
                                         : Ternary::Prmt;
    need(kind == Ternary::Bfi ? 5 : 4);
    in.exec = check(ternary_fn(kind, t));
    static const std::map<std::string_view, uint8_t> kPrmt = {{"f4e", 1}, {"b4e", 2}, {"rc8", 3},
                                                              {"ecl", 4}, {"ecr", 5}, {"rc16", 6}};
    for (auto m : mods) {
      if (auto p = kPrmt.find(m); p != kPrmt.end()) {
        in.mode = p->second;
      }
    }
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], t);
    in.a[1] = src(ops[2], kind == Ternary::Bfe ? Type::U32 : t);
    in.a[2] = src(ops[3], Type::U32);
    if (kind == Ternary::Bfi) {
      in.a[3] = src(ops[4], Type::U32);
    }
    return;
  }
  if (base == "selp") {
    need(4);
    const Type t = type();
    in.exec = check(ternary_fn(Ternary::Selp, t));
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], t);
    in.a[1] = src(ops[2], t);
    in.a[2] = pred(ops[3]);
    if (ops[3].neg) {
      std::swap(in.a[0], in.a[1]);
    }
    return;
  }
  if (base == "setp") {
    if (ops.size() != 3 && ops.size() != 4) {
      need(3);
    }
    const Type t = type_h();
    static const std::map<std::string_view, Cmp> kCmp = {
        {"eq", Cmp::Eq},   {"ne", Cmp::Ne},   {"lt", Cmp::Lt},   {"le", Cmp::Le},
        {"gt", Cmp::Gt},   {"ge", Cmp::Ge},   {"equ", Cmp::Equ}, {"neu", Cmp::Neu},
        {"ltu", Cmp::Ltu}, {"leu", Cmp::Leu}, {"gtu", Cmp::Gtu}, {"geu", Cmp::Geu},
        {"num", Cmp::Num}, {"nan", Cmp::Nan}, {"lo", Cmp::Lo},   {"ls", Cmp::Ls},
        {"hi", Cmp::Hi},   {"hs", Cmp::Hs}};
    if (mods.empty() || !kCmp.contains(mods[0])) {
      fail(op, "'" + name + "' needs a comparison");
    }
    Cmp cmp = kCmp.at(mods[0]);
    if (!is_float(t)) {
      if (static_cast<uint8_t>(cmp) >= static_cast<uint8_t>(Cmp::Equ) &&
          static_cast<uint8_t>(cmp) <= static_cast<uint8_t>(Cmp::Nan)) {
        unsupported("comparison for an integer type");
      }
      if (!is_signed(t)) {
        if (cmp == Cmp::Lt) {
          cmp = Cmp::Lo;
        }
        if (cmp == Cmp::Le) {
          cmp = Cmp::Ls;
        }
        if (cmp == Cmp::Gt) {
          cmp = Cmp::Hi;
        }
        if (cmp == Cmp::Ge) {
          cmp = Cmp::Hs;
        }
      }
    } else if (static_cast<uint8_t>(cmp) >= static_cast<uint8_t>(Cmp::Lo)) {
      unsupported("comparison for a float type");
    }
    BoolOp combine = BoolOp::None;
    if (has("and")) {
      combine = BoolOp::And;
    }
    if (has("or")) {
      combine = BoolOp::Or;
    }
    if (has("xor")) {
      combine = BoolOp::Xor;
    }
    if ((combine != BoolOp::None) != (ops.size() == 4)) {
      fail(op, "'" + name + "': combining predicate mismatch");
    }
    in.exec = check(t == Type::F16 ? half_setp_fn() : setp_fn(cmp, t, combine));
    in.count = static_cast<uint8_t>(cmp);
    in.mode = static_cast<uint8_t>(combine);
    if (ops[0].kind != Operand::Name) {
      fail(ops[0], "expected a predicate");
    }
    in.d[0] = pred(ops[0]);
    in.d[1] = second_pred(ops[0]);
    in.a[0] = src(ops[1], t == Type::F16 ? Type::B16 : t);
    in.a[1] = src(ops[2], t == Type::F16 ? Type::B16 : t);
    in.a[2] = kTruePred;
    if (ops.size() == 4) {
      pred_src(ops[3], in.a[2], in.e);
    }
    return;
  }
  if (base == "cvt") {
    need(2);
    if (types.size() != 2) {
      fail(op, "'" + name + "' needs two types");
    }
    const Type d = types[0], s = types[1];
    const bool half = d == Type::F16 || s == Type::F16;
    in.exec = check(half ? half_cvt_fn(d, s) : cvt_fn(d, s));
    uint8_t m = float_mode();
    if (has("rni")) {
      m |= kIntRound;
    }
    if (has("rzi")) {
      m |= kIntRound | kRoundZero;
    }
    if (has("rmi")) {
      m |= kIntRound | kRoundDown;
    }
    if (has("rpi")) {
      m |= kIntRound | kRoundUp;
    }
    if (is_float(s) && !is_float(d) && !(m & kIntRound)) {
      m |= kRoundZero;  // PTX requires .rXi
    }
    if (is_float(s) && !is_float(d)) {
      m = static_cast<uint8_t>(m & ~kIntRound);
    }
    in.mode = m;
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], s);
    return;
  }
  if (base == "cvta") {
    need(2);
    const bool to = has("to");
    uint64_t tag = 0;
    if (has("shared")) {
      tag = kSharedTag;
    } else if (has("local")) {
      tag = kLocalTag;
    } else if (has("const")) {
      tag = kConstTag;
    } else if (has("param")) {
      tag = kParamTag;
    } else if (!has("global")) {
      fail(op, "'" + name + "' needs a state space");
    }
    in.exec = tag == 0 ? unary_fn(Unary::Mov, Type::U64) : cvta_fn(!to, tag);
    in.d[0] = dst(ops[0]);
    in.a[0] = src(ops[1], Type::U64);
    return;
  }
  auto space_of = [&]() {
    if (has("global")) {
      return Space::Global;
    }
    if (has("shared")) {
      return Space::Shared;
    }
    if (has("local")) {
      return Space::Local;
    }
    if (has("param")) {
      return Space::KernelParam;
    }
    if (has("const")) {
      return Space::Const;
    }
    return Space::Generic;
  };
  if (base == "ld" || base == "ldu" || base == "st") {
    need(2);
    const Type t = types.empty() ? type() : types.back();
    uint32_t n = 1;
    if (has("v2")) {
      n = 2;
    }
    if (has("v4")) {
      n = 4;
    }
    if (has("v8")) {
      unsupported("vector width");
    }
    in.space = space_of();
    const bool load = base != "st";
    in.exec = check(load ? load_fn(t, n) : store_fn(t, n));
    const Operand& addr = load ? ops[1] : ops[0];
    const Operand& val = load ? ops[0] : ops[1];
    address(in, addr, kernel);
    if (!load && (in.space == Space::Const)) {
      fail(op, "store to .const memory");
    }
    std::vector<Operand> vals = n == 1 ? std::vector<Operand>{val} : val.elems;
    if (vals.size() != n) {
      fail(val, "expected " + std::to_string(n) + " values");
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (load) {
        in.d[i] = dst(vals[i]);
      } else {
        in.a[i] = src(vals[i], t);
      }
    }
    return;
  }
  if (base == "atom" || base == "red") {
    const bool red = base == "red";
    need(red ? 2 : (has("cas") ? 4 : 3));
    const Type t = type();
    static const std::map<std::string_view, AtomOp> kAtom = {
        {"add", AtomOp::Add}, {"min", AtomOp::Min}, {"max", AtomOp::Max}, {"exch", AtomOp::Exch},
        {"cas", AtomOp::Cas}, {"and", AtomOp::And}, {"or", AtomOp::Or},   {"xor", AtomOp::Xor},
        {"inc", AtomOp::Inc}, {"dec", AtomOp::Dec}};
    std::optional<AtomOp> aop;
    for (auto m : mods) {
      if (auto f = kAtom.find(m); f != kAtom.end()) {
        aop = f->second;
      }
    }
    if (!aop) {
      fail(op, "'" + name + "' needs an operation");
    }
    if (red && *aop == AtomOp::Cas) {
      unsupported("");
    }
    if (has("v2") || has("v4")) {
      unsupported("vector atomics");
    }
    in.space = space_of();
    if (in.space != Space::Generic && in.space != Space::Global && in.space != Space::Shared) {
      fail(op, "atomics work on global and shared memory only");
    }
    in.exec = check(atom_fn(*aop, t));
    in.mode = static_cast<uint8_t>(*aop);
    size_t k = 0;
    in.d[0] = red ? kZero : dst(ops[k++]);
    address(in, ops[k++], kernel);
    in.a[0] = src(ops[k++], t);
    in.a[1] = *aop == AtomOp::Cas ? src(ops[k++], t) : kZero;
    return;
  }
  if (base == "bar" || base == "barrier") {
    if (has("warp")) {
      need(1);
      in.control = Control::WarpSync;
      in.exec = fence_fn();
      in.a[3] = src(ops[0], Type::B32);
      return;
    }
    if (has("arrive")) {
      unsupported("");
    }
    if (has("red")) {
      // bar.red.popc.u32 d, id, {!}p; bar.red.and.pred / .or.pred p, id, {!}q
      need(3);
      in.mode = has("popc") ? kBarRedPopc : has("and") ? kBarRedAnd : has("or") ? kBarRedOr : 0;
      if (in.mode == 0) {
        fail(op, "'" + name + "' needs .popc, .and or .or");
      }
      in.d[0] = in.mode == kBarRedPopc ? dst(ops[0]) : pred(ops[0]);
      pred_src(ops[2], in.a[0], in.b);
      ops.erase(ops.begin() + 2);
      ops.erase(ops.begin());
    }
    if (ops.empty() || ops.size() > 2) {
      need(1);
    }
    if (ops[0].kind != Operand::Int || ops.size() == 2) {
      unsupported("barrier operands other than a constant id");
    }
    in.control = Control::BarSync;
    return;
  }
  if (base == "membar" || base == "fence" || base == "nanosleep" || base == "prefetch" ||
      base == "prefetchu") {
    if (has("proxy") || has("mbarrier_init")) {
      unsupported("");
    }
    in.exec = fence_fn();
    return;
  }
  if (base == "shfl") {
    need(5);
    if (!has("sync")) {
      unsupported("shfl without .sync");
    }
    if (types.empty() || type_bytes(types.back()) != 4) {
      unsupported("type");
    }
    ShflMode mode = ShflMode::Idx;
    if (has("up")) {
      mode = ShflMode::Up;
    } else if (has("down")) {
      mode = ShflMode::Down;
    } else if (has("bfly")) {
      mode = ShflMode::Bfly;
    } else if (!has("idx")) {
      fail(op, "'" + name + "' needs a mode");
    }
    in.exec = shfl_fn(mode);
    in.control = Control::WarpSync;
    in.d[0] = dst(ops[0]);
    in.d[1] = second_pred(ops[0]);
    in.a[0] = src(ops[1], Type::B32);
    in.a[1] = src(ops[2], Type::B32);
    in.a[2] = src(ops[3], Type::B32);
    in.a[3] = src(ops[4], Type::B32);
    return;
  }
  if (base == "vote") {
    need(3);
    if (!has("sync")) {
      unsupported("vote without .sync");
    }
    VoteMode mode = VoteMode::All;
    if (has("any")) {
      mode = VoteMode::Any;
    } else if (has("uni")) {
      mode = VoteMode::Uni;
    } else if (has("ballot")) {
      mode = VoteMode::Ballot;
    } else if (!has("all")) {
      fail(op, "'" + name + "' needs a mode");
    }
    in.exec = vote_fn(mode);
    in.control = Control::WarpSync;
    in.d[0] = mode == VoteMode::Ballot ? dst(ops[0]) : pred(ops[0]);
    pred_src(ops[1], in.a[0], in.b);
    in.a[3] = src(ops[2], Type::B32);
    return;
  }
  if (base == "activemask") {
    need(1);
    in.exec = activemask_fn();
    in.d[0] = dst(ops[0]);
    return;
  }
  if (base == "bra" || base == "brx") {
    if (base == "brx") {
      unsupported("indirect branches");
    }
    need(1);
    if (ops[0].kind != Operand::Name) {
      fail(ops[0], "expected a label");
    }
    in.control = Control::Bra;
    fixups_.push_back({static_cast<uint32_t>(prog_.code.size()), std::string(ops[0].name),
                       ops[0].line, ops[0].col});
    return;
  }
  if (base == "ret" || base == "exit") {
    need(0);
    in.control = (base == "exit" || kernel) ? Control::Exit : Control::Ret;
    return;
  }
  if (base == "trap") {
    need(0);
    in.exec = trap_fn();
    return;
  }
  if (base == "call") {
    size_t k = 0;
    std::vector<Operand> results;
    if (k < ops.size() && ops[k].kind == Operand::Vec && ops[k].paren) {
      results = ops[k++].elems;
    }
    if (k >= ops.size() || ops[k].kind != Operand::Name) {
      fail(op, "call needs a function name");
    }
    const Operand& callee = ops[k++];
    const std::optional<Sym> cs = find(callee.name);
    if (cs && cs->kind == Sym::Reg) {
      unsupported("indirect calls");
    }
    std::vector<Operand> args;
    if (k < ops.size() && ops[k].kind == Operand::Vec && ops[k].paren) {
      args = ops[k++].elems;
    }
    if (k != ops.size()) {
      unsupported("call prototypes");
    }
    PendingCall pc;
    pc.site = static_cast<uint32_t>(prog_.calls.size());
    prog_.calls.emplace_back();
    pc.callee = std::string(callee.name);
    pc.caller = fn;
    pc.line = callee.line;
    pc.col = callee.col;
    auto local = [&](const Operand& o) {
      if (o.kind != Operand::Name) {
        fail(o, "call arguments must be .param variables");
      }
      const Sym s = lookup(o);
      if (s.kind != Sym::Local) {
        fail(o, "call arguments must be .param variables");
      }
      return std::pair<uint64_t, uint64_t>{s.value, s.size};
    };
    for (const auto& r : results) {
      pc.results.push_back(local(r));
    }
    for (const auto& a : args) {
      pc.args.push_back(local(a));
    }
    in.control = Control::Call;
    in.target = pc.site;
    calls_.push_back(std::move(pc));
    return;
  }
  unsupported("");
}

}  // namespace

Module Module::load(std::string_view text) {
  Module m;
  auto prog = std::make_shared<Program>(Parser(text).run());
  for (uint32_t i = 0; i < prog->functions.size(); ++i) {
    const Function& f = prog->functions[i];
    if (!f.entry || !f.defined) {
      continue;
    }
    Kernel k;
    k.name = f.name;
    k.index = i;
    k.param_bytes = f.param_bytes;
    k.static_shared_bytes = prog->shared_bytes;
    for (const auto& p : f.params) {
      k.params.push_back({p.name, p.size, p.align, p.offset});
    }
    m.kernels_.push_back(std::move(k));
  }
  m.program_ = std::move(prog);
  return m;
}

const Kernel* Module::kernel(std::string_view name) const {
  for (const auto& k : kernels_) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

}  // namespace cxlsim::ptx
