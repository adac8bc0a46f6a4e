// Slots reused by index: where an entry lives while events refer to it by a 32-bit tag (a
// back-invalidation flow in the DCOH, a crossing parked in the shared partition). Indexes stay
// valid across acquire(); references into the pool do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cxlsim::timing {

template <class T>
class SlotPool {
 public:
  // A free slot's index: a released one (its old contents stay until overwritten) or a new,
  // value-initialised one.
  uint32_t acquire() {
    if (free_.empty()) {
      slots_.emplace_back();
      return static_cast<uint32_t>(slots_.size() - 1);
    }
    const uint32_t i = free_.back();
    free_.pop_back();
    return i;
  }
  void release(uint32_t i) { free_.push_back(i); }
  T& operator[](size_t i) { return slots_[i]; }
  const T& operator[](size_t i) const { return slots_[i]; }
  // Slots handed out ever (an index at or above it was never acquired).
  [[nodiscard]] size_t size() const { return slots_.size(); }

 private:
  std::vector<T> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace cxlsim::timing
