#include "fabric/newick.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>

#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

std::string parse_error(std::string_view text) {
  try {
    parse_newick(text, "arg");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

// CXLMemSim's README example: expander 1 on the root complex, 2 and 3 below a switch.
TEST(Newick, ReadmeExample) {
  Topology t = parse_newick("(1,(2,3))", "arg");
  ASSERT_EQ(t.host_bridges.size(), 1u);
  ASSERT_EQ(t.root_ports.size(), 2u);
  ASSERT_EQ(t.switches.size(), 1u);
  EXPECT_EQ(t.switches[0].parent, "rp1");
  ASSERT_EQ(t.downstream_ports.size(), 2u);
  ASSERT_EQ(t.type3.size(), 3u);
  EXPECT_EQ(t.type3[0].id, "mem1");
  EXPECT_EQ(t.type3[0].parent, "rp0");
  EXPECT_EQ(t.type3[0].serial, 1u);
  EXPECT_EQ(t.type3[0].persistent_size, MiB(256));
  EXPECT_EQ(t.type3[1].id, "mem2");
  EXPECT_EQ(t.type3[1].parent, "sw0p0");
  EXPECT_EQ(t.type3[2].parent, "sw0p1");
  ASSERT_EQ(t.windows.size(), 1u);
  EXPECT_EQ(t.windows[0].targets, std::vector<std::string>{"hb0"});
  EXPECT_EQ(t.windows[0].size, MiB(768));
  EXPECT_TRUE(validate(t).empty());
}

TEST(Newick, NestedSwitchesBranchLengthsAndLabels) {
  Topology t = parse_newick(" ( CPU:0 , (CXL:100, (CXL:120, 7)) ) ;\n", "arg");
  EXPECT_EQ(t.root_ports.size(), 1u);  // CPU is the host's memory, not a port
  ASSERT_EQ(t.switches.size(), 2u);
  EXPECT_EQ(t.switches[1].parent, "sw0p1");
  ASSERT_EQ(t.type3.size(), 3u);
  EXPECT_EQ(t.type3[0].id, "mem1");
  EXPECT_EQ(t.type3[1].id, "mem2");
  EXPECT_EQ(t.type3[2].id, "mem7");
  EXPECT_FALSE(has_errors(validate(t)));
}

TEST(Newick, DeviceSizeOption) {
  Topology t = parse_newick("(1,2)", "arg", NewickOptions{GiB(1)});
  EXPECT_EQ(t.type3[1].persistent_size, GiB(1));
  EXPECT_EQ(t.windows[0].size, GiB(2));
}

TEST(Newick, Errors) {
  EXPECT_NE(parse_error("1,2").find("starts with '('"), std::string::npos);
  EXPECT_NE(parse_error("(1,(2,3)").find("missing ')'"), std::string::npos);
  EXPECT_NE(parse_error("(1,1)").find("expander 1 appears twice"), std::string::npos);
  EXPECT_NE(parse_error("(1,())").find("empty group"), std::string::npos);
  EXPECT_NE(parse_error("(0)").find("leaf '0'"), std::string::npos);
  EXPECT_NE(parse_error("(1)x").find("after the closing"), std::string::npos);
  EXPECT_NE(parse_error("(R:1:2)").find("remote"), std::string::npos);
  EXPECT_NE(parse_error("(1:)").find("number after ':'"), std::string::npos);
  EXPECT_NE(parse_error(std::string(40, '(') + "1" + std::string(40, ')')).find("deeper"),
            std::string::npos);
}

TEST(Newick, Detection) {
  EXPECT_TRUE(looks_like_newick("  (1,2)"));
  EXPECT_FALSE(looks_like_newick("[[window]]"));
}

// A random well-formed tree: one device per leaf, one switch per inner group, and a valid
// topology whenever it fits in the host bridge's bus range.
RC_GTEST_PROP(Newick, WellFormedTreesMapOneToOne, ()) {
  unsigned next = 1, groups = 0;
  std::function<std::string(int)> tree = [&](int depth) {
    ++groups;
    int n = *rc::gen::inRange(1, 4);
    std::string s = "(";
    for (int i = 0; i < n; ++i) {
      if (i) s += ",";
      s += (depth < 3 && *rc::gen::inRange(0, 3) == 0) ? tree(depth + 1) : std::to_string(next++);
    }
    return s + ")";
  };
  std::string text = tree(0);
  Topology t = parse_newick(text, "gen");
  RC_ASSERT(t.type3.size() == next - 1);
  RC_ASSERT(t.switches.size() == groups - 1);
  RC_ASSERT(t.windows[0].size == MiB(256) * (next - 1));
  for (const auto& d : validate(t)) RC_ASSERT(d.severity == Severity::kWarning);
}

RC_GTEST_PROP(Newick, RandomTextNeverCrashes, ()) {
  std::string text = *rc::gen::container<std::string>(
      rc::gen::element('(', ')', ',', '1', '2', '3', ':', ';', ' ', 'C', 'X', 'L'));
  try {
    Topology t = parse_newick(text, "fuzz");
    (void)validate(t);
  } catch (const ParseError&) {
  }
}

}  // namespace
}  // namespace cxlsim
