// A client of the QEMU Machine Protocol (QMP, QEMU's docs/interop/qmp-spec.rst) over a Unix
// socket: `qemu -qmp unix:PATH,server=on,wait=off` listens, this connects per operation.
//
// Framing: every message is one JSON object; QEMU ends each with "\r\n" and reads objects as
// they parse. Server -> client: the greeting {"QMP": {...}}, then per command one
// {"return": ..., "id": ...} or {"error": {"class", "desc"}, "id": ...}, with asynchronous
// {"event": NAME, "data": ..., "timestamp": ...} messages interleaved anywhere. The client
// sends {"execute": NAME, "arguments": {...}, "id": N}; the first command must be
// qmp_capabilities (capabilities negotiation mode).
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "spec/error.h"

namespace cxlsim::vm {

// A command QEMU answered with {"error": ...}: what() is "<command>: <desc> (<class>)".
class QmpError : public OperationError {
 public:
  QmpError(std::string_view command, std::string error_class, std::string desc);
  [[nodiscard]] const std::string& error_class() const { return class_; }  // e.g. GenericError
  [[nodiscard]] const std::string& desc() const { return desc_; }

 private:
  std::string class_;
  std::string desc_;
};

class Qmp {
 public:
  using Milliseconds = std::chrono::milliseconds;

  // Connects to the QMP socket `path`, reads the greeting and leaves capabilities negotiation
  // mode. Throws OperationError naming the path when there is no such socket, nobody listens,
  // or the peer does not greet as QMP within `timeout`.
  static Qmp connect(const std::filesystem::path& path, Milliseconds timeout = Milliseconds(10000));

  // Takes over a connected stream socket `fd` (closed by the destructor) and negotiates as
  // connect() does; `origin` names the peer in messages.
  Qmp(int fd, std::string origin, Milliseconds timeout);
  Qmp(Qmp&& other) noexcept;
  Qmp& operator=(Qmp&&) = delete;
  Qmp(const Qmp&) = delete;
  Qmp& operator=(const Qmp&) = delete;
  ~Qmp();

  // Runs `command` with `arguments` (an object, or null for none) and returns its "return"
  // value. Events arriving meanwhile are kept for wait_event. Throws QmpError when QEMU answers
  // with an error, OperationError when the connection closes or no answer comes in `timeout`.
  nlohmann::json execute(std::string_view command, const nlohmann::json& arguments = nullptr,
                         Milliseconds timeout = Milliseconds(30000));

  // An HMP command through human-monitor-command; returns its text output.
  std::string human_monitor_command(std::string_view command_line);

  // The first event named `name` whose data satisfies `match` (any, when empty), received
  // before this call or within `timeout`; its "data" (null when absent). Earlier events that do
  // not match stay queued. nullopt on timeout. Throws OperationError when the connection closes.
  std::optional<nlohmann::json> wait_event(std::string_view name,
                                           const std::function<bool(const nlohmann::json&)>& match,
                                           Milliseconds timeout);

 private:
  // The next message; nullopt when none is complete by `deadline`.
  std::optional<nlohmann::json> read_message(std::chrono::steady_clock::time_point deadline);
  void send(const nlohmann::json& message);

  int fd_ = -1;
  std::string origin_;
  std::string buffer_;  // bytes received, not yet parsed
  std::deque<nlohmann::json> events_;
  long next_id_ = 1;
};

}  // namespace cxlsim::vm
