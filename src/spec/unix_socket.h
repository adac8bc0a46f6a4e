// Stream Unix sockets as every cxlsim daemon and client uses them: listening on a path,
// connecting to one, and whole-buffer reads and writes that retry on EINTR and partial transfers.
#pragma once

#include <cstddef>
#include <string>

namespace cxlsim {

// A listening socket at `path` (an existing socket file there is replaced), mode as the umask
// leaves it. Throws ValidationError for a path that does not fit sockaddr_un, OperationError
// naming the path when binding fails.
[[nodiscard]] int listen_unix(const std::string& path);

// A socket connected to `path`. Throws OperationError naming the path and the reason.
[[nodiscard]] int connect_unix(const std::string& path);

// Reads exactly n bytes; false on end of file or error.
[[nodiscard]] bool read_exact(int fd, void* p, size_t n);

// Writes all n bytes (no SIGPIPE); false on error.
[[nodiscard]] bool write_all(int fd, const void* p, size_t n);

// Whether `fd` is readable (data or end of file) within `timeout_ms`.
[[nodiscard]] bool wait_readable(int fd, int timeout_ms);

}  // namespace cxlsim
