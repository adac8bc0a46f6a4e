// One vfio-user connection as the device server reads and answers it (vfio_user.h): whole
// messages out of a buffered input, replies gathered into one write. A client that posts
// register writes and then asks for a read (the shim's and the QEMU device's command: PARAMs,
// CMD, the CMD_STATUS read) sends them in one write; the server then reads them with one recv
// and answers them with one send, instead of a poll, two reads and a write per message: on a
// small VM each system call costs about a microsecond, most of a command's round trip
// (docs/accel.md, "Speed").
//
// Order is kept: replies leave in the order they were queued, and queued replies are sent before
// the stream waits for more input, so a client never waits for a reply held back here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "accel/vfio_user.h"

namespace cxlsim::accel {

class VfuStream {
 public:
  // Takes no ownership of `fd` (a connected stream socket).
  explicit VfuStream(int fd) : fd_(fd) {}

  // What next() found.
  enum class Next { kMessage, kIdle, kClosed, kMalformed };

  // The next whole message: its header and payload. kIdle when none came within ~100 ms (the
  // caller checks whether to stop and calls again); kClosed at end of stream or on an error;
  // kMalformed for a header that is not a command or whose size is out of bounds (the caller
  // closes the connection). Sends the queued replies before it waits for input.
  Next next(vfu_header& h, std::vector<std::byte>& payload);

  // Queues the reply `h` + payload `n` bytes; with fd_to_pass >= 0 the queue and this message
  // are sent at once, the descriptor with SCM_RIGHTS. False when the connection failed.
  bool send(const vfu_header& h, const void* payload, size_t n, int fd_to_pass = -1);

  // Sends the queued replies. False when the connection failed.
  bool flush();

 private:
  // Bytes of input buffered and not consumed yet.
  [[nodiscard]] size_t buffered() const { return in_end_ - in_start_; }
  // Waits for input (spinning first, then sleeping up to 100 ms) and reads what is there.
  // kMessage when bytes came, else kIdle or kClosed.
  Next fill();
  // Moves n bytes of the buffered input to `out`, then reads the rest from the socket.
  bool take(std::byte* out, size_t n);

  int fd_;
  std::vector<std::byte> in_ = std::vector<std::byte>(kBufferBytes);
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  std::vector<std::byte> out_;
  static constexpr size_t kBufferBytes = size_t{64} * 1024;
};

}  // namespace cxlsim::accel
