#include "timing/event_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace cxlsim::timing {
namespace {

struct Recorder : EventTarget {
  std::vector<std::pair<int64_t, uintptr_t>> seen;
  void on_event(Request* r, Duration now) override {
    seen.emplace_back(now.picoseconds(), reinterpret_cast<uintptr_t>(r));
  }
};

RC_GTEST_PROP(EventQueue, PopsInTimeThenInsertionOrder, (const std::vector<uint32_t>& times)) {
  EventQueue q;
  Recorder rec;
  std::vector<std::pair<int64_t, uintptr_t>> expect;
  uintptr_t id = 1;
  for (uint32_t t : times) {
    // Spread over near (same bucket), ring and overflow distances.
    const int64_t ps = static_cast<int64_t>(t % 3 == 0   ? t % 5000
                                            : t % 3 == 1 ? t % 4000000
                                                         : t) *
                       7;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an id stands in for a request; never dereferenced
    q.push(Duration::ps(ps), &rec, reinterpret_cast<Request*>(id));
    expect.emplace_back(ps, id++);
  }
  std::stable_sort(expect.begin(), expect.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  EventQueue::Event e{};
  while (q.pop(e)) e.target->on_event(e.req, Duration::ps(e.t));
  RC_ASSERT(rec.seen == expect);
}

TEST(EventQueue, EventsPushedWhileDrainingKeepOrder) {
  EventQueue q;
  Recorder rec;
  q.push(Duration::ps(100), &rec, nullptr);
  q.push(Duration::ps(10'000'000), &rec, nullptr);
  EventQueue::Event e{};
  ASSERT_TRUE(q.pop(e));
  EXPECT_EQ(e.t, 100);
  q.push(Duration::ps(150), &rec, nullptr);  // same bucket as the one being drained
  q.push(Duration::ps(5'000), &rec, nullptr);
  std::vector<int64_t> order;
  while (q.pop(e)) order.push_back(e.t);
  EXPECT_EQ(order, (std::vector<int64_t>{150, 5'000, 10'000'000}));
}

TEST(EventQueue, CrowdedBucketPopsInTimeThenInsertionOrder) {
  // Hundreds of events inside one bucket, in descending time with ties, some pushed while the
  // bucket drains: the order is still (time, insertion).
  EventQueue q;
  Recorder rec;
  std::vector<std::pair<int64_t, uintptr_t>> expect;
  uintptr_t id = 1;
  for (int i = 0; i < 600; ++i) {
    const int64_t ps = 50'000 + (600 - i) / 2 * 10;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an id stands in for a request; never dereferenced
    q.push(Duration::ps(ps), &rec, reinterpret_cast<Request*>(id));
    expect.emplace_back(ps, id++);
  }
  EventQueue::Event e{};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(q.pop(e));
    e.target->on_event(e.req, Duration::ps(e.t));
    const int64_t ps =
        e.t + static_cast<int64_t>(i % 7) * 3;  // at or after the event being handled
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an id stands in for a request; never dereferenced
    q.push(Duration::ps(ps), &rec, reinterpret_cast<Request*>(id));
    expect.emplace_back(ps, id++);
  }
  while (q.pop(e)) e.target->on_event(e.req, Duration::ps(e.t));
  std::stable_sort(expect.begin(), expect.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  EXPECT_EQ(rec.seen, expect);
}

}  // namespace
}  // namespace cxlsim::timing
