// One CXL.mem / DRAM transaction in flight (a 64-byte line read or write), and the pool that
// recycles them: memory use is bounded by requests in flight, never by run length.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "spec/units.h"

namespace cxlsim::timing {

enum class Op : uint8_t { kRead, kWrite };

// How a request travels when the host has a cache (host_cache.h). System sets it on issue;
// requesters neither set nor read it. Without a cache it is never read.
enum class Route : uint8_t {
  kMemory,     // straight to the home agent
  kHit,        // served by the cache
  kFill,       // read miss: read the line, install it clean
  kOwnership,  // write miss: read the line for ownership (memory sees a read), install it dirty
  kWriteback,  // a dirty victim written back; issued by the system, no requester waits for it
};

struct Request {
  uint64_t hpa = 0;         // host physical address of the line
  uint64_t media = 0;       // address inside the target's media (DPA, or local DRAM offset)
  Duration issued;          // when the requester issued it
  Duration arrived;         // when the target's controller received it
  Request* next = nullptr;  // intrusive list link (pool free list, wait queues)
  uint64_t tag = 0;         // requester's own bookkeeping
  Op op = Op::kRead;
  uint8_t hop = 0;  // upward hop index while travelling back
  uint16_t requester = 0;
  uint16_t target = 0;  // index of the target (memory) in the system
  Route route = Route::kMemory;
};

// Fixed-size blocks of Requests handed out from a free list. Blocks are allocated only when
// the number in flight grows past every earlier peak.
class RequestPool {
 public:
  Request* get() {
    if (free_ == nullptr) grow();
    Request* r = free_;
    free_ = r->next;
    r->next = nullptr;
    ++live_;
    return r;
  }
  void put(Request* r) {
    r->next = free_;
    free_ = r;
    --live_;
  }
  [[nodiscard]] size_t live() const { return live_; }
  [[nodiscard]] size_t capacity() const { return blocks_.size() * kBlock; }

 private:
  static constexpr size_t kBlock = 256;
  void grow() {
    blocks_.push_back(std::make_unique<Request[]>(kBlock));
    Request* b = blocks_.back().get();
    for (size_t i = 0; i < kBlock; ++i) {
      b[i].next = free_;
      free_ = &b[i];
    }
  }
  std::vector<std::unique_ptr<Request[]>> blocks_;
  Request* free_ = nullptr;
  size_t live_ = 0;
};

}  // namespace cxlsim::timing
