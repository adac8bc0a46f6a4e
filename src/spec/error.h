// The error kinds every layer throws, and what each means to a user. Every message names the
// element it is about, so a user can find it. The CLI maps them to exit statuses
// (src/cli/exit_status.h): bad input 2, a failed operation 1, anything else an internal fault.
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

// A well-formed request that could not be carried out: a file that cannot be written, an external
// program (QEMU, gnuplot) that failed, a resource that ran out. Not the user's input, not a bug.
class OperationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cxlsim
