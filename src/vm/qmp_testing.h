// Test helpers: a fake QMP server on one end of a socketpair, driven by a script in a thread.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "vm/qmp.h"

namespace cxlsim::vm::testing {

using nlohmann::json;
using std::chrono::milliseconds;

// The server end of a fake QMP connection: reads the client's lines, writes raw bytes.
class FakeServer {
 public:
  explicit FakeServer(int fd) : fd_(fd) {}
  ~FakeServer() { ::close(fd_); }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // The next request the client sent (one line).
  json request() {
    std::string line;
    char c = 0;
    while (::read(fd_, &c, 1) == 1 && c != '\n') line += c;
    return json::parse(line, nullptr, false);
  }
  void write(std::string_view bytes) const {
    [[maybe_unused]] auto n = ::write(fd_, bytes.data(), bytes.size());
  }
  void write_byte_by_byte(std::string_view bytes) const {
    for (char c : bytes) write(std::string_view(&c, 1));
  }
  void greet_and_negotiate() {
    write(R"({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}},)"
          R"( "capabilities": []}})"
          "\r\n");
    json r = request();
    reply(r, json::object());
  }
  void reply(const json& request, const json& value) const {
    write(json({{"return", value}, {"id", request["id"]}}).dump() + "\r\n");
  }
  static std::string event(std::string_view name, const json& data) {
    return json({{"event", name},
                 {"data", data},
                 {"timestamp", {{"seconds", 1}, {"microseconds", 2}}}})
               .dump() +
           "\r\n";
  }

 private:
  int fd_;
};

// Runs `script` on the server end of a socketpair in a thread; the client end is fd.
struct Pair {
  int fd = -1;
  std::thread server;
  explicit Pair(const std::function<void(FakeServer&)>& script) {
    std::array<int, 2> sv{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv.data()) != 0) {
      throw std::runtime_error("socketpair");
    }
    fd = sv[0];
    server = std::thread([sfd = sv[1], script] {
      FakeServer s(sfd);
      script(s);
    });
  }
  ~Pair() { server.join(); }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

// A negotiated client; the server thread is joined after the client is gone.
struct Session {
  Pair pair;
  std::optional<Qmp> qmp;
  explicit Session(const std::function<void(FakeServer&)>& script) : pair(script) {
    qmp.emplace(pair.fd, "fake", milliseconds(2000));
  }
  ~Session() { qmp.reset(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

// A fake QEMU: after the greeting, answers each request with what `handle` returns (raw
// messages, each ending in "\r\n"; answer() builds a return) until the client disconnects.
inline void serve(FakeServer& srv,
                  const std::function<std::vector<std::string>(const json&)>& handle) {
  srv.greet_and_negotiate();
  for (;;) {
    json r = srv.request();
    if (r.is_discarded() || !r.is_object()) return;
    for (const auto& m : handle(r)) srv.write(m);
  }
}

inline std::string answer(const json& request, const json& value) {
  return json({{"return", value}, {"id", request["id"]}}).dump() + "\r\n";
}

inline std::string error_answer(const json& request, std::string_view cls, std::string_view desc) {
  return json({{"error", {{"class", cls}, {"desc", desc}}}, {"id", request["id"]}}).dump() + "\r\n";
}

}  // namespace cxlsim::vm::testing
