#include "vm/qmp.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace cxlsim::vm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

QmpError::QmpError(std::string_view command, std::string error_class, std::string desc)
    : OperationError(fmt::format("{}: {} ({})", command, desc, error_class)),
      class_(std::move(error_class)),
      desc_(std::move(desc)) {}

Qmp Qmp::connect(const fs::path& path, Milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.empty() || p.size() >= sizeof(addr.sun_path)) {
    throw OperationError(fmt::format("QMP socket '{}': the path must have 1 to {} characters", p,
                                     sizeof(addr.sun_path) - 1));
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw OperationError(
        fmt::format("QMP socket {}: no such socket (is the guest running, with "
                    "`cxlsim vm run --qmp {}`?)",
                    p, p));
  }
  if (!fs::is_socket(path, ec)) {
    throw OperationError(fmt::format("QMP socket {}: not a socket", p));
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw OperationError(fmt::format("QMP socket {}: {}", p, std::strerror(errno)));
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    throw OperationError(fmt::format("QMP socket {}: cannot connect: {}{}", p, std::strerror(err),
                                     err == ECONNREFUSED ? " (the guest has exited)" : ""));
  }
  return {fd, p, timeout};
}

Qmp::Qmp(int fd, std::string origin, Milliseconds timeout) : fd_(fd), origin_(std::move(origin)) {
  try {
    auto greeting = read_message(Clock::now() + timeout);
    if (!greeting || !greeting->contains("QMP")) {
      throw OperationError(
          fmt::format("QMP socket {}: no QMP greeting within {} ms", origin_, timeout.count()));
    }
    execute("qmp_capabilities", nullptr, timeout);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

Qmp::Qmp(Qmp&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      origin_(std::move(other.origin_)),
      buffer_(std::move(other.buffer_)),
      events_(std::move(other.events_)),
      next_id_(other.next_id_) {}

Qmp::~Qmp() {
  if (fd_ >= 0) ::close(fd_);
}

void Qmp::send(const json& message) {
  const std::string text = message.dump() + "\r\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw OperationError(
          fmt::format("QMP socket {}: cannot send: {}", origin_, std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

std::optional<json> Qmp::read_message(Clock::time_point deadline) {
  std::array<char, 4096> buf{};
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json message = json::parse(line, nullptr, false);
      if (message.is_discarded() || !message.is_object()) {
        throw OperationError(
            fmt::format("QMP socket {}: malformed message: {}", origin_, line.substr(0, 200)));
      }
      return message;
    }
    const auto left = std::chrono::ceil<Milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long>(left, 1000)));
    if (ready < 0 && errno != EINTR) {
      throw OperationError(fmt::format("QMP socket {}: {}", origin_, std::strerror(errno)));
    }
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw OperationError(fmt::format("QMP socket {}: QEMU closed the connection", origin_));
    }
    buffer_.append(buf.data(), static_cast<std::size_t>(n));
  }
}

json Qmp::execute(std::string_view command, const json& arguments, Milliseconds timeout) {
  const long id = next_id_++;
  json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  send(request);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto message = read_message(deadline);
    if (!message) {
      throw OperationError(fmt::format("QMP socket {}: no answer to {} within {} ms", origin_,
                                       command, timeout.count()));
    }
    if (message->contains("event")) {
      events_.push_back(std::move(*message));
      continue;
    }
    if (message->value("id", json()) != id) continue;  // an answer to an abandoned command
    if (auto e = message->find("error"); e != message->end()) {
      throw QmpError(command, e->value("class", "GenericError"), e->value("desc", ""));
    }
    return message->value("return", json::object());
  }
}

std::string Qmp::human_monitor_command(std::string_view command_line) {
  json r = execute("human-monitor-command", {{"command-line", command_line}});
  return r.is_string() ? r.get<std::string>() : std::string();
}

std::optional<json> Qmp::wait_event(std::string_view name,
                                    const std::function<bool(const json&)>& match,
                                    Milliseconds timeout) {
  auto take = [&](const json& event) -> std::optional<json> {
    if (event.value("event", "") != name) return std::nullopt;
    json data = event.value("data", json());
    if (match && !match(data)) return std::nullopt;
    return data;
  };
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (auto data = take(*it)) {
      events_.erase(it);
      return data;
    }
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto message = read_message(deadline);
    if (!message) return std::nullopt;
    if (!message->contains("event")) continue;  // a late answer to an abandoned command
    if (auto data = take(*message)) return data;
    events_.push_back(std::move(*message));
  }
}

}  // namespace cxlsim::vm
