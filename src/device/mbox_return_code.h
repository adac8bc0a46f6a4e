// Mailbox return codes (CXL 3.1 §8.2.9, Table 8-34). Every command completes with exactly one.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxlsim::device {

enum class MboxReturn : uint16_t {
  kSuccess = 0x0000,
  kBackgroundCommandStarted = 0x0001,
  kInvalidInput = 0x0002,
  kUnsupported = 0x0003,
  kInternalError = 0x0004,
  kRetryRequired = 0x0005,
  kBusy = 0x0006,
  kMediaDisabled = 0x0007,
  kFwTransferInProgress = 0x0008,
  kFwTransferOutOfOrder = 0x0009,
  kFwVerificationFailed = 0x000a,
  kInvalidSlot = 0x000b,
  kActivationFailedRolledBack = 0x000c,
  kActivationFailedColdResetRequired = 0x000d,
  kInvalidHandle = 0x000e,
  kInvalidPhysicalAddress = 0x000f,
  kInjectPoisonLimitReached = 0x0010,
  kPermanentMediaFailure = 0x0011,
  kAborted = 0x0012,
  kInvalidSecurityState = 0x0013,
  kIncorrectPassphrase = 0x0014,
  kUnsupportedMailboxOrCci = 0x0015,
  kInvalidPayloadLength = 0x0016,
  kInvalidLog = 0x0017,
  kInterrupted = 0x0018,
  kUnsupportedFeatureVersion = 0x0019,
  kUnsupportedFeatureSelectionValue = 0x001a,
  kFeatureTransferInProgress = 0x001b,
  kFeatureTransferOutOfOrder = 0x001c,
  kResourcesExhausted = 0x001d,
  kInvalidExtentList = 0x001e,
  kTransferOutOfOrder = 0x001f,
  kRequestAbortNotSupported = 0x0020,
};

// The spec's name for a return code ("Invalid Payload Length"); "Reserved" for unknown values.
std::string_view return_code_name(MboxReturn rc);

}  // namespace cxlsim::device
