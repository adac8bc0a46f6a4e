#include "fabric/topology_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "device/runtime_dir.h"
#include "fabric/builtin_topologies.h"
#include "fabric/qemu_cmdline.h"
#include "fabric/topology_toml.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = fs::path(CXLSIM_SOURCE_DIR) / "examples";

// A file under the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, std::string_view text)
      : path_(fs::temp_directory_path() /
              ("cxlsim_loader_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { fs::remove(path_); }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(BuiltinTopologies, SameAsExamplesAndValid) {
  ASSERT_EQ(builtin_topology_names().size(), 13u);
  for (auto name : builtin_topology_names()) {
    SCOPED_TRACE(std::string(name));
    Topology builtin = load_topology("builtin:" + std::string(name));
    Topology file = load_topology((kExamples / (std::string(name) + ".toml")).string());
    EXPECT_EQ(builtin, in_runtime_dir(file));
    EXPECT_EQ(builtin.name, name);
    EXPECT_FALSE(has_errors(validate(builtin)));
  }
}

TEST(BuiltinTopologies, EveryExampleLoadsAndValidates) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    SCOPED_TRACE(entry.path().string());
    Topology t = load_topology(entry.path().string());
    EXPECT_FALSE(has_errors(validate(t)));
    EXPECT_FALSE(t.type3.empty() && t.mlds.empty());  // devices, placed or pooled
    ++n;
  }
  EXPECT_GE(n, 7u);
}

TEST(BuiltinTopologies, Shapes) {
  Topology d = load_topology("builtin:default");
  EXPECT_EQ(d.switches.size(), 1u);
  EXPECT_EQ(d.type3.size(), 5u);
  Topology s2 = load_topology("builtin:switch2");
  ASSERT_EQ(s2.switches.size(), 2u);
  EXPECT_TRUE(s2.find_downstream_port(s2.switches[1].parent) != nullptr);  // switch below a switch
  Topology w = load_topology("builtin:qemu-window-per-hb");
  ASSERT_EQ(w.windows.size(), 3u);
  EXPECT_EQ(w.windows[0].targets, std::vector<std::string>{"cxl.1"});
  EXPECT_EQ(w.windows[1].targets.size(), 2u);
  EXPECT_EQ(w.windows[2].targets, std::vector<std::string>{"cxl.2"});
}

// The QEMU documentation's command line imports to exactly the built-in that mirrors it.
TEST(TopologyLoader, QemuDocExampleEqualsBuiltin) {
  Topology imported = load_topology((kExamples / "qemu-single.txt").string());
  Topology builtin = load_topology("builtin:qemu-single");
  builtin.name.clear();
  EXPECT_EQ(in_runtime_dir(imported), builtin);
}

// Issue #18: no built-in names a fixed path shared by every user (/tmp/cxltest.raw).
TEST(BuiltinTopologies, BackingFilesAreInThePerUserRuntimeDirectory) {
  size_t files = 0;
  for (auto name : builtin_topology_names()) {
    for (const auto& d : load_topology("builtin:" + std::string(name)).type3) {
      for (const auto* p :
           {&d.volatile_backing.path, &d.persistent_backing.path, &d.lsa_backing.path}) {
        if (p->empty()) continue;
        ++files;
        EXPECT_EQ(p->rfind(device::runtime_dir() + "/", 0), 0u) << name << ": " << *p;
      }
    }
  }
  EXPECT_GT(files, 0u);
  EXPECT_EQ(device::runtime_dir().rfind("/tmp/cxltest", 0), std::string::npos);
}

TEST(TopologyLoader, DetectsFormatByContent) {
  std::string toml = to_toml(load_topology("builtin:switch2"));
  TempFile as_txt("a.txt", toml);  // TOML with a misleading extension
  EXPECT_EQ(load_topology(as_txt.path()), load_topology("builtin:switch2"));
  auto args = to_qemu_args(load_topology("builtin:default"), {});
  TempFile as_toml("b.toml", "# pasted\n" + format_qemu_command(args, false));
  EXPECT_EQ(load_topology(as_toml.path()).type3.size(), 5u);
  TempFile bare("c", "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1\n");
  EXPECT_EQ(load_topology(bare.path()).host_bridges.size(), 1u);
  TempFile newick("d.toml", "(1,(2,3));\n");
  EXPECT_EQ(load_topology(newick.path()).type3.size(), 3u);
  EXPECT_EQ(load_topology("newick:(1,2)").type3.size(), 2u);
}

TEST(TopologyLoader, Errors) {
  try {
    load_topology("/nonexistent/x.toml");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read topology '/nonexistent/x.toml'"),
              std::string::npos);
  }
  try {
    load_topology("builtin:nope");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("available: default, switch2"), std::string::npos)
        << e.what();
  }
  TempFile bad("bad.toml", "[[type3]]\nid = 'm'\nparent = 'nowhere'\npersistent = '1G'\n");
  EXPECT_NO_THROW(load_topology(bad.path()));
  EXPECT_THROW(load_valid_topology(bad.path()), ValidationError);
}

}  // namespace
}  // namespace cxlsim
