#include "ptx/lexer.h"

#include <cctype>
#include <cstdlib>
#include <string>

#include "ptx/module.h"

namespace cxlsim::ptx {

namespace {
bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '%' ||
         c == '.';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.' ||
         c == ':';
}
int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}
}  // namespace

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos_ < text_.size(); ++i) {
    if (text_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
}

void Lexer::skip_space() {
  for (;;) {
    const char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (pos_ < text_.size() && peek() != '\n') {
        advance();
      }
    } else if (c == '/' && peek(1) == '*') {
      const uint32_t l = line_, co = col_;
      advance(2);
      while (pos_ < text_.size() && !(peek() == '*' && peek(1) == '/')) {
        advance();
      }
      if (pos_ >= text_.size()) {
        throw LoadError(l, co, "unterminated comment");
      }
      advance(2);
    } else {
      return;
    }
  }
}

Token Lexer::number(Token t) {
  const size_t start = pos_;
  const char c1 = peek(1);
  if (peek() == '0' && (c1 == 'f' || c1 == 'F' || c1 == 'd' || c1 == 'D')) {
    const size_t digits = (c1 == 'f' || c1 == 'F') ? 8 : 16;
    advance(2);
    uint64_t bits = 0;
    for (size_t i = 0; i < digits; ++i) {
      const int h = hex_digit(peek());
      if (h < 0) {
        throw LoadError(line_, col_, "bad hexadecimal floating-point literal");
      }
      bits = (bits << 4) | static_cast<uint64_t>(h);
      advance();
    }
    t.kind = Tok::Float;
    t.float_bits = bits;
    t.float_form = static_cast<uint8_t>(digits / 2);
  } else if (peek() == '0' && (c1 == 'x' || c1 == 'X')) {
    advance(2);
    uint64_t v = 0;
    if (hex_digit(peek()) < 0) {
      throw LoadError(line_, col_, "bad hexadecimal literal");
    }
    while (hex_digit(peek()) >= 0) {
      v = (v << 4) | static_cast<uint64_t>(hex_digit(peek()));
      advance();
    }
    t.kind = Tok::Int;
    t.int_value = v;
  } else if (peek() == '0' && (c1 == 'b' || c1 == 'B')) {
    advance(2);
    uint64_t v = 0;
    while (peek() == '0' || peek() == '1') {
      v = (v << 1) | static_cast<uint64_t>(peek() - '0');
      advance();
    }
    t.kind = Tok::Int;
    t.int_value = v;
  } else {
    size_t n = 0;
    bool is_float = false;
    while (std::isdigit(static_cast<unsigned char>(peek(n)))) {
      ++n;
    }
    if (peek(n) == '.' && std::isdigit(static_cast<unsigned char>(peek(n + 1)))) {
      is_float = true;
      ++n;
      while (std::isdigit(static_cast<unsigned char>(peek(n)))) {
        ++n;
      }
    }
    if (peek(n) == 'e' || peek(n) == 'E') {
      size_t k = n + 1;
      if (peek(k) == '+' || peek(k) == '-') {
        ++k;
      }
      if (std::isdigit(static_cast<unsigned char>(peek(k)))) {
        is_float = true;
        n = k;
        while (std::isdigit(static_cast<unsigned char>(peek(n)))) {
          ++n;
        }
      }
    }
    const std::string s(text_.substr(pos_, n));
    advance(n);
    if (is_float) {
      t.kind = Tok::Float;
      t.float_value = std::strtod(s.c_str(), nullptr);
    } else {
      t.kind = Tok::Int;
      uint64_t v = 0;
      const bool octal = s.size() > 1 && s[0] == '0';
      for (char ch : s) {
        if (octal && ch > '7') {
          throw LoadError(t.line, t.col, "bad octal literal");
        }
        v = v * (octal ? 8 : 10) + static_cast<uint64_t>(ch - '0');
      }
      t.int_value = v;
    }
  }
  if (peek() == 'U' || peek() == 'u') {
    advance();
  }
  if (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_') {
    throw LoadError(line_, col_, "bad character in number");
  }
  t.text = text_.substr(start, pos_ - start);
  return t;
}

Token Lexer::next() {
  skip_space();
  Token t;
  t.line = line_;
  t.col = col_;
  if (pos_ >= text_.size()) {
    return t;
  }
  const char c = peek();
  if (std::isdigit(static_cast<unsigned char>(c))) {
    return number(t);
  }
  if (ident_start(c) && !(c == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))) {
    size_t n = 1;
    while (ident_char(peek(n))) {
      // "a::b" belongs to an identifier (cache hints), a lone ':' ends it (labels).
      if (peek(n) == ':' && peek(n + 1) != ':' && (n == 0 || peek(n - 1) != ':')) {
        break;
      }
      ++n;
    }
    t.kind = Tok::Ident;
    t.text = text_.substr(pos_, n);
    advance(n);
    return t;
  }
  if (c == '"') {
    size_t n = 1;
    while (pos_ + n < text_.size() && peek(n) != '"' && peek(n) != '\n') {
      ++n;
    }
    if (peek(n) != '"') {
      throw LoadError(line_, col_, "unterminated string");
    }
    t.kind = Tok::String;
    t.text = text_.substr(pos_, n + 1);
    advance(n + 1);
    return t;
  }
  static constexpr std::string_view kPunct = ",;:[]{}()+-<>@!|=*";
  if (kPunct.find(c) != std::string_view::npos) {
    t.kind = Tok::Punct;
    t.text = text_.substr(pos_, 1);
    advance();
    return t;
  }
  throw LoadError(line_, col_, std::string("unexpected character '") + c + "'");
}

}  // namespace cxlsim::ptx
