// The fabric manager on loopback (issue #10 item 7, goal: at least 10,000 FM-API requests/s):
// a daemon (FabricManager + FmServer, what `cxlsim fm serve` runs) on a Unix socket in this
// process, and one client sending requests one at a time, each waiting for its answer.
//   BM_FmReadRequests: Get Virtual CXL Switch Info of both hosts (reads; no state written).
//   BM_FmTunneledReads: Get DC Region Extent Lists through Tunnel Management Command.
//   BM_FmBindUnbind: Bind then Unbind vPPB: each change is written durably (fsync) before its
//     answer, so this one measures the state directory's disk.
// items_per_second is FM-API requests per second.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "fabric/topology_loader.h"
#include "fm/fabric_manager.h"
#include "fm/fm_client.h"
#include "fm/fm_keys.h"
#include "fm/fm_server.h"
#include "fm/fm_testing.h"

namespace {
using namespace cxlsim;

struct Daemon {
  fm::testing::TempDir dir;
  fm::FabricManager manager{load_valid_topology("builtin:pool-2host"), {dir.path(), {}}};
  fm::FmServer server{manager};
  std::thread serving;
  std::string socket = (dir.path() / "fm.sock").string();

  Daemon() {
    server.listen(socket);
    serving = std::thread([this] { server.serve(); });
  }
  ~Daemon() {
    server.stop();
    serving.join();
  }
  fm::FmClient client() {
    return {socket, fm::read_key_file(fm::KeyRing::admin_key_path(dir.path()))};
  }
};

void BM_FmReadRequests(benchmark::State& state) {
  Daemon d;
  fm::FmClient c = d.client();
  const std::vector<uint8_t> in = {0, 255, 2, 0, 1};
  for (auto _ : state) {
    auto r = c.request(static_cast<uint16_t>(fm::FmApiOpcode::kGetVirtualCxlSwitchInfo), in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FmReadRequests)->UseRealTime();

void BM_FmTunneledReads(benchmark::State& state) {
  Daemon d;
  fm::FmClient c = d.client();
  std::vector<uint8_t> in(fm::payload::GetDcExtentListsIn::kSize, 0);
  fm::payload::GetDcExtentListsIn::kExtentCount.put(in, 16);
  for (auto _ : state) {
    auto r = c.tunnel(1, static_cast<uint16_t>(fm::FmApiOpcode::kGetDcRegionExtentLists), in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FmTunneledReads)->UseRealTime();

void BM_FmBindUnbind(benchmark::State& state) {
  Daemon d;
  fm::FmClient c = d.client();
  const auto bind = fm::testing::bind_payload(0, 0, 0, 1);
  const auto unbind = fm::testing::unbind_payload(0, 0, 1);
  for (auto _ : state) {
    c.request(static_cast<uint16_t>(fm::FmApiOpcode::kBindVppb), bind);
    c.request(static_cast<uint16_t>(fm::FmApiOpcode::kUnbindVppb), unbind);
  }
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_FmBindUnbind)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
