// libFuzzer harness: the fabric manager's socket server (FM-API frames in, the pool state
// behind). The first input byte picks who speaks (0: the admin key, 1: host h0's key, else no
// key); the harness authenticates with that key and the rest of the input is the byte stream
// the client sends, written whole into a socketpair, then shut. Any input must end in answers or
// a closed connection, never a crash, and must leave the pool's invariants intact.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fabric/topology_loader.h"
#include "fm/fabric_manager.h"
#include "fm/fm_frame.h"
#include "fm/fm_keys.h"
#include "fm/fm_server.h"
#include "fm/fmapi_opcode.h"

namespace {
std::filesystem::path state_dir() {
  const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  return base / ("cxlsim-fuzz-fm-" + std::to_string(::getpid()));
}

std::vector<uint8_t> authenticate(const std::string& key) {
  using namespace cxlsim::fm;
  return encode_frame({CciMessage::kRequest, 0, static_cast<uint16_t>(FmApiOpcode::kAuthenticate),
                       0, std::vector<uint8_t>(key.begin(), key.end())});
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cxlsim;
  if (size == 0 || size > 60000) return 0;  // the whole input must fit the socket's buffer
  static const std::filesystem::path kDir = state_dir();
  static fm::FabricManager manager(load_valid_topology("builtin:pool-2host"), {kDir, {}});
  static fm::FmServer server(manager);
  static const std::string kAdmin = fm::read_key_file(fm::KeyRing::admin_key_path(kDir));
  static const std::string kH0 = fm::read_key_file(fm::KeyRing::host_key_path(kDir, "h0"));
  std::vector<uint8_t> stream;
  if (data[0] < 2) stream = authenticate(data[0] == 0 ? kAdmin : kH0);
  stream.insert(stream.end(), data + 1, data + size);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
  int buf = 1 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (::write(sv[0], stream.data(), stream.size()) != static_cast<ssize_t>(stream.size())) {
    ::close(sv[0]);
    ::close(sv[1]);
    return 0;
  }
  ::shutdown(sv[0], SHUT_WR);
  fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
  server.serve_stream(sv[1]);  // closes sv[1]
  ::close(sv[0]);
  if (const std::string broken = manager.pool().check_invariants(); !broken.empty()) {
    std::fputs(broken.c_str(), stderr);
    std::abort();
  }
  return 0;
}
