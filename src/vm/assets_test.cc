#include "vm/assets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "spec/error.h"
#include "vm/initramfs.h"

namespace cxlsim::vm {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("cxlsim-vm-test-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(CacheRoot, XdgCacheHomeWhenAbsoluteElseHome) {
  ScopedEnv home("HOME", "/home/u");
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/var/cache/x");
    EXPECT_EQ(cache_root(), fs::path("/var/cache/x/cxlsim"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "relative");  // the XDG spec says: ignore
    EXPECT_EQ(cache_root(), fs::path("/home/u/.cache/cxlsim"));
  }
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(cache_root(), fs::path("/home/u/.cache/cxlsim"));
}

TEST(KernelIn, FindsImageAndModules) {
  fs::path d = scratch("kernel");
  fs::create_directories(d / "boot");
  std::ofstream(d / "boot" / "vmlinuz-6.1.0-9-amd64") << "x";
  EXPECT_THROW(kernel_in(d, "linux-image-6.1.0-9-amd64"), VmError);  // no modules yet
  fs::create_directories(d / "lib" / "modules" / "6.1.0-9-amd64");
  Kernel k = kernel_in(d, "linux-image-6.1.0-9-amd64");
  EXPECT_EQ(k.release, "6.1.0-9-amd64");
  EXPECT_EQ(k.image, d / "boot" / "vmlinuz-6.1.0-9-amd64");
  EXPECT_EQ(k.modules, d / "lib" / "modules" / "6.1.0-9-amd64");
  fs::remove_all(d);
  fs::create_directories(d);
  EXPECT_THROW(kernel_in(d, "p"), VmError);
  fs::remove_all(d);
}

TEST(Initramfs, SharedLibrariesOfADynamicProgram) {
  auto libs = shared_libraries("/bin/sh");
  bool libc = false;
  for (const auto& l : libs) {
    EXPECT_TRUE(l.is_absolute()) << l;
    libc = libc || l.filename().string().starts_with("libc.so");
  }
  EXPECT_TRUE(libc);
}

// A Type 2 guest carries lspci and its libraries, the shim where the loader looks, and the
// programs under /opt/cxlsim/bin with their libraries.
TEST(Initramfs, AccelGuestFilesCarryLspciTheShimAndThePrograms) {
  const auto files = accel_guest_files("/bin/sh", {"/bin/true"});
  auto guest_has = [&](const fs::path& guest) {
    return std::any_of(files.begin(), files.end(),
                       [&](const GuestFile& f) { return f.guest == guest && fs::exists(f.host); });
  };
  EXPECT_TRUE(guest_has("/usr/bin/lspci"));
  EXPECT_TRUE(guest_has("/usr/lib/x86_64-linux-gnu/libcuda.so.1"));
  EXPECT_TRUE(guest_has("/opt/cxlsim/bin/true"));
  for (const auto& lib : shared_libraries("/usr/bin/lspci")) EXPECT_TRUE(guest_has(lib)) << lib;
  for (const auto& lib : shared_libraries("/bin/true")) EXPECT_TRUE(guest_has(lib)) << lib;
  for (const auto& f : files) EXPECT_TRUE(f.guest.is_absolute()) << f.guest;
}

TEST(Initramfs, BootInitrdIsTheBaseFollowedByTheCommands) {
  fs::path d = scratch("initrd");
  std::string base_bytes(512, 'B');
  std::ofstream(d / "base.cpio", std::ios::binary) << base_bytes;
  make_boot_initrd(d / "base.cpio", "echo hello-from-guest\n", {}, d, d / "initrd.img");
  std::ifstream in(d / "initrd.img", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  ASSERT_GT(all.size(), base_bytes.size());
  EXPECT_EQ(all.substr(0, base_bytes.size()), base_bytes);
  std::string extra = all.substr(base_bytes.size());
  EXPECT_TRUE(extra.starts_with("070701")) << "newc magic";
  EXPECT_NE(extra.find("cxlsim/cmd.sh"), std::string::npos);
  EXPECT_NE(extra.find("echo hello-from-guest"), std::string::npos);
  EXPECT_NE(extra.find("TRAILER!!!"), std::string::npos);
  fs::remove_all(d);
}

TEST(Initramfs, BootInitrdCarriesHostFilesWithTheirPermissions) {
  fs::path d = scratch("files");
  std::ofstream(d / "base.cpio", std::ios::binary) << std::string(512, 'B');
  std::ofstream(d / "prog", std::ios::binary) << "payload-of-the-guest-program";
  fs::permissions(d / "prog", fs::perms::owner_all);
  make_boot_initrd(d / "base.cpio", "true\n",
                   {parse_guest_file((d / "prog").string() + ":/opt/t/prog")}, d, d / "initrd.img");
  // Unpack the appended archive with cpio and look at the carried file.
  fs::path out = d / "out";
  fs::create_directories(out);
  std::string cmd =
      "cd " + out.string() + " && tail -c +513 ../initrd.img | cpio -id --quiet 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out / "opt/t/prog", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "payload-of-the-guest-program");
  EXPECT_EQ(fs::status(out / "opt/t/prog").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_TRUE(fs::exists(out / "cxlsim/cmd.sh"));
  EXPECT_THROW(make_boot_initrd(d / "base.cpio", "true\n", {parse_guest_file("/no/such/file:/x")},
                                d, d / "initrd.img"),
               VmError);
  fs::remove_all(d);
}

TEST(Initramfs, GuestFileSpecMustNameAnAbsoluteGuestPathOutsideCxlsim) {
  GuestFile f = parse_guest_file("/tmp/a:b:/usr/bin/x");
  EXPECT_EQ(f.host, "/tmp/a:b");
  EXPECT_EQ(f.guest, "/usr/bin/x");
  for (const char* bad :
       {"/tmp/a", ":/x", "/tmp/a:", "/tmp/a:rel/x", "/tmp/a:/x/../y", "/tmp/a:/cxlsim/cmd.sh"}) {
    EXPECT_THROW(parse_guest_file(bad), ParseError) << bad;
  }
}

}  // namespace
}  // namespace cxlsim::vm
