// Exit statuses of the cxlsim command, one place for the mapping from error kinds
// (src/spec/error.h) to what a script sees:
//   0   success
//   1   a failed operation or a failed check (OperationError, a decode that finds nothing, a guest
//       that could not be booted, an I/O error)
//   2   bad input: usage errors, input that cannot be read (ParseError) or is invalid
//       (ValidationError)
//   70  an internal fault (EX_SOFTWARE from sysexits.h): a broken invariant, a logic error, out of
//       memory; the message asks for a report
#pragma once

#include <exception>
#include <string>

namespace cxlsim::cli {

inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 70;

// The status and the message for an exception that reached main().
struct ExitReport {
  int status;
  std::string message;
};

// Classifies `e` (the currently handled exception when called inside a catch block).
ExitReport classify(const std::exception_ptr& e);

}  // namespace cxlsim::cli
