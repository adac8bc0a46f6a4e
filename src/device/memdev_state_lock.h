// Serializes the read-modify-write of one memdev's persisted state between processes: an
// exclusive advisory lock (flock(2)) on "<state path>.lock", held from before the state is
// loaded until after it is durably saved, so that concurrent `cxlsim mbox` invocations on one
// memdev run one after the other and none overwrites another's change.
#pragma once

#include <string>

namespace cxlsim::device {

class MemdevStateLock {
 public:
  // Blocks until the lock on `state_path` + ".lock" is held. Throws std::runtime_error naming
  // the lock file when it cannot be created or locked (e.g. a missing state directory).
  explicit MemdevStateLock(const std::string& state_path);
  ~MemdevStateLock();
  MemdevStateLock(const MemdevStateLock&) = delete;
  MemdevStateLock& operator=(const MemdevStateLock&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace cxlsim::device
