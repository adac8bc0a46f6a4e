#include "timing/multi_host.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "spec/error.h"

namespace cxlsim::timing {

namespace {
std::vector<std::string> names_of(const std::vector<HostSpec>& hosts) {
  std::vector<std::string> out;
  out.reserve(hosts.size());
  for (const HostSpec& h : hosts) out.push_back(h.name);
  return out;
}
}  // namespace

MultiHost::MultiHost(const HostProfile& host, const DeviceProfile& local_dram, Bytes local_size,
                     const Topology& topo,
                     const std::function<DeviceProfile(const std::string&)>& device_for,
                     const std::vector<HostSpec>& hosts)
    : outboxes_(hosts.size()), pool_(host, local_size, topo, device_for, names_of(hosts)) {
  if (hosts.empty()) throw ValidationError("a multi-host model needs at least one host");
  if (hosts.size() > UINT16_MAX) throw ValidationError("too many hosts");
  if (host.cache.enabled && pool_.has_shared()) {
    // Its hits would not reach the device's DCOH, nor would its back-invalidations reach it.
    throw ValidationError(
        "shared HDM-DB memory (a shared = true device) with a host cache is not modelled: run "
        "without the host cache");
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    hosts_.push_back(
        std::make_unique<System>(host, local_dram, local_size, topo, device_for, hosts[i].regions));
    hosts_.back()->attach(&outboxes_[i], static_cast<uint16_t>(i));
    names_.push_back(hosts[i].name);
  }
  lookahead_ = pool_.min_crossing();
  if (lookahead_ <= Duration() && pool_.targets().size() > 1) {
    throw ValidationError("a root-port link with no latency leaves the hosts no lookahead");
  }
  // Without CXL memdevs nothing crosses: any window will do.
  if (lookahead_ <= Duration()) lookahead_ = Duration::ns(1000);
  order_.resize(hosts_.size() + 1);
  std::iota(order_.begin(), order_.end(), size_t{0});
}

void MultiHost::set_order(const std::vector<size_t>& order) {
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != i) sorted.clear();
  }
  if (sorted.size() != hosts_.size() + 1) {
    throw ValidationError(fmt::format("partition order must name 0..{} once each", hosts_.size()));
  }
  order_ = order;
}

void MultiHost::run_partition(size_t p, int64_t end) {
  if (p < hosts_.size()) {
    hosts_[p]->run_until(Duration::ps(end));
  } else {
    pool_.run_until(end);
  }
}

void MultiHost::exchange(int64_t window_end) {
  // Conservative lookahead: whatever was sent in the window arrives after it.
  auto check = [window_end](const Crossing& c) {
    if (c.t <= window_end) {
      throw std::logic_error(fmt::format(
          "multi-host: a crossing at {} ps falls inside its window (ends {} ps)", c.t, window_end));
    }
  };
  auto deliver = [&] {
    for (Outbox& box : outboxes_) {
      for (const Crossing& c : box.pending()) {
        check(c);
        pool_.deliver(c);
      }
      box.pending().clear();
    }
  };
  deliver();
  auto& answers = pool_.outbox().pending();
  // Delivered in (time, host, sequence) order: the hosts' event queues break ties by push order.
  std::sort(answers.begin(), answers.end(),
            [](const Crossing& a, const Crossing& b) { return CrossingAfter{}(b, a); });
  for (const Crossing& c : answers) {
    check(c);
    hosts_[c.host]->receive(c);
  }
  answers.clear();
  // A host sends its part of a DCOH flow as it receives it (Crossing::Kind::kSnoopSend): at
  // least one more crossing later, so after the next window.
  deliver();
}

int64_t MultiHost::earliest_work() {
  int64_t first = pool_.next_arrival().value_or(INT64_MAX);
  for (auto& h : hosts_) {
    if (const auto t = h->next_event_time()) first = std::min(first, t->picoseconds());
  }
  return first;
}

void MultiHost::run_until(Duration end) {
  const int64_t stop = end.picoseconds();
  const int64_t w = lookahead_.picoseconds();
  while (next_ <= stop) {
    if (windows_ > 0) {  // after the first window every requester has started
      const int64_t first = earliest_work();
      if (first > stop) {
        for (auto& h : hosts_) h->run_until(end);
        next_ = stop + 1;
        break;
      }
      next_ = std::max(next_, first);  // nothing happens before `first`
    }
    const int64_t window_end = std::min(next_ + w - 1, stop);  // the window [next_, window_end]
    for (size_t p : order_) run_partition(p, window_end);
    exchange(window_end);
    next_ = window_end + 1;
    ++windows_;
  }
}

}  // namespace cxlsim::timing
