// Label storage is read and written by range: a large LSA costs nothing until touched, keeps
// what Set LSA wrote across a restart, and an older state's whole-LSA copy moves into it.
#include "device/label_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "device/mbox_test_util.h"
#include "device/memdev.h"
#include "device/memdev_state_file.h"

namespace cxlsim::device {
namespace {

using testing::In;

class LabelStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cxlsim_lsa_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A memdev with a 256 MiB LSA (QEMU's examples) and no LSA file: labels beside its state.
  [[nodiscard]] cxlsim::MemdevConfig config() const {
    cxlsim::MemdevConfig c;
    c.id = "mem0";
    c.persistent_size = MiB(256);
    c.lsa_size = MiB(256);
    c.state_path = (dir_ / "mem0.state").string();
    return c;
  }
  static MboxResult run(cxlsim::Memdev& m, uint16_t op, const std::vector<uint8_t>& in = {}) {
    return m.cci().execute(op, in);
  }
  std::filesystem::path dir_;
};

// Bytes of disk a file occupies (its holes excluded).
uint64_t allocated(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

TEST_F(LabelStorageTest, SetLsaNearTheEndOfALargeLsaSurvivesARestart) {
  const uint64_t offset = MiB(256).value() - 6;
  {
    cxlsim::Memdev m(config());
    ASSERT_EQ(
        run(m, opcode::kSetLsa, In().u32(offset).u32(0).u8(1).u8(2).u8(3).u8(4).u8(5).u8(6)).rc,
        MboxReturn::kSuccess);
    m.sync_media();
    save_state(config().state_path, m.cci().config(), m.cci().state());
  }
  const auto labels = dir_ / "mem0.state.lsa";
  ASSERT_TRUE(std::filesystem::exists(labels));
  EXPECT_EQ(std::filesystem::file_size(labels), MiB(256).value());
  EXPECT_LT(allocated(labels), MiB(1).value()) << "the LSA was written whole";
  EXPECT_LT(std::filesystem::file_size(config().state_path), 64 * 1024u) << "labels in the state";
  cxlsim::Memdev again(config());
  ASSERT_TRUE(again.restore_state());
  EXPECT_EQ(run(again, opcode::kGetLsa, In().u32(offset - 2).u32(8)).out,
            (std::vector<uint8_t>{0, 0, 1, 2, 3, 4, 5, 6}));
}

// Sanitize on sparse RAM media (erasing a Memdev's anonymous media would touch it all).
TEST_F(LabelStorageTest, NothingIsCreatedUntilLabelsAreWritten) {
  auto c = testing::test_config();
  c.lsa_size = MiB(256);
  testing::TestDevice t(c);
  const auto labels = dir_ / "mem0.state.lsa";
  t.dev.set_label_storage(LabelStorage(labels.string(), c.lsa_size));
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(4096).u32(16)).out, std::vector<uint8_t>(16, 0));
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  t.dev.run_background_to_completion();
  t.dev.lsa().sync();
  EXPECT_FALSE(std::filesystem::exists(labels));
}

TEST_F(LabelStorageTest, SanitizeErasesAFileWithoutWritingItWhole) {
  auto c = testing::test_config();
  c.lsa_size = MiB(256);
  testing::TestDevice t(c);
  const auto labels = dir_ / "mem0.state.lsa";
  t.dev.set_label_storage(LabelStorage(labels.string(), c.lsa_size));
  ASSERT_EQ(t.rc(opcode::kSetLsa, In().u32(MiB(100).value()).u32(0).fill(64, 0xa5)),
            MboxReturn::kSuccess);
  ASSERT_EQ(t.rc(opcode::kSanitize), MboxReturn::kBackgroundCommandStarted);
  t.dev.run_background_to_completion();
  EXPECT_EQ(t.run(opcode::kGetLsa, In().u32(MiB(100).value()).u32(64)).out,
            std::vector<uint8_t>(64, 0));
  // A fresh reader sees the file's bytes, not a cache.
  LabelStorage reader(labels.string(), c.lsa_size);
  std::vector<uint8_t> back(64, 1);
  reader.read(MiB(100).value(), back);
  EXPECT_EQ(back, std::vector<uint8_t>(64, 0));
  EXPECT_LT(allocated(labels), MiB(1).value());
}

TEST_F(LabelStorageTest, RamLabelsAreSparse) {
  LabelStorage ram(GiB(1));
  const std::vector<uint8_t> data{9, 8, 7};
  ram.write(GiB(1).value() - 3, data);
  std::vector<uint8_t> back(3);
  ram.read(GiB(1).value() - 3, back);
  EXPECT_EQ(back, data);
  ram.erase();
  ram.read(GiB(1).value() - 3, back);
  EXPECT_EQ(back, std::vector<uint8_t>(3, 0));
}

// A state written before labels moved out of it held the whole LSA as hex: loading it moves
// the labels into the label storage, and the next save leaves them out.
TEST_F(LabelStorageTest, LabelsOfAnOlderStateMoveIntoTheLabelFile) {
  auto c = config();
  c.lsa_size = KiB(8);
  {
    cxlsim::Memdev m(c);
    save_state(c.state_path, m.cci().config(), m.cci().state());
  }
  nlohmann::json j;
  std::ifstream(c.state_path) >> j;
  std::vector<uint8_t> old(KiB(8).value(), 0);
  old[5000] = 0x5a;
  j["lsa"] = format_hex_bytes(old);
  std::ofstream(c.state_path) << j.dump();
  cxlsim::Memdev m(c);
  ASSERT_TRUE(m.restore_state());
  EXPECT_EQ(run(m, opcode::kGetLsa, In().u32(4999).u32(2)).out, (std::vector<uint8_t>{0, 0x5a}));
  save_state(c.state_path, m.cci().config(), m.cci().state());
  std::ifstream in(c.state_path);
  nlohmann::json saved;
  in >> saved;
  EXPECT_FALSE(saved.contains("lsa"));
  cxlsim::Memdev again(c);
  ASSERT_TRUE(again.restore_state());
  EXPECT_EQ(run(again, opcode::kGetLsa, In().u32(5000).u32(1)).out, std::vector<uint8_t>{0x5a});
}

}  // namespace
}  // namespace cxlsim::device
