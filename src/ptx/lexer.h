// PTX tokens (PTX ISA 7.x chapter 4): identifiers (including directives, opcodes with their
// modifiers and %registers, which all may contain dots), integer and floating-point literals,
// strings and punctuation, each with its line and column. Internal to src/ptx.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxlsim::ptx {

enum class Tok : uint8_t { End, Ident, Int, Float, String, Punct };

struct Token {
  Tok kind = Tok::End;
  std::string_view text;
  uint32_t line = 1;
  uint32_t col = 1;
  uint64_t int_value = 0;   // Int
  double float_value = 0;   // Float written in decimal
  uint64_t float_bits = 0;  // Float written as 0fXXXXXXXX (f32 bits) or 0dXXXXXXXXXXXXXXXX
  uint8_t float_form = 0;   // 0 decimal, 4 for 0f, 8 for 0d
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  // The next token. Throws LoadError on characters that start no token.
  Token next();

 private:
  void skip_space();
  Token number(Token t);
  [[nodiscard]] char peek(size_t k = 0) const {
    return pos_ + k < text_.size() ? text_[pos_ + k] : '\0';
  }
  void advance(size_t n = 1);

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
};

}  // namespace cxlsim::ptx
