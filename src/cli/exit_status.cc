#include "cli/exit_status.h"

#include <new>
#include <stdexcept>
#include <system_error>

#include "fabric/fabric.h"
#include "spec/error.h"
#include "vm/step.h"

namespace cxlsim::cli {

namespace {

ExitReport internal(const std::string& what) {
  return {kExitInternal, "internal error: " + what +
                             "\n  this is a bug in cxlsim; please report it with the command line "
                             "and input files that caused it"};
}

}  // namespace

ExitReport classify(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const ParseError& x) {
    return {kExitBadInput, x.what()};
  } catch (const ValidationError& x) {  // RegionError included
    return {kExitBadInput, x.what()};
  } catch (const OperationError& x) {
    return {kExitFailed, x.what()};
  } catch (const DecodeError& x) {
    return {kExitFailed, x.what()};
  } catch (const vm::VmError& x) {
    return {kExitFailed, x.what()};
  } catch (const std::system_error& x) {  // I/O, filesystem, threads
    return {kExitFailed, x.what()};
  } catch (const std::bad_alloc&) {
    return internal("out of memory");
  } catch (const std::logic_error& x) {  // invalid_argument, out_of_range, length_error, ...
    return internal(x.what());
  } catch (const std::runtime_error& x) {  // anything the environment refused
    return {kExitFailed, x.what()};
  } catch (const std::exception& x) {
    return internal(x.what());
  } catch (...) {
    return internal("an exception that is not a std::exception");
  }
}

}  // namespace cxlsim::cli
