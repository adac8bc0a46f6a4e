#include "vm/peer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "spec/error.h"

namespace cxlsim::vm {
namespace {

namespace fs = std::filesystem;

TEST(QemuVersion, ParsesDebianVersionLines) {
  auto v72 = parse_qemu_version(
      "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
      "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n");
  ASSERT_TRUE(v72);
  EXPECT_EQ(*v72, (QemuVersion{7, 2, 19}));
  auto v10 = parse_qemu_version("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2~bpo12+1)");
  ASSERT_TRUE(v10);
  EXPECT_EQ(*v10, (QemuVersion{10, 0, 2}));
  EXPECT_EQ(to_string(*v10), "10.0.2");
  auto two = parse_qemu_version("QEMU emulator version 9.1");
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, (QemuVersion{9, 1, 0}));
}

TEST(QemuVersion, RejectsOutputWithoutAVersion) {
  EXPECT_FALSE(parse_qemu_version(""));
  EXPECT_FALSE(parse_qemu_version("qemu-system-x86_64: invalid option"));
  EXPECT_FALSE(parse_qemu_version("QEMU emulator version x.y"));
  // Only the first line counts.
  EXPECT_FALSE(parse_qemu_version("usage\nQEMU emulator version 7.2.0"));
}

TEST(Peer, NamedByQemuMajorOrMinor) {
  EXPECT_EQ(peer_named("7").kind, PeerKind::qemu72_linux61);
  EXPECT_EQ(peer_named("7.2").kind, PeerKind::qemu72_linux61);
  EXPECT_EQ(peer_named("10").kind, PeerKind::qemu10_linux612);
  EXPECT_EQ(peer_named("10.0").kind, PeerKind::qemu10_linux612);
  EXPECT_THROW(peer_named("8"), ValidationError);
  EXPECT_THROW(peer_named("10.1"), ValidationError);
  EXPECT_THROW(peer_named(""), ValidationError);
}

TEST(Peer, DetectedVersionPicksTheKernel) {
  EXPECT_EQ(peer_of({7, 2, 19}).kernel_series, "6.1");
  EXPECT_EQ(peer_of({10, 0, 2}).kernel_series, "6.12");
  EXPECT_THROW(peer_of({9, 2, 0}), ValidationError);
  // The two peers never share a kernel cache folder: 6.12 fails to probe on 7.2.
  EXPECT_NE(peer(PeerKind::qemu72_linux61).kernel.cache_dir,
            peer(PeerKind::qemu10_linux612).kernel.cache_dir);
  EXPECT_EQ(peer(PeerKind::qemu10_linux612).suite, "bookworm-backports");
}

// Linux 6.12 refuses to commit a region when CPUID names a hypervisor (it cannot invalidate the
// CPU caches for it); Linux 6.1 does not check, and its guests keep QEMU's plain `max`.
TEST(Peer, OnlyTheLinux612PeerClearsTheHypervisorBit) {
  EXPECT_EQ(peer(PeerKind::qemu72_linux61).cpu, "max");
  EXPECT_EQ(peer(PeerKind::qemu10_linux612).cpu, "max,hypervisor=off");
}

class PeerDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cxlsim-peer-test.{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// A fake qemu-system-x86_64 printing `version_line`.
void write_fake_qemu(const fs::path& p, const std::string& version_line) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "#!/bin/sh\necho '" << version_line << "'\n";
  fs::permissions(p, fs::perms::owner_all);
}

TEST_F(PeerDir, DetectsTheVersionOfABinary) {
  write_fake_qemu(dir_ / "qemu", "QEMU emulator version 10.0.2 (test)");
  EXPECT_EQ(detect_qemu_version(dir_ / "qemu"), (QemuVersion{10, 0, 2}));
  write_fake_qemu(dir_ / "other", "not qemu");
  EXPECT_THROW(detect_qemu_version(dir_ / "other"), VmError);
  EXPECT_THROW(detect_qemu_version(dir_ / "missing"), VmError);
}

TEST_F(PeerDir, UsesTheCachedQemuOfThePeer) {
  fs::path tree = dir_ / "vm" / "qemu-10.0.2";
  write_fake_qemu(tree / "usr/bin/qemu-system-x86_64", "QEMU emulator version 10.0.2 (test)");
  fs::create_directories(tree / "usr/share/qemu");
  std::ofstream(dir_ / "vm" / "qemu-10.current") << "qemu-10.0.2\n";
  PeerQemu q = ensure_qemu(dir_, peer(PeerKind::qemu10_linux612), {});
  EXPECT_EQ(q.binary, tree / "usr/bin/qemu-system-x86_64");
  EXPECT_EQ(q.firmware, tree / "usr/share/qemu");
  EXPECT_EQ(q.version, (QemuVersion{10, 0, 2}));
}

TEST_F(PeerDir, RefusesACachedQemuOfAnotherVersion) {
  fs::path tree = dir_ / "vm" / "qemu-9";
  write_fake_qemu(tree / "usr/bin/qemu-system-x86_64", "QEMU emulator version 9.2.0 (test)");
  fs::create_directories(tree / "usr/share/qemu");
  std::ofstream(dir_ / "vm" / "qemu-10.current") << "qemu-9\n";
  try {
    ensure_qemu(dir_, peer(PeerKind::qemu10_linux612), {});
    FAIL() << "a QEMU 9 binary passed as the QEMU 10 peer";
  } catch (const VmError& e) {
    EXPECT_NE(std::string(e.what()).find("detect QEMU version"), std::string::npos) << e.what();
  }
}

TEST_F(PeerDir, AnUnpackedTreeNeedsBinaryAndFirmware) {
  write_fake_qemu(dir_ / "usr/bin/qemu-system-x86_64", "QEMU emulator version 10.0.2");
  EXPECT_THROW(qemu_in(dir_), VmError);  // no usr/share/qemu
  fs::create_directories(dir_ / "usr/share/qemu");
  EXPECT_EQ(qemu_in(dir_).firmware, dir_ / "usr/share/qemu");
}

// cxlsim's QEMU build (scripts/build-qemu) is the folder qemu-cxlsim-7.2.current names; missing,
// the error names the script.
TEST_F(PeerDir, CxlsimQemuIsTheBuildTheCurrentFileNames) {
  try {
    cxlsim_qemu(dir_);
    FAIL() << "no build, yet a QEMU was found";
  } catch (const VmError& e) {
    EXPECT_NE(std::string(e.what()).find("scripts/build-qemu"), std::string::npos) << e.what();
  }
  fs::path bin = dir_ / "qemu-cxlsim-7.2-abc" / "bin" / "qemu-system-x86_64";
  write_fake_qemu(bin, "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)");
  std::ofstream(dir_ / "qemu-cxlsim-7.2.current") << "qemu-cxlsim-7.2-old\n";
  EXPECT_THROW(cxlsim_qemu(dir_), VmError);  // names a folder that is gone
  std::ofstream(dir_ / "qemu-cxlsim-7.2.current") << "qemu-cxlsim-7.2-abc\n";
  const PeerQemu q = cxlsim_qemu(dir_);
  EXPECT_EQ(q.binary, bin);
  EXPECT_EQ(q.version, (QemuVersion{7, 2, 19}));
}

TEST(Suite, TheSystemSuiteNeedsNoSource) { EXPECT_NO_THROW(require_suite("")); }

}  // namespace
}  // namespace cxlsim::vm
