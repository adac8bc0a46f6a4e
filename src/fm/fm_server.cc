#include "fm/fm_server.h"

#include <unistd.h>

#include <optional>

#include "fm/fm_frame.h"
#include "fm/fmapi_opcode.h"
#include "spec/unix_socket.h"

namespace cxlsim::fm {

namespace {
// The next request of a stream; nullopt at end of stream or for a frame that does not decode.
std::optional<CciMessage> read_request(int fd) {
  std::vector<uint8_t> buf(kFrameFixedSize);
  if (!read_exact(fd, buf.data(), buf.size())) return std::nullopt;
  uint32_t length = 0;
  if (check_frame_start(buf, &length) != FrameError::kNone) return std::nullopt;
  buf.resize(kFrameFixedSize + length);
  if (length > 0 && !read_exact(fd, buf.data() + kFrameFixedSize, length)) return std::nullopt;
  auto m = decode_cci_message(std::span<const uint8_t>(buf).subspan(FrameHeader::kSize));
  if (!m || m->category != CciMessage::kRequest) return std::nullopt;
  return m;
}

bool send(int fd, const CciMessage& m) {
  const std::vector<uint8_t> bytes = encode_frame(m);
  return write_all(fd, bytes.data(), bytes.size());
}

CciMessage refusal(const CciMessage& request, MboxReturn rc) {
  return {CciMessage::kResponse, request.tag, request.opcode, static_cast<uint16_t>(rc), {}};
}
}  // namespace

void FmServer::serve_stream(int fd) {
  std::optional<Principal> who;
  while (!server_.stopping()) {
    if (!wait_readable(fd, 100)) continue;
    const auto request = read_request(fd);
    if (!request) break;
    ++requests_;
    if (who) {
      if (!send(fd, fm_.handle(*who, *request))) break;
      continue;
    }
    if (request->opcode != static_cast<uint16_t>(FmApiOpcode::kAuthenticate)) {
      (void)send(fd, refusal(*request, MboxReturn::kInvalidSecurityState));
      break;
    }
    who = fm_.keys().authenticate(std::string_view(
        reinterpret_cast<const char*>(request->payload.data()), request->payload.size()));
    if (!who) {
      (void)send(fd, refusal(*request, MboxReturn::kIncorrectPassphrase));
      break;
    }
    const std::string name = who->name();
    CciMessage ok = refusal(*request, MboxReturn::kSuccess);
    ok.payload.assign(name.begin(), name.end());
    if (!send(fd, ok)) break;
  }
  ::close(fd);
}

}  // namespace cxlsim::fm
