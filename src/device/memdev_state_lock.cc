#include "device/memdev_state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cxlsim::device {

MemdevStateLock::MemdevStateLock(const std::string& state_path) : path_(state_path + ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw std::runtime_error(path_ + ": cannot create the state lock: " + std::strerror(errno));
  }
  int rc = 0;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int e = errno;
    ::close(fd_);
    throw std::runtime_error(path_ + ": cannot lock the state: " + std::strerror(e));
  }
}

MemdevStateLock::~MemdevStateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace cxlsim::device
