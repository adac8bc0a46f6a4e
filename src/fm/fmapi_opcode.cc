#include "fm/fmapi_opcode.h"

namespace cxlsim::fm {

std::string_view opcode_name(uint16_t opcode) {
  switch (static_cast<FmApiOpcode>(opcode)) {
    case FmApiOpcode::kIdentify:
      return "Identify";
    case FmApiOpcode::kIdentifySwitchDevice:
      return "Identify Switch Device";
    case FmApiOpcode::kGetVirtualCxlSwitchInfo:
      return "Get Virtual CXL Switch Info";
    case FmApiOpcode::kBindVppb:
      return "Bind vPPB";
    case FmApiOpcode::kUnbindVppb:
      return "Unbind vPPB";
    case FmApiOpcode::kTunnelManagementCommand:
      return "Tunnel Management Command";
    case FmApiOpcode::kGetLdInfo:
      return "Get LD Info";
    case FmApiOpcode::kGetLdAllocations:
      return "Get LD Allocations";
    case FmApiOpcode::kSetLdAllocations:
      return "Set LD Allocations";
    case FmApiOpcode::kGetDcdInfo:
      return "Get DCD Info";
    case FmApiOpcode::kGetHostDcRegionConfig:
      return "Get Host DC Region Configuration";
    case FmApiOpcode::kGetDcRegionExtentLists:
      return "Get DC Region Extent Lists";
    case FmApiOpcode::kInitiateDcAdd:
      return "Initiate Dynamic Capacity Add";
    case FmApiOpcode::kInitiateDcRelease:
      return "Initiate Dynamic Capacity Release";
    case FmApiOpcode::kAuthenticate:
      return "Authenticate (cxlsim)";
    case FmApiOpcode::kGetPoolNames:
      return "Get Pool Names (cxlsim)";
    case FmApiOpcode::kAttachHost:
      return "Attach Host (cxlsim)";
    case FmApiOpcode::kGetPoolState:
      return "Get Pool State (cxlsim)";
  }
  return "Unknown";
}

}  // namespace cxlsim::fm
