#include "accel/vfu_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "spec/unix_socket.h"

namespace cxlsim::accel {
namespace {

// Sends the parts of `iov` (and, when fd_to_pass >= 0, that descriptor with SCM_RIGHTS with the
// first bytes). False when the connection failed.
bool send_parts(int fd, iovec* iov, size_t parts, int fd_to_pass) {
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = parts;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd_to_pass >= 0) {
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
  }
  while (m.msg_iovlen > 0) {
    const ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    // A partial send: the rest goes without the descriptor.
    m.msg_control = nullptr;
    m.msg_controllen = 0;
    auto done = static_cast<size_t>(w);
    while (m.msg_iovlen > 0 && done >= m.msg_iov->iov_len) {
      done -= m.msg_iov->iov_len;
      ++m.msg_iov;
      --m.msg_iovlen;
    }
    if (m.msg_iovlen > 0) {
      m.msg_iov->iov_base = static_cast<char*>(m.msg_iov->iov_base) + done;
      m.msg_iov->iov_len -= done;
    }
  }
  return true;
}

// Whether `fd` has data within 100 ms. It first polls without sleeping for up to 50 us: a
// client's next message usually follows at once, and a thread woken from sleep costs ~25 us on
// a small VM, more than the command itself.
bool wait_readable_spinning(int fd) {
  pollfd p{fd, POLLIN, 0};
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  do {
    if (poll(&p, 1, 0) > 0) return true;
  } while (std::chrono::steady_clock::now() < spin_until);
  return poll(&p, 1, 100) > 0;
}

}  // namespace

VfuStream::Next VfuStream::fill() {
  if (!flush()) return Next::kClosed;
  if (!wait_readable_spinning(fd_)) return Next::kIdle;
  if (in_start_ == in_end_) in_start_ = in_end_ = 0;
  if (in_end_ == in_.size()) {  // make room: move what is left to the front
    std::memmove(in_.data(), in_.data() + in_start_, buffered());
    in_end_ -= in_start_;
    in_start_ = 0;
  }
  ssize_t r = 0;
  do {
    r = recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return Next::kClosed;
  in_end_ += static_cast<size_t>(r);
  return Next::kMessage;
}

bool VfuStream::take(std::byte* out, size_t n) {
  const size_t have = std::min(n, buffered());
  std::memcpy(out, in_.data() + in_start_, have);
  in_start_ += have;
  return have == n || read_exact(fd_, out + have, n - have);
}

VfuStream::Next VfuStream::next(vfu_header& h, std::vector<std::byte>& payload) {
  while (buffered() < sizeof h) {
    const Next got = fill();
    if (got != Next::kMessage) return got;
  }
  std::memcpy(&h, in_.data() + in_start_, sizeof h);
  if (h.size < sizeof h || h.size > VFU_MAX_MESSAGE ||
      (h.flags & VFU_FLAG_TYPE_MASK) != VFU_FLAG_COMMAND) {
    return Next::kMalformed;
  }
  in_start_ += sizeof h;
  payload.resize(h.size - sizeof h);
  // What is not buffered yet is read straight into the payload (large writes skip the buffer).
  if (!payload.empty() && !take(payload.data(), payload.size())) return Next::kClosed;
  return Next::kMessage;
}

bool VfuStream::send(const vfu_header& h, const void* payload, size_t n, int fd_to_pass) {
  if (fd_to_pass < 0 && out_.size() + sizeof h + n <= kBufferBytes) {
    const auto* hb = reinterpret_cast<const std::byte*>(&h);
    out_.insert(out_.end(), hb, hb + sizeof h);
    const auto* pb = static_cast<const std::byte*>(payload);
    if (n > 0) out_.insert(out_.end(), pb, pb + n);
    return true;
  }
  // Too large for the queue, or a descriptor (sent with this message's first byte, so the
  // queue goes first): the message in a write of its own.
  if (!flush()) return false;
  iovec iov[2] = {{const_cast<vfu_header*>(&h), sizeof h}, {const_cast<void*>(payload), n}};
  return send_parts(fd_, iov, n > 0 ? 2 : 1, fd_to_pass);
}

bool VfuStream::flush() {
  if (out_.empty()) return true;
  iovec iov{out_.data(), out_.size()};
  const bool ok = send_parts(fd_, &iov, 1, -1);
  out_.clear();
  return ok;
}

}  // namespace cxlsim::accel
