// Errors for bad input. Every message names the element it is about, so a user can find it.
#pragma once

#include <stdexcept>
#include <string>

namespace cxlsim {

// Input that cannot be read (syntax, units, unknown keys). Carries where it was found.
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Input that was read but describes something invalid (a topology, a region request).
class ValidationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cxlsim
