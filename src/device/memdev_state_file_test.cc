#include "device/memdev_state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "device/mbox_test_util.h"
#include "spec/error.h"

namespace cxlsim::device {
namespace {

using testing::In;
using testing::TestDevice;

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cxlsim_state_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "mem0.raw.state").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StateFileTest, EverythingPersistentSurvivesARestart) {
  const auto cfg = testing::test_config();
  // Labels live beside the state (label_storage.h), not in it.
  const std::string labels = label_path_beside(path_);
  {
    TestDevice t(cfg);
    t.dev.set_label_storage(LabelStorage(labels, cfg.lsa_size));
    ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(10).u32(0).u8(1).u8(2).u8(3)), MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x1000)), MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kSetShutdownState, In().u8(1)), MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kSetPartitionInfo, In().u64(1).u8(0).u8(0)), MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kSetPassphrase, In().u8(1).fill(0x1f).fill(32).fill(32, 'p')),
              MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kSetAlertConfig, In().u8(1).u8(1).u8(50).u8(0).fill(8)),
              MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kSetEventInterruptPolicy, In().u8(1).u8(1).u8(1).u8(1).u8(1)),
              MboxReturn::kSuccess);
    t.dev.report_media_error(Dpa(0x40000), Bytes(128), GmTransaction::kInternalMediaScrub);
    ASSERT_EQ(t.dev.offer_dc_extents({{GiB(1).value(), MiB(4).value(),
                                       parse_uuid("11111111-2222-3333-4444-555555555555"), 7}}),
              MboxReturn::kSuccess);
    ASSERT_EQ(t.rc(opcode::kAddDcResponse,
                   In().u32(1).u32(0).u64(GiB(1).value()).u64(MiB(2).value()).u64(0)),
              MboxReturn::kSuccess);
    save_state(path_, cfg, t.dev.state());
  }
  auto loaded = load_state(path_, cfg);
  ASSERT_TRUE(loaded.has_value());
  testing::TestDevice fresh(cfg);
  MemdevCci dev(cfg, fresh.media, std::move(*loaded));
  dev.set_label_storage(LabelStorage(labels, cfg.lsa_size));
  EXPECT_EQ(dev.execute(opcode::kGetLsa, In().u32(10).u32(3).bytes).out,
            (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(dev.state().poison.size(), 2u);
  EXPECT_EQ(dev.execute(opcode::kGetShutdownState).out, std::vector<uint8_t>{1});
  EXPECT_EQ(get_u64(dev.execute(opcode::kGetPartitionInfo).out, 0x10), 1u);
  EXPECT_EQ(get_u32(dev.execute(opcode::kGetSecurityState).out, 0), 1u);
  EXPECT_EQ(dev.execute(opcode::kGetAlertConfig).out[3], 50);
  EXPECT_EQ(dev.execute(opcode::kGetEventInterruptPolicy).out, std::vector<uint8_t>(5, 1));
  EXPECT_EQ(dev.state().events[2].records().size(), 1u);
  EXPECT_EQ(dev.state().events[4].records().size(), 1u);
  ASSERT_EQ(dev.state().dc.accepted.size(), 1u);
  EXPECT_EQ(dev.state().dc.accepted[0].shared_sequence, 7);
  EXPECT_EQ(format_uuid(dev.state().dc.accepted[0].tag), "11111111-2222-3333-4444-555555555555");
  // Handles keep counting after a restart.
  const uint16_t last = dev.state().events[2].records().back().handle();
  dev.report_media_error(Dpa(0x80000), Bytes(64), GmTransaction::kUnknown);
  EXPECT_EQ(dev.state().events[2].records().back().handle(), last + 1);
  // A power cycle after the restart applies the partition and locks.
  dev.reset(ResetKind::kCold);
  EXPECT_EQ(dev.volatile_capacity(), MiB(256));
  EXPECT_EQ(get_u32(dev.execute(opcode::kGetHealthInfo).out, 6), 1u);  // dirty shutdown counted
  EXPECT_EQ(get_u32(dev.execute(opcode::kGetSecurityState).out, 0) & 4, 4u);
}

TEST_F(StateFileTest, MissingFileIsNoState) {
  EXPECT_FALSE(load_state(path_, testing::test_config()).has_value());
}

TEST_F(StateFileTest, SaveReplacesAtomicallyAndLeavesNoTemporaries) {
  const auto cfg = testing::test_config();
  TestDevice t(cfg);
  save_state(path_, cfg, t.dev.state());
  ASSERT_EQ(t.rc(opcode::kSetShutdownState, In().u8(1)), MboxReturn::kSuccess);
  save_state(path_, cfg, t.dev.state());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "mem0.raw.state");
  }
  EXPECT_EQ(files, 1u);
  EXPECT_TRUE(load_state(path_, cfg)->shutdown_dirty);
}

void write_file(const std::string& p, const std::string& text) { std::ofstream(p) << text; }

TEST_F(StateFileTest, BadFilesGiveErrorsNamingTheElement) {
  const auto cfg = testing::test_config();
  TestDevice t(cfg);
  save_state(path_, cfg, t.dev.state());
  std::ifstream in(path_);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    write_file(path_, text);
    try {
      load_state(path_, cfg);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
    }
  };
  expect_error("{", "not JSON");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  expect_error(replace("\"version\": 1", "\"version\": 99"), "version 99");
  expect_error(replace("\"shutdown_dirty\": false", "\"shutdown_dirty\": 3"), "shutdown_dirty");
  expect_error(replace("\"shutdown_dirty\": false,", ""), "shutdown_dirty");
  auto other = cfg;
  other.lsa_size = KiB(64);
  write_file(path_, good);
  EXPECT_THROW(load_state(path_, other), ParseError);
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Issue #18: numbers in the state file are range-checked, never truncated or rounded.
TEST_F(StateFileTest, FloatsAndOutOfRangeIntegersAreRefused) {
  const auto cfg = testing::test_config();
  TestDevice t(cfg);
  save_state(path_, cfg, t.dev.state());
  const std::string good = read_text(path_);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"life_used_warning\": 75", "\"life_used_warning\": 300"},
           {"\"life_used_warning\": 75", "\"life_used_warning\": 75.5"},
           {"\"temperature\": 25", "\"temperature\": -40000"},
           {"\"dirty_shutdown_count\": 0", "\"dirty_shutdown_count\": 1e300"},
           {"\"dirty_shutdown_count\": 0", "\"dirty_shutdown_count\": -1"}}) {
    std::string s = good;
    const auto at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    write_file(path_, s);
    EXPECT_THROW(load_state(path_, cfg), ParseError) << to;
  }
}

// Issue #18: a state file belongs to one device; another serial's state is refused.
TEST_F(StateFileTest, StateOfAnotherDeviceIsRefused) {
  const auto cfg = testing::test_config();
  TestDevice t(cfg);
  save_state(path_, cfg, t.dev.state());
  auto other = cfg;
  other.serial = cfg.serial + 1;
  try {
    load_state(path_, other);
    ADD_FAILURE() << "adopted another device's state";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("serial"), std::string::npos) << e.what();
  }
}

// Issue #18: passphrases are kept salted and hashed, in a file only its owner can read.
TEST_F(StateFileTest, PassphrasesAreHashedAndTheFileIsPrivate) {
  const auto cfg = testing::test_config();
  {
    TestDevice t(cfg);
    ASSERT_EQ(t.rc(opcode::kSetPassphrase, In().u8(1).fill(0x1f).fill(32).fill(32, 'p')),
              MboxReturn::kSuccess);
    save_state(path_, cfg, t.dev.state());
  }
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string text = read_text(path_);
  EXPECT_EQ(text.find(format_hex_bytes(std::vector<uint8_t>(32, 'p'))), std::string::npos)
      << "passphrase in clear";
  EXPECT_EQ(text.find(std::string(32, 'p')), std::string::npos) << "passphrase in clear";
  auto loaded = load_state(path_, cfg);
  ASSERT_TRUE(loaded.has_value());
  TestDevice fresh(cfg);
  MemdevCci dev(cfg, fresh.media, std::move(*loaded));
  dev.reset(ResetKind::kCold);
  EXPECT_EQ(dev.execute(opcode::kUnlock, In().fill(32, 'q').bytes).rc,
            MboxReturn::kIncorrectPassphrase);
  EXPECT_EQ(dev.execute(opcode::kUnlock, In().fill(32, 'p').bytes).rc, MboxReturn::kSuccess);
}

// Issue #18: a media-changing command cut off by a crash leaves an intent record; loading it
// finishes an erase and reports the dirty shutdown with an event, as a device would.
TEST_F(StateFileTest, InterruptedSanitizeIsFinishedAndReportedAtPowerOn) {
  const auto cfg = testing::test_config();
  TestDevice t(cfg);
  t.dev.set_label_storage(LabelStorage(label_path_beside(path_), cfg.lsa_size));
  ASSERT_EQ(t.rc(opcode::kInjectPoison, In().u64(0x1000)), MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(0).u32(0).u8(7)), MboxReturn::kSuccess);
  const std::vector<uint8_t> data(64, 0xab);
  t.media.write(Dpa(0x2000), data);
  t.dev.state().media_operation = opcode::kSanitize;  // saved before the erase began
  save_state(path_, cfg, t.dev.state());
  auto loaded = load_state(path_, cfg);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->media_operation, opcode::kSanitize);
  MemdevCci dev(cfg, t.media, std::move(*loaded));
  dev.set_label_storage(LabelStorage(label_path_beside(path_), cfg.lsa_size));
  EXPECT_EQ(dev.recover_interrupted_operation(), opcode::kSanitize);
  EXPECT_EQ(dev.state().media_operation, 0);
  EXPECT_EQ(dev.state().poison.size(), 0u);
  std::vector<uint8_t> back(64, 1);
  t.media.read(Dpa(0x2000), back);
  EXPECT_EQ(back, std::vector<uint8_t>(64, 0));
  std::array<uint8_t, 1> label{1};
  dev.lsa().read(0, label);
  EXPECT_EQ(label[0], 0);
  EXPECT_EQ(get_u32(dev.execute(opcode::kGetHealthInfo).out, 6), 1u);  // dirty shutdown count
  EXPECT_EQ(dev.state().events[static_cast<size_t>(EventLogType::kWarning)].records().size(), 1u);
  EXPECT_EQ(dev.recover_interrupted_operation(), 0);  // once only
}

}  // namespace
}  // namespace cxlsim::device

namespace cxlsim::device {
namespace {

TEST(StateFileClock, DeviceTimeAndHostTimestampRunOnAfterRestart) {
  const auto cfg = testing::test_config();
  const std::string path = std::filesystem::temp_directory_path() /
                           ("cxlsim_clock_" + std::to_string(::getpid()) + ".state");
  {
    testing::TestDevice t(cfg);
    ASSERT_EQ(t.rc(opcode::kSetTimestamp, testing::In().u64(5'000'000'000)), MboxReturn::kSuccess);
    t.dev.advance(Duration::ns(1000));
    save_state(path, cfg, t.dev.state());
  }
  auto s = load_state(path, cfg);
  std::filesystem::remove(path);
  ASSERT_TRUE(s.has_value());
  SparseRamMedia media(cfg.dpa_span());
  MemdevCci dev(cfg, media, std::move(*s));
  EXPECT_EQ(dev.now(), Duration::ns(1000));
  dev.advance(Duration::ns(500));
  EXPECT_EQ(get_u64(dev.execute(opcode::kGetTimestamp).out, 0), 5'000'001'500u);
}

}  // namespace
}  // namespace cxlsim::device
