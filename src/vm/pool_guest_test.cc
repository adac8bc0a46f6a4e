#include "vm/pool_guest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fabric/builtin_topologies.h"
#include "fabric/qemu_cmdline.h"
#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"
#include "spec/hdm_decoder.h"
#include "vm/qemu_limits.h"
#include "vm/qemu_pci.h"
#include "vm/qmp_testing.h"

namespace cxlsim::vm {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::answer;
using testing::error_answer;
using testing::FakeServer;
using testing::serve;
using testing::Session;

Topology pool_2host() {
  return parse_topology_toml(*builtin_topology_toml("pool-2host"), "builtin:pool-2host");
}

TEST(PoolHostGuestTopology, EachHostsGuestIsValidWithinQemu72LimitsAndExportable) {
  const Topology pool = pool_2host();
  for (const auto& host : pool.hosts) {
    const Topology g = pool_host_guest_topology(pool, host.id);
    EXPECT_FALSE(has_errors(validate(g))) << host.id;
    EXPECT_TRUE(qemu72_limit_violations(g).empty()) << host.id;
    EXPECT_TRUE(g.type3.empty());
    ASSERT_EQ(g.downstream_ports.size(), host.vppbs);
    ASSERT_EQ(g.switches.size(), 1u);
    for (unsigned i = 0; i < host.vppbs; ++i) {
      const auto* dp = g.find_downstream_port(vppb_port_id(i));
      ASSERT_NE(dp, nullptr) << i;
      EXPECT_EQ(dp->switch_id, g.switches[0].id);
      EXPECT_EQ(dp->port_number, i);
    }
    const auto args = to_qemu_args(g, {});
    EXPECT_EQ(std::count_if(args.begin(), args.end(),
                            [](const std::string& a) { return a.starts_with("cxl-downstream,"); }),
              static_cast<long>(host.vppbs));
    EXPECT_EQ(std::find_if(args.begin(), args.end(),
                           [](const std::string& a) { return a.starts_with("cxl-type3"); }),
              args.end());
  }
}

TEST(PoolHostGuestTopology, WindowHoldsTheLargestLdOnEveryVppb) {
  Topology pool = pool_2host();
  pool.mlds[0].ld_size = GiB(2);
  const Topology g = pool_host_guest_topology(pool, "h1");
  ASSERT_EQ(g.windows.size(), 1u);
  EXPECT_GE(g.windows[0].size, GiB(2) * pool.hosts[1].vppbs);
  EXPECT_EQ(g.windows[0].targets, std::vector<std::string>{g.host_bridges[0].id});
}

TEST(PoolHostGuestTopology, UnknownHostOrTooManyVppbsAreRefused) {
  Topology pool = pool_2host();
  try {
    pool_host_guest_topology(pool, "h7");
    FAIL() << "no error";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("h0, h1"), std::string::npos) << e.what();
  }
  pool.hosts[0].vppbs = kMaxGuestVppbs + 1;
  EXPECT_THROW(pool_host_guest_topology(pool, "h0"), ValidationError);
  pool.hosts[0].vppbs = kMaxGuestVppbs;
  EXPECT_FALSE(has_errors(validate(pool_host_guest_topology(pool, "h0"))));
}

// query-pci as QEMU 7.2 answered it for a pool-2host guest with LD "ld0" in vPPB 0 (trimmed
// to the fields read).
json recorded_query_pci() {
  return json::parse(R"([{"bus": 12, "devices": [
    {"bus": 12, "slot": 0, "function": 0, "qdev_id": "rp0",
     "regions": [{"bar": 0, "address": 4265607168, "size": 65536, "type": "memory"}],
     "pci_bridge": {"bus": {"number": 12, "secondary": 13, "subordinate": 16}, "devices": [
       {"bus": 13, "slot": 0, "function": 0, "qdev_id": "vcs", "regions": [],
        "pci_bridge": {"bus": {"number": 13, "secondary": 14, "subordinate": 16}, "devices": [
          {"bus": 14, "slot": 0, "function": 0, "qdev_id": "vppb0",
           "regions": [{"bar": 0, "address": 4259315712, "size": 65536, "type": "memory"}],
           "pci_bridge": {"bus": {"number": 14, "secondary": 15, "subordinate": 15}, "devices": [
             {"bus": 15, "slot": 0, "function": 0, "qdev_id": "ld0",
              "regions": [{"bar": 0, "address": 4257218560, "size": 65536, "type": "memory"},
                          {"bar": 2, "address": 4257284096, "size": 4096, "type": "memory"}]}]}},
          {"bus": 14, "slot": 1, "function": 0, "qdev_id": "vppb1", "regions": [],
           "pci_bridge": {"bus": {"number": 14, "secondary": 16, "subordinate": 16}}}]}}]}}]},
    {"bus": 0, "devices": [{"bus": 0, "slot": 1, "function": 0, "qdev_id": "cxl.1",
                            "regions": []}]}])");
}

TEST(QemuPci, FindsFunctionsWithTheirBridgeAndChildren) {
  const json pci = recorded_query_pci();
  auto ld = find_pci_function(pci, "ld0");
  ASSERT_TRUE(ld.has_value());
  EXPECT_EQ(ld->bus, 15u);
  EXPECT_EQ(ld->parent, "vppb0");
  ASSERT_TRUE(ld->bar0.has_value());
  EXPECT_EQ(*ld->bar0, 0xfdc00000u);
  auto dsp = find_pci_function(pci, "vppb0");
  ASSERT_TRUE(dsp.has_value());
  EXPECT_TRUE(dsp->bridge);
  EXPECT_EQ(dsp->bus, 14u);
  EXPECT_EQ(dsp->children, std::vector<std::string>{"ld0"});
  auto empty = find_pci_function(pci, "vppb1");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->slot, 1u);
  EXPECT_TRUE(empty->children.empty());
  EXPECT_FALSE(empty->bar0.has_value());
  EXPECT_FALSE(find_pci_function(pci, "nothere").has_value());
}

TEST(QemuPci, ParsesMonitorReadsAndRefusesOtherText) {
  EXPECT_EQ(parse_xp_word("00000000fdc01000: 0x03110001\r\n"), 0x03110001u);
  EXPECT_EQ(parse_port_word("portl[0x0cfc] = 0xa12919e5\r\n"), 0xa12919e5u);
  EXPECT_THROW(parse_xp_word("00000000fe000000: Cannot access memory\r\n"), OperationError);
  EXPECT_THROW(parse_port_word("invalid char in format: 'l'\r\n"), OperationError);
}

// A fake QEMU 7.2 with one guest switch: answers query-pci from `pci`, object and device
// commands (recorded in `log`), `xp` from `phys`, mechanism #1 config cycles from `config`
// (keyed by CF8 address), and calls `on_config_write` after each 16-bit config write.
struct FakeQemu {
  json pci = recorded_query_pci();
  std::map<uint64_t, uint32_t> phys;
  std::map<uint32_t, uint32_t> config;
  std::map<std::string, std::string> objects;  // id -> mem-path
  std::set<std::string> devices = {"ld0"};     // below /machine/peripheral
  std::vector<json> log;
  std::function<std::vector<std::string>(uint32_t address, uint32_t value)> on_config_write;
  std::function<std::vector<std::string>(const std::string& id)> on_device_del;
  uint32_t cf8 = 0x80000010;  // as a guest access left it
  bool running = true;
  int port_accesses_while_running = 0;
  std::mutex m;

  std::vector<std::string> handle(const json& r) {
    std::lock_guard lock(m);
    const std::string cmd = r["execute"];
    const json args = r.value("arguments", json::object());
    if (cmd != "human-monitor-command" && cmd != "query-pci") log.push_back(r);
    if (cmd == "query-pci") return {answer(r, pci)};
    if (cmd == "qom-get" && std::string(args["path"]).starts_with("/machine/peripheral/")) {
      if (!devices.contains(std::string(args["path"]).substr(20))) {
        return {error_answer(r, "DeviceNotFound", "Device not found")};
      }
      return {answer(r, "cxl-type3")};
    }
    if (cmd == "qom-get") {
      const std::string id = std::string(args["path"]).substr(9);  // "/objects/"
      if (!objects.contains(id)) return {error_answer(r, "GenericError", "not found")};
      return {answer(r, objects[id])};
    }
    if (cmd == "object-add") {
      objects[args["id"]] = args["mem-path"];
      return {answer(r, json::object())};
    }
    if (cmd == "object-del") return {error_answer(r, "GenericError", "object is in use")};
    if (cmd == "device_del") {
      auto out = on_device_del ? on_device_del(args["id"]) : std::vector<std::string>{};
      out.insert(out.begin(), answer(r, json::object()));
      return out;
    }
    if (cmd == "human-monitor-command") return hmp(r, args["command-line"]);
    if (cmd == "query-status") return {answer(r, {{"running", running}, {"status", "running"}})};
    if (cmd == "stop") running = false;
    if (cmd == "cont") running = true;
    return {answer(r, json::object())};
  }

  std::vector<std::string> hmp(const json& r, const std::string& line) {
    unsigned long long a = 0;
    unsigned long long v = 0;
    char text[64] = {};
    if (std::sscanf(line.c_str(), "xp /1wx %llx", &a) == 1) {
      std::snprintf(text, sizeof(text), "%016llx: 0x%08x\r\n", a, phys.contains(a) ? phys[a] : 0u);
      return {answer(r, text)};
    }
    if (line.find(" 0xcf") != std::string::npos && running) ++port_accesses_while_running;
    if (line == "i /w 0xcf8") {
      std::snprintf(text, sizeof(text), "portl[0x0cf8] = 0x%08x\r\n", cf8);
      return {answer(r, text)};
    }
    if (std::sscanf(line.c_str(), "o /w 0xcf8 %llx", &v) == 1) {
      cf8 = static_cast<uint32_t>(v);
      return {answer(r, "")};
    }
    if (line == "i /w 0xcfc") {
      std::snprintf(text, sizeof(text), "portl[0x0cfc] = 0x%08x\r\n", config[cf8]);
      return {answer(r, text)};
    }
    if (std::sscanf(line.c_str(), "o /h %llx %llx", &a, &v) == 2) {
      const unsigned shift = static_cast<unsigned>(a - 0xcfc) * 8;
      config[cf8] = (config[cf8] & ~(0xFFFFu << shift)) | (static_cast<uint32_t>(v) << shift);
      std::vector<std::string> out{answer(r, "")};
      if (on_config_write) {
        auto more = on_config_write(cf8, config[cf8]);
        out.insert(out.end(), more.begin(), more.end());
      }
      return out;
    }
    return {answer(r, "unknown command\r\n")};
  }
};

struct FakeSession {
  FakeQemu qemu;
  std::optional<Session> session;
  FakeSession() {
    session.emplace(
        [this](FakeServer& srv) { serve(srv, [this](const json& r) { return qemu.handle(r); }); });
  }
  Qmp& qmp() { return *session->qmp; }
};

std::filesystem::path scratch(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("cxlsim-pool-guest-test-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

Topology h0_guest() { return pool_host_guest_topology(pool_2host(), "h0"); }

TEST(HotAddLd, AddsSharedBackendsThenTheDeviceOnTheVppbsPort) {
  const auto dir = scratch("add");
  FakeSession s;
  LdBacking ld{"mld0-ld1", dir / "ld1.raw", GiB(1), dir / "h0-ld1.lsa"};
  hot_add_ld(s.qmp(), h0_guest(), 1, ld);
  const auto& log = s.qemu.log;
  auto find = [&](const std::string& cmd, const std::string& id) {
    return std::find_if(log.begin(), log.end(), [&](const json& r) {
      return r["execute"] == cmd && r["arguments"].value("id", "") == id;
    });
  };
  auto mem = find("object-add", "mld0-ld1-mem");
  auto lsa = find("object-add", "mld0-ld1-lsa");
  auto dev = find("device_add", "mld0-ld1");
  ASSERT_NE(mem, log.end());
  ASSERT_NE(lsa, log.end());
  ASSERT_NE(dev, log.end());
  EXPECT_LT(mem, dev);
  EXPECT_LT(lsa, dev);
  EXPECT_EQ((*mem)["arguments"]["mem-path"], ld.path.string());
  EXPECT_EQ((*mem)["arguments"]["share"], true);
  EXPECT_EQ((*mem)["arguments"]["size"], GiB(1).value());
  EXPECT_EQ((*dev)["arguments"]["driver"], "cxl-type3");
  EXPECT_EQ((*dev)["arguments"]["bus"], vppb_port_id(1));
  EXPECT_EQ((*dev)["arguments"]["memdev"], "mld0-ld1-mem");
  EXPECT_EQ((*dev)["arguments"]["lsa"], "mld0-ld1-lsa");
  EXPECT_EQ(std::filesystem::file_size(ld.path), GiB(1).value());
  EXPECT_EQ(std::filesystem::file_size(ld.lsa), kLdLsaSize.value());
}

TEST(HotAddLd, ReusesBackendsQemuKeptForTheSamePathAndRefusesAnotherPath) {
  const auto dir = scratch("reuse");
  FakeSession s;
  s.qemu.objects["ld-mem"] = (dir / "a.raw").string();
  s.qemu.objects["ld-lsa"] = (dir / "a.lsa").string();
  hot_add_ld(s.qmp(), h0_guest(), 1, {"ld", dir / "a.raw", MiB(256), dir / "a.lsa"});
  for (const auto& r : s.qemu.log) EXPECT_NE(r["execute"], "object-add");
  EXPECT_EQ(s.qemu.log.back()["execute"], "device_add");
  s.qemu.log.clear();
  EXPECT_THROW(hot_add_ld(s.qmp(), h0_guest(), 2, {"ld", dir / "b.raw", MiB(256), dir / "b.lsa"}),
               OperationError);
  for (const auto& r : s.qemu.log) EXPECT_NE(r["execute"], "device_add");
}

TEST(HotAddLd, OccupiedPortUnknownVppbAndBadSizeAddNothing) {
  const auto dir = scratch("refuse");
  FakeSession s;
  try {
    hot_add_ld(s.qmp(), h0_guest(), 0, {"x", dir / "x.raw", GiB(1), dir / "x.lsa"});
    FAIL() << "no error";
  } catch (const OperationError& e) {
    EXPECT_NE(std::string(e.what()).find("occupied by 'ld0'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(hot_add_ld(s.qmp(), h0_guest(), 4, {"x", dir / "x.raw", GiB(1), dir / "x.lsa"}),
               ValidationError);
  EXPECT_THROW(hot_add_ld(s.qmp(), h0_guest(), 1, {"x", dir / "x.raw", MiB(100), dir / "x.lsa"}),
               ValidationError);
  EXPECT_TRUE(s.qemu.log.empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "x.raw"));
}

// vppb0's configuration space in the fake: capability list at 0x40, PCIe capability (ID 0x10)
// there, Slot Control at 0x58 (low half of the dword at 0x58).
constexpr uint32_t kVppb0 = 0x80000000u | (14u << 16);
void give_vppb0_a_slot(FakeQemu& q, uint16_t slot_control) {
  q.config[kVppb0 | 0x34] = 0x40;
  q.config[kVppb0 | 0x40] = 0x00420010;  // ID 0x10, next 0 (version byte in bits 23:16)
  q.config[kVppb0 | 0x58] = slot_control;
}

std::string device_deleted(const std::string& id) {
  return FakeServer::event("DEVICE_DELETED",
                           {{"device", id}, {"path", "/machine/peripheral/" + id}});
}

TEST(HotRemoveLd, PowersTheSlotOffOnceTheGuestTurnedItsIndicatorOff) {
  FakeSession s;
  give_vppb0_a_slot(s.qemu, 0x01f1);  // indicator on: the guest uses the device
  int config_writes = 0;
  // The guest's pciehp: the button press blinks the indicator; the release turns it off.
  s.qemu.on_device_del = [&](const std::string&) {
    s.qemu.config[kVppb0 | 0x58] = 0x02f1;
    std::thread([&] {
      std::this_thread::sleep_for(milliseconds(300));
      std::lock_guard lock(s.qemu.m);
      s.qemu.config[kVppb0 | 0x58] = 0x03f1;
    }).detach();
    return std::vector<std::string>{};
  };
  // QEMU's unplug condition (hw/pci/pcie.c): Power Controller Control and indicator off.
  s.qemu.on_config_write = [&](uint32_t address, uint32_t value) {
    ++config_writes;
    const bool off = (value & 0x0400) != 0 && (value & 0x0300) == 0x0300;
    return address == (kVppb0 | 0x58) && off ? std::vector<std::string>{device_deleted("ld0")}
                                             : std::vector<std::string>{};
  };
  hot_remove_ld(s.qmp(), "ld0", milliseconds(5000));
  EXPECT_EQ(config_writes, 1);
  // Every port access happened with the guest stopped, which runs again with its 0xCF8 back.
  EXPECT_EQ(s.qemu.port_accesses_while_running, 0);
  EXPECT_TRUE(s.qemu.running);
  EXPECT_EQ(s.qemu.cf8, 0x80000010u);
  std::vector<std::string> deleted;
  for (const auto& r : s.qemu.log) {
    if (r["execute"] == "object-del") deleted.push_back(r["arguments"]["id"]);
  }
  EXPECT_EQ(deleted, (std::vector<std::string>{"ld0-mem", "ld0-lsa"}));
}

TEST(HotRemoveLd, DeviceLeavingQemusTreeWithoutDeviceDeletedCompletes) {
  // QEMU 7.2: the power-off unparents the cxl-type3 but no DEVICE_DELETED follows.
  FakeSession s;
  give_vppb0_a_slot(s.qemu, 0x03f1);  // the guest already released it
  s.qemu.on_config_write = [&](uint32_t, uint32_t value) {
    if ((value & 0x0400) != 0) s.qemu.devices.erase("ld0");
    return std::vector<std::string>{};
  };
  hot_remove_ld(s.qmp(), "ld0", milliseconds(3000));
  EXPECT_FALSE(s.qemu.devices.contains("ld0"));
}

TEST(HotRemoveLd, WhenQemuUnplugsByItselfNothingIsWritten) {
  FakeSession s;
  give_vppb0_a_slot(s.qemu, 0x05f1);  // Power Controller Control already off
  int config_writes = 0;
  s.qemu.on_device_del = [](const std::string& id) {
    return std::vector<std::string>{device_deleted(id)};
  };
  s.qemu.on_config_write = [&](uint32_t, uint32_t) {
    ++config_writes;
    return std::vector<std::string>{};
  };
  hot_remove_ld(s.qmp(), "ld0", milliseconds(2000));
  EXPECT_EQ(config_writes, 0);
}

TEST(HotRemoveLd, GuestThatNeverReleasesTimesOutWithoutPoweringOff) {
  FakeSession s;
  give_vppb0_a_slot(s.qemu, 0x01f1);
  int config_writes = 0;
  s.qemu.on_config_write = [&](uint32_t, uint32_t) {
    ++config_writes;
    return std::vector<std::string>{};
  };
  try {
    hot_remove_ld(s.qmp(), "ld0", milliseconds(600));
    FAIL() << "no error";
  } catch (const OperationError& e) {
    EXPECT_NE(std::string(e.what()).find("still present"), std::string::npos) << e.what();
  }
  EXPECT_EQ(config_writes, 0);
}

// ld0's component registers in the fake, laid out as QEMU 7.2's cxl-type3 has them (BAR 0:
// CXL capability header at 0x1000 with RAS, Link, HDM entries; HDM at cache/mem 0x110).
void give_ld0_registers(FakeQemu& q, uint32_t decoder0_control) {
  const uint64_t bar0 = 0xfdc00000;
  q.phys[bar0 + 0x1000] = 0x03110001;
  q.phys[bar0 + 0x1004] = 0x08020002;
  q.phys[bar0 + 0x1008] = 0x0d820004;
  q.phys[bar0 + 0x100c] = 0x11010005;
  q.phys[bar0 + 0x1110] = 0x00000310;
  q.phys[bar0 + 0x1110 + 0x20] = decoder0_control;
}

TEST(LdDecoderCommitted, ReadsDecoder0sCommittedBitThroughTheCapabilityHeaders) {
  FakeSession s;
  give_ld0_registers(s.qemu, 0x1000);  // programmed type, not committed
  EXPECT_FALSE(ld_decoder_committed(s.qmp(), "ld0"));
  give_ld0_registers(s.qemu, 0x1000 | HdmDecoderCapability::kCtrlCommitted);
  EXPECT_TRUE(ld_decoder_committed(s.qmp(), "ld0"));
}

TEST(LdDecoderCommitted, UnknownDeviceOrMissingCapabilityIsAnOperationError) {
  FakeSession s;
  EXPECT_THROW(ld_decoder_committed(s.qmp(), "nothere"), OperationError);
  EXPECT_THROW(ld_decoder_committed(s.qmp(), "ld0"), OperationError);  // registers read 0
}

}  // namespace
}  // namespace cxlsim::vm
