// Helpers for the fm layer's tests: a fresh state directory and FM-API request payloads.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "device/mbox_payloads.h"
#include "fm/cci_message.h"
#include "fm/fmapi_opcode.h"
#include "fm/fmapi_payloads.h"
#include "fm/pool.h"

namespace cxlsim::fm::testing {

// A new empty directory under the temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("cxlsim-fm-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline CciMessage request(FmApiOpcode op, std::vector<uint8_t> payload = {}) {
  return {CciMessage::kRequest, 1, static_cast<uint16_t>(op), 0, std::move(payload)};
}

inline std::vector<uint8_t> bind_payload(unsigned vcs, unsigned vppb, unsigned port, unsigned ld) {
  std::vector<uint8_t> b(payload::BindVppb::kSize, 0);
  payload::BindVppb::kVcsId.put(b, vcs);
  payload::BindVppb::kVppbId.put(b, vppb);
  payload::BindVppb::kPhysicalPortId.put(b, port);
  payload::BindVppb::kLdId.put(b, ld);
  return b;
}

inline std::vector<uint8_t> unbind_payload(unsigned vcs, unsigned vppb, unsigned option) {
  std::vector<uint8_t> b(payload::UnbindVppb::kSize, 0);
  payload::UnbindVppb::kVcsId.put(b, vcs);
  payload::UnbindVppb::kVppbId.put(b, vppb);
  payload::UnbindVppb::kOption.put(b, option);
  return b;
}

// Tunnel Management Command input carrying `op` to the device at `port`.
inline std::vector<uint8_t> tunnel_payload(unsigned port, FmApiOpcode op,
                                           std::vector<uint8_t> inner_payload) {
  const std::vector<uint8_t> inner = encode_cci_message(
      {CciMessage::kRequest, 2, static_cast<uint16_t>(op), 0, std::move(inner_payload)});
  std::vector<uint8_t> b(payload::TunnelIn::kMessage, 0);
  payload::TunnelIn::kPortOrLdId.put(b, port);
  payload::TunnelIn::kCommandSize.put(b, inner.size());
  b.insert(b.end(), inner.begin(), inner.end());
  return b;
}

// Initiate DC Add, policy Free, of `length` bytes of `region` for `host_id`.
inline std::vector<uint8_t> dc_add_payload(unsigned host_id, unsigned region, uint64_t length) {
  std::vector<uint8_t> b(payload::InitiateDcAdd::kExtents, 0);
  payload::InitiateDcAdd::kHostId.put(b, host_id);
  payload::InitiateDcAdd::kRegionNumber.put(b, region);
  payload::InitiateDcAdd::kLength.put(b, length);
  return b;
}

// Initiate DC Release, policy Prescriptive, of one range.
inline std::vector<uint8_t> dc_release_payload(unsigned host_id, const DpaRange& r) {
  namespace dp = device::payload;
  std::vector<uint8_t> b(payload::InitiateDcRelease::kExtents + dp::DcExtent::kSize, 0);
  payload::InitiateDcRelease::kHostId.put(b, host_id);
  payload::InitiateDcRelease::kFlags.put(b, payload::kRemovalPrescriptive);
  payload::InitiateDcRelease::kExtentCount.put(b, 1);
  dp::DcExtent::kDpa.put(b, payload::InitiateDcRelease::kExtents, r.dpa);
  dp::DcExtent::kLength.put(b, payload::InitiateDcRelease::kExtents, r.length);
  return b;
}

// The device's response inside a Tunnel Management Command response.
inline CciMessage tunneled(const CciMessage& outer) {
  auto m = decode_cci_message(std::span<const uint8_t>(outer.payload)
                                  .subspan(outer.payload.size() >= payload::TunnelOut::kMessage
                                               ? payload::TunnelOut::kMessage
                                               : 0));
  return m ? *m : CciMessage{CciMessage::kResponse, 0, 0, 0xffff, {}};
}

}  // namespace cxlsim::fm::testing
