#include "fm/fm_client.h"

#include <fmt/format.h>
#include <unistd.h>

#include "device/mbox_return_code.h"
#include "fm/fm_frame.h"
#include "fm/fmapi_opcode.h"
#include "fm/fmapi_payloads.h"
#include "spec/error.h"
#include "spec/unix_socket.h"

namespace cxlsim::fm {

FmClient::FmClient(const std::string& socket, const std::string& key)
    : fd_(connect_unix(socket)), socket_(socket) {
  if (key.empty()) return;
  const CciMessage r = request(static_cast<uint16_t>(FmApiOpcode::kAuthenticate),
                               std::vector<uint8_t>(key.begin(), key.end()));
  if (r.return_code != 0) {
    throw OperationError(
        fmt::format("fabric manager at {} refused the key: {}", socket,
                    device::return_code_name(static_cast<device::MboxReturn>(r.return_code))));
  }
  principal_.assign(r.payload.begin(), r.payload.end());
}

FmClient::~FmClient() {
  if (fd_ >= 0) ::close(fd_);
}

CciMessage FmClient::request(uint16_t opcode, const std::vector<uint8_t>& payload) {
  const CciMessage m{CciMessage::kRequest, ++tag_, opcode, 0, payload};
  const std::vector<uint8_t> bytes = encode_frame(m);
  std::vector<uint8_t> head(kFrameFixedSize);
  uint32_t length = 0;
  if (!write_all(fd_, bytes.data(), bytes.size()) || !read_exact(fd_, head.data(), head.size()) ||
      check_frame_start(head, &length) != FrameError::kNone) {
    throw OperationError(fmt::format("fabric manager at {} closed the connection", socket_));
  }
  head.resize(kFrameFixedSize + length);
  if (length > 0 && !read_exact(fd_, head.data() + kFrameFixedSize, length)) {
    throw OperationError(fmt::format("fabric manager at {} closed the connection", socket_));
  }
  auto r = decode_cci_message(std::span<const uint8_t>(head).subspan(FrameHeader::kSize));
  if (!r || r->category != CciMessage::kResponse || r->tag != m.tag) {
    throw OperationError(fmt::format("fabric manager at {} sent a malformed response", socket_));
  }
  return *r;
}

CciMessage FmClient::tunnel(unsigned port, uint16_t opcode, const std::vector<uint8_t>& payload) {
  namespace pl = payload;
  const std::vector<uint8_t> inner =
      encode_cci_message({CciMessage::kRequest, ++tag_, opcode, 0, payload});
  std::vector<uint8_t> in(pl::TunnelIn::kMessage, 0);
  pl::TunnelIn::kPortOrLdId.put(in, port);
  pl::TunnelIn::kCommandSize.put(in, inner.size());
  in.insert(in.end(), inner.begin(), inner.end());
  const CciMessage outer =
      request(static_cast<uint16_t>(FmApiOpcode::kTunnelManagementCommand), in);
  if (outer.return_code != 0) return {CciMessage::kResponse, 0, opcode, outer.return_code, {}};
  const auto r = outer.payload.size() >= pl::TunnelOut::kMessage
                     ? decode_cci_message(
                           std::span<const uint8_t>(outer.payload).subspan(pl::TunnelOut::kMessage))
                     : std::nullopt;
  if (!r) {
    throw OperationError(
        fmt::format("fabric manager at {} sent a malformed tunnel response", socket_));
  }
  return *r;
}

}  // namespace cxlsim::fm
