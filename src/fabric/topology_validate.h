// Checks a Topology against the rules of CXL 3.1 and of QEMU's device model before anything is
// built from it. Parsers only read; this is where references and CXL constraints are checked.
#pragma once

#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim {

enum class Severity { kWarning, kError };

// One finding about one element. `element` is the id of the element it is about ("" for the
// topology as a whole).
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string element;
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

// Every problem found, in element order. Errors: duplicate ids, bus numbers, host bridge UIDs,
// port numbers under one parent, serial numbers, chassis/slot pairs; dangling references;
// devices without memory; sizes that are not multiples of 256 MiB; unsupported interleave ways
// (not 1,2,3,4,6,8,12,16) or granularity (not a power of two in 256 B..16 KiB); window targets
// that are not host bridges; switches inside their own subtree; link widths other than
// 1, 2, 4, 8, 16 and link speed codes other than 1..6; an empty topology. Warnings: ports with
// nothing below them, a topology without windows or devices.
std::vector<Diagnostic> validate(const Topology& t);

bool has_errors(const std::vector<Diagnostic>& diagnostics);

// "error: type3 'mem0': ..." / "warning: ...".
std::string to_string(const Diagnostic& d);

// Throws ValidationError listing every error (warnings are not reported) when there is any.
void validate_or_throw(const Topology& t);

}  // namespace cxlsim
