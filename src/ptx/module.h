// A loaded PTX module: the text parsed and decoded once (PTX ISA 7.x), ready to launch. Loading
// refuses malformed text (LoadError with line and column) and instructions the executor does not
// run (textures, surfaces, tensor-core mma, ...: LoadError naming the instruction and its line).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spec/error.h"

namespace cxlsim::ptx {

struct Program;

class LoadError : public ParseError {
 public:
  LoadError(uint32_t line, uint32_t column, const std::string& message);
  [[nodiscard]] uint32_t line() const { return line_; }
  [[nodiscard]] uint32_t column() const { return column_; }

 private:
  uint32_t line_;
  uint32_t column_;
};

// One kernel parameter as the .entry signature lays it out (PTX ISA 5.1.6.1): scalars and
// pointers at their natural alignment, structs as `.align N .b8 name[size]` arrays.
struct KernelParam {
  std::string name;
  uint64_t size = 0;
  uint64_t align = 1;
  uint64_t offset = 0;  // in the parameter buffer
};

struct Kernel {
  std::string name;
  std::vector<KernelParam> params;
  uint64_t param_bytes = 0;          // size of the parameter buffer launch() expects
  uint64_t static_shared_bytes = 0;  // .shared variables of the module
  uint32_t index = 0;                // function index in the program
};

class Module {
 public:
  // Parses and decodes PTX text. Throws LoadError.
  static Module load(std::string_view text);

  [[nodiscard]] const Kernel* kernel(
      std::string_view name) const;  // nullptr when there is no such .entry
  [[nodiscard]] const std::vector<Kernel>& kernels() const { return kernels_; }
  [[nodiscard]] const Program& program() const { return *program_; }

 private:
  std::shared_ptr<const Program> program_;
  std::vector<Kernel> kernels_;
};

}  // namespace cxlsim::ptx
