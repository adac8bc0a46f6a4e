#include "cli/exit_status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <new>
#include <stdexcept>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "spec/error.h"
#include "vm/step.h"

namespace cxlsim::cli {
namespace {

template <typename E>
ExitReport classify_thrown(const E& e) {
  return classify(std::make_exception_ptr(e));
}

TEST(ExitStatus, InputThatCannotBeReadOrIsInvalidIsBadInput) {
  EXPECT_EQ(classify_thrown(ParseError("x")).status, kExitBadInput);
  EXPECT_EQ(classify_thrown(ValidationError("x")).status, kExitBadInput);
  EXPECT_EQ(classify_thrown(RegionError("x")).status, kExitBadInput);
}

TEST(ExitStatus, RefusedOperationsFail) {
  EXPECT_EQ(classify_thrown(OperationError("x")).status, kExitFailed);
  EXPECT_EQ(classify_thrown(DecodeError("x")).status, kExitFailed);
  EXPECT_EQ(classify_thrown(NoCapacityError("x")).status, kExitFailed);
  EXPECT_EQ(classify_thrown(vm::VmError("boot", "x")).status, kExitFailed);
  EXPECT_EQ(classify_thrown(std::filesystem::filesystem_error(
                                "x", std::make_error_code(std::errc::no_space_on_device)))
                .status,
            kExitFailed);
  EXPECT_EQ(classify_thrown(std::runtime_error("x")).status, kExitFailed);
}

TEST(ExitStatus, BrokenInvariantsAreInternalFaultsThatAskForAReport) {
  for (const auto& r : {classify_thrown(std::invalid_argument("field does not fit")),
                        classify_thrown(std::out_of_range("x")), classify_thrown(std::bad_alloc()),
                        classify(std::make_exception_ptr(42))}) {
    EXPECT_EQ(r.status, kExitInternal);
    EXPECT_NE(r.message.find("internal error"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("please report"), std::string::npos) << r.message;
  }
}

TEST(ExitStatus, TheMessageIsTheExceptionsOwn) {
  EXPECT_EQ(classify_thrown(ParseError("line 3: bad key")).message, "line 3: bad key");
}

}  // namespace
}  // namespace cxlsim::cli
