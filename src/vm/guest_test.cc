#include "vm/guest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "vm/machine.h"
#include "vm/qemu.h"
#include "vm/step.h"

namespace cxlsim::vm {
namespace {

std::string feed_all(GuestStream& s, const std::vector<std::string>& chunks) {
  std::string out;
  for (const auto& c : chunks) s.feed(c, [&](std::string_view t) { out.append(t); });
  return out;
}

TEST(GuestStream, PassesOutputBetweenMarkersAndReadsStatus) {
  GuestStream s;
  std::string out = feed_all(s, {"noise\n@@CXLSIM-BEGIN v1@@\nhello\nworld\n@@CXLSIM-END 3@@\n"});
  EXPECT_EQ(out, "hello\nworld\n");
  ASSERT_TRUE(s.status());
  EXPECT_EQ(*s.status(), 3);
}

TEST(GuestStream, MarkersSplitAcrossChunks) {
  GuestStream s;
  std::string out = feed_all(s, {"@@CXLSIM-BE", "GIN v1@@\nab", "c@@CXL", "SIM-END 1", "7@@\n"});
  EXPECT_EQ(out, "abc");
  ASSERT_TRUE(s.status());
  EXPECT_EQ(*s.status(), 17);
}

TEST(GuestStream, TextThatOnlyLooksLikeAMarkerPrefixIsPassedOn) {
  GuestStream s;
  std::string out = feed_all(s, {"@@CXLSIM-BEGIN v1@@\n", "a @@CXL", "x\n", "@@CXLSIM-END 0@@"});
  EXPECT_EQ(out, "a @@CXLx\n");
  EXPECT_EQ(*s.status(), 0);
}

TEST(GuestStream, NoStatusBeforeEndMarker) {
  GuestStream s;
  feed_all(s, {"@@CXLSIM-BEGIN v1@@\npartial"});
  EXPECT_TRUE(s.began());
  EXPECT_FALSE(s.status());
}

TEST(GuestInit, LoadsCxlModulesAndFramesOutput) {
  std::string init = guest_init_script();
  for (const char* m : {"cxl_acpi", "cxl_pci", "cxl_mem", "cxl_pmem", "nd_pmem"}) {
    EXPECT_NE(init.find(m), std::string::npos) << m;
  }
  EXPECT_NE(init.find(std::string(kBeginMarker)), std::string::npos);
  EXPECT_NE(init.find(std::string(kEndMarker) + "$?@@"), std::string::npos);
  EXPECT_NE(init.find("poweroff -f"), std::string::npos);
  EXPECT_TRUE(init.starts_with("#!/bin/busybox sh\n"));
}

TEST(GuestCmdline, CarriesModeAndMemdevs) {
  EXPECT_EQ(guest_kernel_cmdline(GuestMode::run, 4),
            "console=ttyS0 panic=-1 quiet no_timer_check cxlsim.mode=run cxlsim.memdevs=4");
  EXPECT_NE(guest_kernel_cmdline(GuestMode::shell, 0).find("cxlsim.mode=shell"), std::string::npos);
}

TEST(QemuArgv, TcgWithTwoSerialPortsAndTheMachineLast) {
  BootConfig c;
  c.kernel = "/k";
  c.initrd = "/i";
  c.console_log = "/tmp/c.log";
  c.machine_args = {"-machine", "q35,cxl=on"};
  auto argv = qemu_argv(c);
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(argv.front(), "qemu-system-x86_64");
  auto at = [&](const std::string& opt) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == opt) return argv[i + 1];
    }
    return std::string();
  };
  EXPECT_EQ(at("-accel"), "tcg");
  EXPECT_EQ(at("-cpu"), "max");
  EXPECT_EQ(at("-m"), "2G");
  EXPECT_EQ(at("-serial"), "file:/tmp/c.log");  // ttyS0: console
  EXPECT_EQ(argv[argv.size() - 2], "-machine");
  EXPECT_EQ(argv.back(), "q35,cxl=on");
  c.cpu = "max,hypervisor=off";
  argv = qemu_argv(c);
  EXPECT_EQ(at("-cpu"), "max,hypervisor=off");
}

TEST(QemuArgv, QmpSocketListensWithoutWaitingOnlyWhenGiven) {
  BootConfig c;
  c.machine_args = {"-machine", "q35,cxl=on"};
  auto argv = qemu_argv(c);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-qmp"), argv.end());
  c.qmp_socket = "/run/g.qmp";
  argv = qemu_argv(c);
  auto it = std::find(argv.begin(), argv.end(), "-qmp");
  ASSERT_NE(it, argv.end());
  ASSERT_NE(it + 1, argv.end());
  EXPECT_EQ(*(it + 1), "unix:/run/g.qmp,server=on,wait=off");
  EXPECT_EQ(argv.back(), "q35,cxl=on");
}

TEST(BackingFiles, ReadsMemoryBackendFileObjects) {
  auto files =
      backing_files({"-object", "memory-backend-file,id=m0,share=on,mem-path=/a/b.raw,size=256M",
                     "-object", "memory-backend-ram,id=r,size=1G", "-device", "x"});
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].id, "m0");
  EXPECT_EQ(files[0].path, "/a/b.raw");
  EXPECT_EQ(files[0].size, MiB(256));
  EXPECT_THROW(backing_files({"-object", "memory-backend-file,id=m0,size=1M"}), VmError);
}

TEST(BackingFiles, CreatesFilesWithExactSizeKeepingContent) {
  auto dir = std::filesystem::temp_directory_path() / "cxlsim-vm-test-backing";
  std::filesystem::remove_all(dir);
  BackingFile f{"m0", dir / "sub" / "m0.raw", KiB(64)};
  create_backing_files({f});
  EXPECT_EQ(std::filesystem::file_size(f.path), 65536u);
  run_shell_step("write", "printf tag | dd of=" + shell_quote(f.path.string()) +
                              " bs=1 seek=100 conv=notrunc 2>/dev/null");
  f.size = KiB(128);
  create_backing_files({f});
  EXPECT_EQ(std::filesystem::file_size(f.path), 131072u);
  EXPECT_EQ(run_step("read",
                     {"dd", "if=" + f.path.string(), "bs=1", "skip=100", "count=3", "status=none"}),
            "tag");
  std::filesystem::remove_all(dir);
}

TEST(Step, FailureNamesStepProgramAndStderr) {
  try {
    run_shell_step("do a thing", "echo oops >&2; exit 3");
    FAIL() << "no throw";
  } catch (const VmError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("do a thing: /bin/sh exited with status 3: oops"), std::string::npos)
        << what;
  }
  EXPECT_THROW(run_step("missing", {"cxlsim-no-such-program"}), VmError);
  EXPECT_EQ(run_step("echo", {"echo", "hi"}), "hi\n");
}

TEST(Step, ShellQuote) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

}  // namespace
}  // namespace cxlsim::vm
