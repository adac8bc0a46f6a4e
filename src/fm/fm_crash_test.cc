// The fabric manager killed with SIGKILL at random moments under a stream of changes (issue #10
// item 4): after each restart its state must hold every acknowledged change, and of the change
// in flight at the kill either all or nothing; the pool's invariants must hold throughout. The
// daemon runs in a forked child (the same FabricManager and FmServer `cxlsim fm serve` runs);
// the test is its client and keeps the expected state by applying each acknowledged change to
// its own Pool.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "fabric/topology_loader.h"
#include "fm/fabric_manager.h"
#include "fm/fm_client.h"
#include "fm/fm_server.h"
#include "fm/fm_testing.h"
#include "fm/pool_state_file.h"

namespace cxlsim::fm {
namespace {

using testing::bind_payload;
using testing::dc_add_payload;
using testing::dc_release_payload;
using testing::TempDir;
using testing::tunnel_payload;
using testing::tunneled;
using testing::unbind_payload;

constexpr uint64_t kMiB = 1ull << 20;

Topology pool() { return load_valid_topology("builtin:pool-2host"); }

// One change the test sends, applied to the expected state by the same Pool rule.
struct Change {
  int kind = 0;  // 0 bind, 1 unbind, 2 dc add, 3 dc release
  unsigned host = 0;
  unsigned vppb = 0;
  unsigned ld = 0;
  unsigned region = 0;
  DpaRange range;

  [[nodiscard]] MboxReturn apply(Pool& p) const {
    const std::string h = p.host_at(host)->id;
    switch (kind) {
      case 0:
        return p.bind(h, vppb, {"mld0", ld});
      case 1:
        return p.unbind(h, vppb);
      case 2:
        return p.dc_add("dcd0", h, region, range.length, DcTag{}, AddPolicy::kFree, nullptr);
      default:
        return p.dc_release_ranges("dcd0", h, {range});
    }
  }
  // The response's return code (of the tunneled command for DCD changes).
  [[nodiscard]] uint16_t send(FmClient& c) const {
    switch (kind) {
      case 0:
        return c.request(0x5201, bind_payload(host, vppb, 0, ld)).return_code;
      case 1:
        return c.request(0x5202, unbind_payload(host, vppb, 1)).return_code;
      case 2:
        return c.tunnel(1, 0x5604, dc_add_payload(host, region, range.length)).return_code;
      default:
        return c.tunnel(1, 0x5605, dc_release_payload(host, range)).return_code;
    }
  }
};

Change random_change(std::mt19937& rng, const Pool& model) {
  Change c;
  c.kind = static_cast<int>(rng() % 4);
  c.host = static_cast<unsigned>(rng() % 2);
  c.vppb = static_cast<unsigned>(rng() % 4);
  c.ld = static_cast<unsigned>(rng() % 4);
  c.region = static_cast<unsigned>(rng() % 2);
  c.range.length = (1 + rng() % 64) * 2 * kMiB;
  const auto held = model.extents("dcd0", model.host_at(c.host)->id);
  if (c.kind == 3 && !held.empty()) {  // mostly a real extent, sometimes a piece of one
    const PoolExtent& e = held[rng() % held.size()];
    c.range = {e.dpa, rng() % 2 ? e.length : 2 * kMiB};
  }
  return c;
}

bool same_state(const Pool& a, const Pool& b) {
  return a.bindings() == b.bindings() && a.all_extents() == b.all_extents() &&
         a.ld_allocations("mld0") == b.ld_allocations("mld0");
}

pid_t start_daemon(const std::filesystem::path& dir, const std::string& socket) {
  const pid_t pid = fork();
  if (pid == 0) {
    FabricManager fm(pool(), {dir, {}});
    FmServer server(fm);
    server.listen(socket);
    server.serve();
    _exit(0);
  }
  return pid;
}

std::unique_ptr<FmClient> connect(const std::filesystem::path& dir, const std::string& socket) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    try {
      return std::make_unique<FmClient>(socket, read_key_file(KeyRing::admin_key_path(dir)));
    } catch (const std::exception&) {
      if (std::chrono::steady_clock::now() > until) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

TEST(FmCrash, KillNineLosesNothingAcknowledgedAndAppliesNothingByHalf) {
  TempDir dir;
  const std::string socket = (dir.path() / "fm.sock").string();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Pool model(pool());
  std::optional<Change> in_flight;
  int acknowledged = 0;
  int in_flight_applied = 0;
  constexpr int kRounds = 120;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t pid = start_daemon(dir.path(), socket);
    ASSERT_GT(pid, 0);
    // A failed assertion returns early: the daemon must not outlive the test.
    const std::unique_ptr<void, std::function<void(void*)>> reaper(reinterpret_cast<void*>(1),
                                                                   [pid](void*) {
                                                                     kill(pid, SIGKILL);
                                                                     waitpid(pid, nullptr, 0);
                                                                   });
    auto client = connect(dir.path(), socket);
    // What survived the last kill: the acknowledged state, or it plus the change in flight.
    const CciMessage st = client->request(0xc003, {});
    ASSERT_EQ(st.return_code, 0);
    const Pool found =
        decode_pool_state(std::string(st.payload.begin(), st.payload.end()), pool(), "state").pool;
    ASSERT_EQ(found.check_invariants(), "");
    if (!same_state(found, model)) {
      ASSERT_TRUE(in_flight.has_value()) << "round " << round << ": an acknowledged change is lost";
      Pool with = model;
      ASSERT_EQ(in_flight->apply(with), MboxReturn::kSuccess);
      ASSERT_TRUE(same_state(found, with)) << "round " << round << ": a change applied by half";
      model = with;
      ++in_flight_applied;
    }
    in_flight.reset();
    std::thread killer([pid, delay = rng() % 40000] {
      std::this_thread::sleep_for(std::chrono::microseconds(delay));
      kill(pid, SIGKILL);
    });
    try {
      while (true) {
        const Change c = random_change(rng, model);
        in_flight = c;
        const uint16_t rc = c.send(*client);
        Pool next = model;
        ASSERT_EQ(rc, static_cast<uint16_t>(c.apply(next))) << "the daemon and the rules disagree";
        model = next;
        in_flight.reset();
        ++acknowledged;
      }
    } catch (const std::exception&) {
      // The daemon died mid-stream.
    }
    killer.join();
  }
  std::cerr << kRounds << " kills; " << acknowledged
            << " changes acknowledged; the change in flight "
            << "was found applied after " << in_flight_applied << " of them\n";
  RecordProperty("acknowledged", acknowledged);
  RecordProperty("in_flight_applied", in_flight_applied);
  EXPECT_GT(acknowledged, kRounds);  // the kills did land under a stream of changes
}

}  // namespace
}  // namespace cxlsim::fm
