// libFuzzer harness: the fabric manager's frame header decoder, then Bind/Unbind vPPB and
// Initiate DC Add payloads applied to builtin:pool-2host; the pool's invariants must hold after
// every request, refused or not (docs/fm.md).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <span>

#include "fabric/topology_loader.h"
#include "fm/fmapi_frame.h"
#include "fm/fmapi_opcode.h"
#include "fm/fmapi_payloads.h"
#include "fm/pool.h"

namespace {

using cxlsim::fm::FmApiOpcode;
namespace payload = cxlsim::fm::payload;

// Host name of a VCS ID (file order of [[host]]), or "" when there is none.
std::string host_of(const cxlsim::fm::Pool& p, uint64_t vcs) {
  const auto& hosts = p.topology().hosts;
  return vcs < hosts.size() ? hosts[vcs].id : "";
}

void apply(cxlsim::fm::Pool& p, uint16_t opcode, std::span<const uint8_t> b) {
  if (opcode == static_cast<uint16_t>(FmApiOpcode::kBindVppb) &&
      b.size() >= payload::BindVppb::kSize) {
    (void)p.bind(host_of(p, payload::BindVppb::kVcsId.get(b)),
                 static_cast<unsigned>(payload::BindVppb::kVppbId.get(b)),
                 {"mld0", static_cast<unsigned>(payload::BindVppb::kLdId.get(b))});
  } else if (opcode == static_cast<uint16_t>(FmApiOpcode::kUnbindVppb) &&
             b.size() >= payload::UnbindVppb::kSize) {
    (void)p.unbind(host_of(p, payload::UnbindVppb::kVcsId.get(b)),
                   static_cast<unsigned>(payload::UnbindVppb::kVppbId.get(b)));
  } else if (opcode == static_cast<uint16_t>(FmApiOpcode::kInitiateDcAdd) &&
             b.size() >= payload::InitiateDcAdd::kExtents) {
    (void)p.dc_add("dcd0", host_of(p, payload::InitiateDcAdd::kHostId.get(b)),
                   static_cast<unsigned>(payload::InitiateDcAdd::kRegionNumber.get(b)),
                   payload::InitiateDcAdd::kLength.get(b), nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cxlsim::Topology kPool = cxlsim::load_topology("builtin:pool-2host");
  cxlsim::fm::Pool pool(kPool);
  std::span<const uint8_t> rest(data, size);
  // A stream of frames, as one connection would carry them.
  while (rest.size() >= cxlsim::fm::FrameHeader::kSize) {
    const auto d = cxlsim::fm::decode_header(rest);
    if (!d.header) break;
    rest = rest.subspan(cxlsim::fm::FrameHeader::kSize);
    const size_t n = std::min<size_t>(d.header->payload_length, rest.size());
    apply(pool, d.header->opcode, rest.first(n));
    rest = rest.subspan(n);
    if (!pool.check_invariants().empty()) std::abort();
  }
  return 0;
}
