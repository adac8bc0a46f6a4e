#include "fm/fabric_manager.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "fabric/topology_loader.h"
#include "fm/fm_testing.h"
#include "spec/error.h"

namespace cxlsim::fm {
namespace {

using testing::bind_payload;
using testing::dc_add_payload;
using testing::dc_release_payload;
using testing::request;
using testing::TempDir;
using testing::tunnel_payload;
using testing::tunneled;
using testing::unbind_payload;
namespace pl = payload;

constexpr uint64_t kMiB = 1ull << 20;
const Principal kAdmin{};
const Principal kH0{"h0"};
const Principal kH1{"h1"};
constexpr unsigned kMld = 0;  // physical ports of builtin:pool-2host
constexpr unsigned kDcd = 1;

Topology pool() { return load_valid_topology("builtin:pool-2host"); }

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint16_t rc_of(MboxReturn r) { return static_cast<uint16_t>(r); }

// A guest that records what the fabric manager asks of it.
struct FakeGuest : GuestPort {
  struct Log {
    std::vector<std::string> calls;
    bool in_use = false;
    bool fail = false;
  };
  explicit FakeGuest(Log& l) : log(l) {}
  void hot_add(unsigned vppb, const LdBacking& ld) override {
    if (log.fail) throw std::runtime_error("guest went away");
    log.calls.push_back("add " + std::to_string(vppb) + " " + ld.id);
  }
  void hot_remove(unsigned vppb, const LdBacking& ld) override {
    if (log.fail) throw std::runtime_error("guest went away");
    log.calls.push_back("remove " + std::to_string(vppb) + " " + ld.id);
  }
  bool in_use(const LdBacking& /*ld*/) override { return log.in_use; }
  Log& log;
};

TEST(FabricManager, BindsUnbindsAndPersists) {
  TempDir dir;
  {
    FabricManager fm(pool(), {dir.path(), {}});
    EXPECT_EQ(
        fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(1, 2, kMld, 3))).return_code,
        0);
    EXPECT_EQ(fm.pool().bound("h1", 2), (LdRef{"mld0", 3}));
    EXPECT_TRUE(std::filesystem::exists(fm.backing({"mld0", 3}).path));
    EXPECT_EQ(std::filesystem::file_size(fm.backing({"mld0", 3}).path), 1ull << 30);
  }
  FabricManager again(pool(), {dir.path(), {}});
  EXPECT_EQ(again.pool().bound("h1", 2), (LdRef{"mld0", 3}));
  EXPECT_EQ(
      again.handle(kAdmin, request(FmApiOpcode::kUnbindVppb, unbind_payload(1, 2, 1))).return_code,
      0);
  EXPECT_TRUE(FabricManager(pool(), {dir.path(), {}}).pool().bindings().empty());
}

TEST(FabricManager, AnswersWithTheRequestsTagAndOpcode) {
  TempDir dir;
  FabricManager fm(pool(), {dir.path(), {}});
  CciMessage req = request(FmApiOpcode::kIdentify);
  req.tag = 77;
  const CciMessage r = fm.handle(kAdmin, req);
  EXPECT_EQ(r.category, CciMessage::kResponse);
  EXPECT_EQ(r.tag, 77);
  EXPECT_EQ(r.opcode, 0x0001);
  EXPECT_EQ(r.payload.size(), pl::Identify::kSize);
  EXPECT_EQ(fm.handle(kAdmin, {CciMessage::kRequest, 1, 0x4000, 0, {}}).return_code,
            rc_of(MboxReturn::kUnsupported));
}

TEST(FabricManager, WrongLengthsAndUnknownIdsChangeNothing) {
  TempDir dir;
  FabricManager fm(pool(), {dir.path(), {}});
  ASSERT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(0, 0, kMld, 0))).return_code,
      0);
  const std::string before = file_text(fm.state_path());
  const Pool pool_before = fm.pool();
  auto short_bind = bind_payload(0, 1, kMld, 1);
  short_bind.pop_back();
  const std::vector<std::pair<CciMessage, MboxReturn>> cases = {
      {request(FmApiOpcode::kBindVppb, short_bind), MboxReturn::kInvalidPayloadLength},
      {request(FmApiOpcode::kBindVppb, bind_payload(5, 1, kMld, 1)), MboxReturn::kInvalidInput},
      {request(FmApiOpcode::kBindVppb, bind_payload(0, 9, kMld, 1)), MboxReturn::kInvalidInput},
      {request(FmApiOpcode::kBindVppb, bind_payload(0, 1, 7, 1)), MboxReturn::kInvalidInput},
      {request(FmApiOpcode::kBindVppb, bind_payload(0, 1, kDcd, 1)), MboxReturn::kInvalidInput},
      {request(FmApiOpcode::kBindVppb, bind_payload(0, 0, kMld, 1)), MboxReturn::kBusy},
      {request(FmApiOpcode::kUnbindVppb, unbind_payload(0, 3, 1)), MboxReturn::kInvalidInput},
      {request(FmApiOpcode::kUnbindVppb, {0, 0}), MboxReturn::kInvalidPayloadLength},
      {request(FmApiOpcode::kGetVirtualCxlSwitchInfo, {0, 4, 2, 0}),
       MboxReturn::kInvalidPayloadLength},
      {request(FmApiOpcode::kTunnelManagementCommand, {kDcd, 0, 9, 0}),
       MboxReturn::kInvalidPayloadLength},
      {request(FmApiOpcode::kTunnelManagementCommand,
               tunnel_payload(9, FmApiOpcode::kGetLdInfo, {})),
       MboxReturn::kInvalidInput},
  };
  for (const auto& [req, want] : cases) {
    EXPECT_EQ(fm.handle(kAdmin, req).return_code, rc_of(want)) << opcode_name(req.opcode);
  }
  // Device commands: the tunnel succeeds and carries the device's refusal.
  const std::vector<std::pair<std::vector<uint8_t>, MboxReturn>> device_cases = {
      {tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd, dc_add_payload(0, 0, 3 * kMiB)),
       MboxReturn::kInvalidInput},
      {tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd, dc_add_payload(2, 0, 2 * kMiB)),
       MboxReturn::kInvalidInput},
      {tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd, dc_add_payload(0, 0, 4ull << 30)),
       MboxReturn::kResourcesExhausted},
      {tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd, {0, 0}),
       MboxReturn::kInvalidPayloadLength},
      {tunnel_payload(kDcd, FmApiOpcode::kInitiateDcRelease, dc_release_payload(0, {0, 2 * kMiB})),
       MboxReturn::kInvalidExtentList},
      {tunnel_payload(kMld, FmApiOpcode::kInitiateDcAdd, dc_add_payload(0, 0, 2 * kMiB)),
       MboxReturn::kUnsupported},
      {tunnel_payload(kDcd, FmApiOpcode::kGetLdInfo, {}), MboxReturn::kUnsupported},
  };
  for (const auto& [payload, want] : device_cases) {
    const CciMessage outer =
        fm.handle(kAdmin, request(FmApiOpcode::kTunnelManagementCommand, payload));
    ASSERT_EQ(outer.return_code, 0);
    EXPECT_EQ(tunneled(outer).return_code, rc_of(want));
  }
  EXPECT_EQ(fm.pool(), pool_before);
  EXPECT_EQ(file_text(fm.state_path()), before);
}

TEST(FabricManager, AHostKeySeesAndChangesOnlyItsOwn) {
  TempDir dir;
  FabricManager fm(pool(), {dir.path(), {}});
  ASSERT_EQ(fm.handle(kAdmin, request(FmApiOpcode::kTunnelManagementCommand,
                                      tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd,
                                                     dc_add_payload(1, 0, 4 * kMiB))))
                .return_code,
            0);
  const Pool before = fm.pool();
  const uint16_t denied = rc_of(MboxReturn::kInvalidSecurityState);
  // Changes only the admin may make.
  EXPECT_EQ(
      fm.handle(kH0, request(FmApiOpcode::kBindVppb, bind_payload(0, 0, kMld, 0))).return_code,
      denied);
  EXPECT_EQ(fm.handle(kH0, request(FmApiOpcode::kUnbindVppb, unbind_payload(0, 0, 1))).return_code,
            denied);
  EXPECT_EQ(fm.handle(kH0, request(FmApiOpcode::kGetPoolState)).return_code, denied);
  const auto dev = [&](const Principal& who, unsigned port, FmApiOpcode op,
                       std::vector<uint8_t> in) {
    return tunneled(fm.handle(who, request(FmApiOpcode::kTunnelManagementCommand,
                                           tunnel_payload(port, op, std::move(in)))))
        .return_code;
  };
  EXPECT_EQ(dev(kH0, kDcd, FmApiOpcode::kInitiateDcAdd, dc_add_payload(0, 0, 2 * kMiB)), denied);
  EXPECT_EQ(dev(kH0, kMld, FmApiOpcode::kGetLdAllocations, {0, 4}), denied);
  EXPECT_EQ(dev(kH0, kMld, FmApiOpcode::kGetLdInfo, {}), denied);  // no LD of mld0 bound to h0
  // h1's capacity: h0 may neither list nor release it; h1 may.
  std::vector<uint8_t> list(pl::GetDcExtentListsIn::kSize, 0);
  pl::GetDcExtentListsIn::kHostId.put(list, 1);
  pl::GetDcExtentListsIn::kExtentCount.put(list, 16);
  EXPECT_EQ(dev(kH0, kDcd, FmApiOpcode::kGetDcRegionExtentLists, list), denied);
  EXPECT_EQ(dev(kH0, kDcd, FmApiOpcode::kInitiateDcRelease, dc_release_payload(1, {0, 4 * kMiB})),
            denied);
  EXPECT_EQ(dev(kH1, kDcd, FmApiOpcode::kGetDcRegionExtentLists, list), 0);
  EXPECT_EQ(fm.pool(), before);
  EXPECT_EQ(dev(kH1, kDcd, FmApiOpcode::kInitiateDcRelease, dc_release_payload(1, {0, 4 * kMiB})),
            0);
  EXPECT_TRUE(fm.pool().all_extents().empty());
  // VCS info: the other host's VCS reads as an invalid VCS ID.
  const CciMessage v =
      fm.handle(kH0, request(FmApiOpcode::kGetVirtualCxlSwitchInfo, {0, 255, 2, 0, 1}));
  ASSERT_EQ(v.return_code, 0);
  size_t at = pl::GetVcsInfoOut::kBlocks;
  EXPECT_EQ(pl::VcsInfoBlock::kState.get(v.payload, at), pl::kVcsEnabled);
  at += pl::VcsInfoBlock::kVppbs + 4 * pl::VppbStatus::kSize;
  EXPECT_EQ(pl::VcsInfoBlock::kState.get(v.payload, at), pl::kVcsInvalid);
  EXPECT_EQ(pl::VcsInfoBlock::kNumVppbs.get(v.payload, at), 0u);
}

TEST(FabricManager, VcsInfoReportsBindingsFromTheStartVppb) {
  TempDir dir;
  FabricManager fm(pool(), {dir.path(), {}});
  ASSERT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(0, 2, kMld, 1))).return_code,
      0);
  const CciMessage v =
      fm.handle(kAdmin, request(FmApiOpcode::kGetVirtualCxlSwitchInfo, {1, 2, 1, 0}));
  ASSERT_EQ(v.return_code, 0);
  const size_t b = pl::GetVcsInfoOut::kBlocks;
  EXPECT_EQ(pl::VcsInfoBlock::kNumVppbs.get(v.payload, b), 2u);  // vPPBs 1 and 2 (limit 2)
  const size_t e1 = b + pl::VcsInfoBlock::kVppbs;
  const size_t e2 = e1 + pl::VppbStatus::kSize;
  EXPECT_EQ(pl::VppbStatus::kBindingStatus.get(v.payload, e1), pl::kVppbUnbound);
  EXPECT_EQ(pl::VppbStatus::kBindingStatus.get(v.payload, e2), pl::kVppbBoundLd);
  EXPECT_EQ(pl::VppbStatus::kBoundPortId.get(v.payload, e2), kMld);
  EXPECT_EQ(pl::VppbStatus::kBoundLdId.get(v.payload, e2), 1u);
  EXPECT_EQ(v.payload.size(), e2 + pl::VppbStatus::kSize);
}

TEST(FabricManager, ExtentListsPageAndCountGenerations) {
  TempDir dir;
  FabricManager fm(pool(), {dir.path(), {}});
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> add = dc_add_payload(0, 0, 2 * kMiB);
    pl::InitiateDcAdd::kTag.put(add, std::vector<uint8_t>{static_cast<uint8_t>(i + 1)});
    ASSERT_EQ(
        tunneled(fm.handle(kAdmin, request(FmApiOpcode::kTunnelManagementCommand,
                                           tunnel_payload(kDcd, FmApiOpcode::kInitiateDcAdd, add))))
            .return_code,
        0);
  }
  std::vector<uint8_t> list(pl::GetDcExtentListsIn::kSize, 0);
  pl::GetDcExtentListsIn::kExtentCount.put(list, 1);
  pl::GetDcExtentListsIn::kStartIndex.put(list, 1);
  const CciMessage r = tunneled(
      fm.handle(kAdmin, request(FmApiOpcode::kTunnelManagementCommand,
                                tunnel_payload(kDcd, FmApiOpcode::kGetDcRegionExtentLists, list))));
  ASSERT_EQ(r.return_code, 0);
  EXPECT_EQ(pl::GetDcExtentListsOut::kReturned.get(r.payload), 1u);
  EXPECT_EQ(pl::GetDcExtentListsOut::kTotal.get(r.payload), 3u);
  EXPECT_EQ(pl::GetDcExtentListsOut::kGeneration.get(r.payload), 3u);
  namespace dp = device::payload;
  EXPECT_EQ(dp::DcExtent::kDpa.get(r.payload, pl::GetDcExtentListsOut::kExtents), 2 * kMiB);
  EXPECT_EQ(r.payload[pl::GetDcExtentListsOut::kExtents + dp::DcExtent::kTag.offset], 2);
}

TEST(FabricManager, RefusesAStateFileThePoolCannotTake) {
  TempDir dir;
  { FabricManager fm(pool(), {dir.path(), {}}); }
  std::ofstream(dir.path() / "state.json") << R"({"format": "cxlsim-fm-state", "version": 1,
    "pool": "pool-2host", "ld_allocations": {}, "extents": [], "guests": {},
    "bindings": [{"host": "h0", "vppb": 0, "device": "mld0", "ld": 9}]})";
  EXPECT_THROW(FabricManager(pool(), {dir.path(), {}}), ParseError);
  std::ofstream(dir.path() / "state.json") << "{";
  EXPECT_THROW(FabricManager(pool(), {dir.path(), {}}), ParseError);
}

TEST(FabricManager, BindAndUnbindHotPlugTheHostsGuest) {
  TempDir dir;
  FakeGuest::Log log;
  FabricManager fm(pool(), {dir.path(), [&](const std::string&, const std::string&) {
                              return std::make_unique<FakeGuest>(log);
                            }});
  const std::string attach = R"({"host": "h0", "qmp": "/run/h0.qmp"})";
  ASSERT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(0, 1, kMld, 2))).return_code,
      0);
  // Attaching a guest hot-adds what its host has bound already.
  EXPECT_EQ(fm.handle(kH1, request(FmApiOpcode::kAttachHost,
                                   std::vector<uint8_t>(attach.begin(), attach.end())))
                .return_code,
            rc_of(MboxReturn::kInvalidSecurityState));
  ASSERT_EQ(fm.handle(kH0, request(FmApiOpcode::kAttachHost,
                                   std::vector<uint8_t>(attach.begin(), attach.end())))
                .return_code,
            0);
  EXPECT_EQ(log.calls, std::vector<std::string>{"add 1 mld0-ld2"});
  ASSERT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(0, 0, kMld, 0))).return_code,
      0);
  // While the guest's region uses the LD, a managed unbind is refused; a surprise one is not.
  log.in_use = true;
  EXPECT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kUnbindVppb, unbind_payload(0, 0, 1))).return_code,
      rc_of(MboxReturn::kBusy));
  EXPECT_TRUE(fm.pool().bound("h0", 0));
  EXPECT_EQ(fm.handle(kAdmin,
                      request(FmApiOpcode::kUnbindVppb, unbind_payload(0, 0, pl::kUnbindSurprise)))
                .return_code,
            0);
  EXPECT_EQ(log.calls.back(), "remove 0 mld0-ld0");
  // A guest that went away: the bind is refused and nothing is recorded.
  log.fail = true;
  const Pool before = fm.pool();
  EXPECT_EQ(
      fm.handle(kAdmin, request(FmApiOpcode::kBindVppb, bind_payload(0, 3, kMld, 3))).return_code,
      rc_of(MboxReturn::kInternalError));
  EXPECT_EQ(fm.pool(), before);
  // The attachment survives a restart.
  FabricManager again(pool(), {dir.path(), {}});
  EXPECT_NE(file_text(again.state_path()).find("/run/h0.qmp"), std::string::npos);
}

}  // namespace
}  // namespace cxlsim::fm
