#include "device/mbox_return_code.h"

#include <array>

namespace cxlsim::device {

std::string_view return_code_name(MboxReturn rc) {
  static constexpr std::array<std::string_view, 0x21> kNames = {
      "Success",
      "Background Command Started",
      "Invalid Input",
      "Unsupported",
      "Internal Error",
      "Retry Required",
      "Busy",
      "Media Disabled",
      "FW Transfer in Progress",
      "FW Transfer Out of Order",
      "FW Verification Failed",
      "Invalid Slot",
      "Activation Failed, FW Rolled Back",
      "Activation Failed, Cold Reset Required",
      "Invalid Handle",
      "Invalid Physical Address",
      "Inject Poison Limit Reached",
      "Permanent Media Failure",
      "Aborted",
      "Invalid Security State",
      "Incorrect Passphrase",
      "Unsupported Mailbox or CCI",
      "Invalid Payload Length",
      "Invalid Log",
      "Interrupted",
      "Unsupported Feature Version",
      "Unsupported Feature Selection Value",
      "Feature Transfer in Progress",
      "Feature Transfer Out of Order",
      "Resources Exhausted",
      "Invalid Extent List",
      "Transfer Out of Order",
      "Request Abort Not Supported"};
  const auto v = static_cast<uint16_t>(rc);
  return v < kNames.size() ? kNames[v] : std::string_view("Reserved");
}

}  // namespace cxlsim::device
