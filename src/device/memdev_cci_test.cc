// The command interface as the rest of the model sees it through Memdev: host reads report
// poison, a locked device refuses media, sanitize erases the backing file, partition changes
// move the boundary HDM decoders check, label storage lands in the LSA backing file.
#include "device/memdev_cci.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "device/mbox_test_util.h"
#include "device/memdev.h"

namespace cxlsim::device {
namespace {

using testing::In;

cxlsim::MemdevConfig memdev_config(const std::string& dir = "") {
  cxlsim::MemdevConfig c;
  c.id = "mem0";
  c.volatile_size = MiB(256);
  c.persistent_size = MiB(256);
  c.lsa_size = KiB(64);
  if (!dir.empty()) {
    c.persistent_path = dir + "/pmem.raw";
    c.lsa_path = dir + "/lsa.raw";
  }
  return c;
}

MboxResult run(Memdev& m, uint16_t op, const std::vector<uint8_t>& in = {}) {
  return m.cci().execute(op, in);
}

TEST(MemdevCci, HostReadOfInjectedPoisonReportsPoisonUntilCleared) {
  Memdev m(memdev_config());
  std::array<std::byte, 64> buf{};
  ASSERT_EQ(run(m, opcode::kInjectPoison, In().u64(MiB(300).value())).rc, MboxReturn::kSuccess);
  EXPECT_EQ(m.read(Dpa(MiB(300).value()), buf), MediaAccess::kPoisoned);
  ASSERT_EQ(run(m, opcode::kClearPoison, In().u64(MiB(300).value()).fill(64, 0x42)).rc,
            MboxReturn::kSuccess);
  EXPECT_EQ(m.read(Dpa(MiB(300).value()), buf), MediaAccess::kOk);
  EXPECT_EQ(buf[0], std::byte{0x42});
}

TEST(MemdevCci, LockedDeviceRefusesMediaUntilUnlocked) {
  Memdev m(memdev_config());
  std::array<std::byte, 8> data{std::byte{1}}, buf{};
  ASSERT_EQ(m.write(Dpa(0), data), MediaAccess::kOk);
  ASSERT_EQ(run(m, opcode::kSetPassphrase, In().u8(1).fill(0x1f).fill(32).fill(32, 'k')).rc,
            MboxReturn::kSuccess);
  m.cci().reset(ResetKind::kCold);
  EXPECT_EQ(m.read(Dpa(0), buf), MediaAccess::kLocked);
  EXPECT_EQ(buf[0], std::byte{0});
  EXPECT_EQ(m.write(Dpa(0), buf), MediaAccess::kLocked);
  ASSERT_EQ(run(m, opcode::kUnlock, In().fill(32, 'k')).rc, MboxReturn::kSuccess);
  EXPECT_EQ(m.read(Dpa(0), buf), MediaAccess::kOk);
  EXPECT_EQ(buf[0], std::byte{1});
}

TEST(MemdevCci, PartitionChangeMovesTheBoundaryDecodersCheck) {
  Memdev m(memdev_config());
  EXPECT_EQ(m.volatile_capacity(), MiB(256));
  ASSERT_EQ(run(m, opcode::kSetPartitionInfo, In().u64(0).u8(0).u8(0)).rc, MboxReturn::kSuccess);
  EXPECT_EQ(m.volatile_capacity(), MiB(256));  // until reset
  m.cci().reset(ResetKind::kCold);
  EXPECT_EQ(m.volatile_capacity(), Bytes(0));
  EXPECT_EQ(m.persistent_capacity(), MiB(512));
  // An endpoint decoder over all 512 MiB no longer straddles a boundary.
  auto& hdm = m.hdm();
  hdm.set_enabled(true);
  DecoderSettings s;
  s.base = Hpa(GiB(4).value());
  s.size = MiB(512);
  hdm.program(0, s);
  EXPECT_TRUE(hdm.commit(0)) << hdm.last_error();
}

TEST(MemdevCci, PartitionBoundaryRefusesStraddlingDecoder) {
  Memdev m(memdev_config());
  auto& hdm = m.hdm();
  hdm.set_enabled(true);
  DecoderSettings s;
  s.base = Hpa(GiB(4).value());
  s.size = MiB(512);
  hdm.program(0, s);
  EXPECT_FALSE(hdm.commit(0));  // 256 MiB volatile + 256 MiB persistent
}

class MemdevFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cxlsim_memdev_cci_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(MemdevFiles, SanitizeErasesTheBackingFile) {
  {
    Memdev m(memdev_config(dir_.string()));
    std::array<std::byte, 16> data{};
    data.fill(std::byte{0xcc});
    ASSERT_EQ(m.write(Dpa(MiB(256).value() + 4096), data), MediaAccess::kOk);
    ASSERT_EQ(run(m, opcode::kSanitize).rc, MboxReturn::kBackgroundCommandStarted);
    m.cci().run_background_to_completion();
  }
  std::ifstream f(dir_ / "pmem.raw", std::ios::binary);
  f.seekg(4096);
  char c = 1;
  f.read(&c, 1);
  EXPECT_EQ(c, 0);
}

TEST_F(MemdevFiles, LabelStorageIsTheLsaBackingFile) {
  {
    Memdev m(memdev_config(dir_.string()));
    ASSERT_EQ(run(m, opcode::kSetLsa, In().u32(16).u32(0).u8('L').u8('B')).rc,
              MboxReturn::kSuccess);
  }
  Memdev again(memdev_config(dir_.string()));
  EXPECT_EQ(run(again, opcode::kGetLsa, In().u32(16).u32(2)).out, (std::vector<uint8_t>{'L', 'B'}));
}

}  // namespace
}  // namespace cxlsim::device
