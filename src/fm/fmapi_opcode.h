// FM-API command opcodes (CXL 3.2 §7.6.7; command set in the high byte, command in the low) and
// the vendor-specific commands of cxlsim's fabric manager (§8.2.9 reserves C000h-FFFFh for
// vendor-specific commands).
#pragma once

#include <cstdint>
#include <string_view>

namespace cxlsim::fm {

enum class FmApiOpcode : uint16_t {
  kIdentify = 0x0001,                 // Information and Status, §8.2.10.1.1
  kIdentifySwitchDevice = 0x5100,     // Physical Switch, §7.6.7.1.1
  kGetVirtualCxlSwitchInfo = 0x5200,  // Virtual Switch, §7.6.7.2.1
  kBindVppb = 0x5201,                 // §7.6.7.2.2
  kUnbindVppb = 0x5202,               // §7.6.7.2.3
  kTunnelManagementCommand = 0x5300,  // MLD Port, §7.6.7.3.1
  kGetLdInfo = 0x5400,                // MLD Components, §7.6.7.4.1
  kGetLdAllocations = 0x5401,         // §7.6.7.4.2
  kSetLdAllocations = 0x5402,         // §7.6.7.4.3
  kGetDcdInfo = 0x5600,               // DCD Management, §7.6.7.6.1
  kGetHostDcRegionConfig = 0x5601,    // §7.6.7.6.2
  kGetDcRegionExtentLists = 0x5603,   // §7.6.7.6.4
  kInitiateDcAdd = 0x5604,            // §7.6.7.6.5
  kInitiateDcRelease = 0x5605,        // §7.6.7.6.6
  // cxlsim vendor-specific commands (docs/fm.md).
  kAuthenticate = 0xc000,  // the connection's key; must come first
  kGetPoolNames = 0xc001,  // names of VCSs (hosts) and physical ports (devices)
  kAttachHost = 0xc002,    // a running guest of a host: its QMP socket
  kGetPoolState = 0xc003,  // the whole persisted state, as its JSON file holds it
};

// The spec's name of a command ("Bind vPPB"); "Unknown" for other values.
std::string_view opcode_name(uint16_t opcode);

}  // namespace cxlsim::fm
