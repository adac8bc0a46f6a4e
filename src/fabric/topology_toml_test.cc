#include "fabric/topology_toml.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "fabric/topology_testing.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

constexpr std::string_view kSmall = R"(
version = 1
name = "small"
[[window]]
id = "w0"
base = "0x4c00000000"
size = "4G"
targets = ["hb0"]
granularity = "4k"
restrictions = ["volatile", "type3"]

[[host_bridge]]
id = "hb0"
bus_nr = 52

[[root_port]]
id = "rp0"
host_bridge = "hb0"

[[root_port]]
id = "rp1"
host_bridge = "hb0"
chassis = 1
slot = 7

[[type3]]
id = "mem0"
parent = "rp0"
volatile = "512M"
persistent = 1073741824
lsa = "128k"
serial = "0xfedcba9876543210"
persistent_path = "/var/tmp/p.raw"

[[type2]]
id = "acc0"
parent = "rp1"
hdm = "256M"
cache = "64K"
serial = 7
)";

std::string parse_error(std::string_view text) {
  try {
    parse_topology_toml(text, "t.toml");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TopologyToml, ParsesEveryKey) {
  Topology t = parse_topology_toml(kSmall, "small.toml");
  EXPECT_EQ(t.name, "small");
  ASSERT_EQ(t.windows.size(), 1u);
  EXPECT_EQ(t.windows[0].base, 0x4c00000000u);
  EXPECT_EQ(t.windows[0].size, GiB(4));
  EXPECT_EQ(t.windows[0].granularity, KiB(4));
  EXPECT_EQ(t.windows[0].restrictions.encode(), 0x6);  // type3 (bit 1) | volatile (bit 2)
  ASSERT_EQ(t.host_bridges.size(), 1u);
  EXPECT_EQ(t.host_bridges[0].bus_nr, 52u);
  EXPECT_EQ(t.host_bridges[0].uid, 52u);  // defaults to bus_nr
  ASSERT_EQ(t.root_ports.size(), 2u);
  EXPECT_EQ(t.root_ports[0].port_number, 0u);  // position below hb0
  EXPECT_EQ(t.root_ports[1].port_number, 1u);
  EXPECT_EQ(t.root_ports[1].chassis, 1u);
  EXPECT_EQ(t.root_ports[1].slot, 7u);
  ASSERT_EQ(t.type3.size(), 1u);
  EXPECT_EQ(t.type3[0].volatile_size, MiB(512));
  EXPECT_EQ(t.type3[0].persistent_size, GiB(1));
  EXPECT_EQ(t.type3[0].lsa_size, KiB(128));
  EXPECT_EQ(t.type3[0].serial, 0xfedcba9876543210u);
  EXPECT_EQ(t.type3[0].persistent_backing.path, "/var/tmp/p.raw");
  EXPECT_TRUE(t.type3[0].volatile_backing.path.empty());
  ASSERT_EQ(t.type2.size(), 1u);
  EXPECT_EQ(t.type2[0].hdm_size, MiB(256));
  EXPECT_EQ(t.type2[0].cache_size, KiB(64));
  EXPECT_EQ(t.type2[0].serial, 7u);
  EXPECT_FALSE(has_errors(validate(t)));
}

TEST(TopologyToml, DefaultsWhenKeysAreAbsent) {
  Topology t = parse_topology_toml("[[window]]\nid='w'\nsize='1G'\ntargets=['h']\n", "x");
  EXPECT_EQ(t.windows[0].granularity, Bytes(256));
  EXPECT_FALSE(t.windows[0].base.has_value());
  EXPECT_EQ(t.windows[0].restrictions, WindowRestrictions{});
  t = parse_topology_toml("[[window]]\nid='w'\nsize='1G'\nbase='256G'\n", "x");
  EXPECT_EQ(t.windows[0].base, GiB(256).value());
}

TEST(TopologyToml, UnknownKeyNamesKeyAndElement) {
  std::string e = parse_error("[[type3]]\nid = \"mem0\"\nparent = \"rp0\"\npersistant = \"1G\"\n");
  EXPECT_NE(e.find("unknown key 'persistant'"), std::string::npos) << e;
  EXPECT_NE(e.find("[[type3]] 'mem0'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.toml:1"), std::string::npos) << e;
}

TEST(TopologyToml, UnknownTopLevelKey) {
  EXPECT_NE(parse_error("[[hostbridge]]\nid='x'\n").find("unknown top-level key 'hostbridge'"),
            std::string::npos);
}

TEST(TopologyToml, BadValuesNameTheKey) {
  std::string e = parse_error("[[type3]]\nid='m'\nparent='p'\npersistent='12Q'\n");
  EXPECT_NE(e.find("key 'persistent'"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown unit"), std::string::npos) << e;
  e = parse_error("[[host_bridge]]\nid='h'\nbus_nr=300\n");
  EXPECT_NE(e.find("key 'bus_nr'"), std::string::npos) << e;
  e = parse_error("[[host_bridge]]\nid='h'\n");
  EXPECT_NE(e.find("missing required key 'bus_nr'"), std::string::npos) << e;
  e = parse_error("[[root_port]]\nhost_bridge='h'\n");
  EXPECT_NE(e.find("missing required key 'id'"), std::string::npos) << e;
  e = parse_error("[[window]]\nid='w'\nsize='1G'\ntargets='hb0'\n");
  EXPECT_NE(e.find("key 'targets'"), std::string::npos) << e;
  e = parse_error("[[window]]\nid='w'\nsize='1G'\nrestrictions=['pmem']\n");
  EXPECT_NE(e.find("unknown restriction 'pmem'"), std::string::npos) << e;
  e = parse_error("[type3]\nid='m'\n");
  EXPECT_NE(e.find("[[type3]]"), std::string::npos) << e;
  e = parse_error("version = 2\n");
  EXPECT_NE(e.find("unsupported format version"), std::string::npos) << e;
  e = parse_error("[[type3]]\nid='m'\nparent='p'\nserial='1G'\n");
  EXPECT_NE(e.find("'1G' is not a number"), std::string::npos) << e;
  e = parse_error("[[type3]]\nid='m'\nparent='p'\nserial=-1\n");
  EXPECT_NE(e.find("key 'serial'"), std::string::npos) << e;
}

TEST(TopologyToml, SyntaxErrorHasPosition) {
  std::string e = parse_error("[[type3]]\nid = \"m\nparent='p'\n");
  EXPECT_NE(e.find("t.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("TOML syntax error"), std::string::npos) << e;
}

TEST(TopologyToml, EmitsWhatItReads) {
  Topology t = parse_topology_toml(kSmall, "small.toml");
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
}

RC_GTEST_PROP(TopologyToml, RoundTrip, ()) {
  Topology t = *testing::gen_valid_topology(false);
  std::string text = to_toml(t);
  Topology back = parse_topology_toml(text, "roundtrip");
  RC_ASSERT(back == t);
}

RC_GTEST_PROP(TopologyToml, GeneratedTopologiesAreValid, ()) {
  Topology t = *testing::gen_valid_topology(false);
  for (const auto& d : validate(t)) {
    if (d.severity != Severity::kWarning) RC_FAIL(to_string(d));
  }
}

// Random text and random edits of valid files either parse or throw ParseError; whatever
// parses can be validated and written back without crashing.
RC_GTEST_PROP(TopologyToml, BadInputNeverCrashes, ()) {
  std::string text = to_toml(*testing::gen_valid_topology(false));
  int edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits; ++i) {
    size_t pos = *rc::gen::inRange<size_t>(0, text.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text.erase(pos, *rc::gen::inRange<size_t>(1, 40));
        break;
      case 1:
        text.insert(pos, *rc::gen::container<std::string>(
                             rc::gen::element('[', ']', '"', '=', '\n', 'x', '1', ',', '#', '-')));
        break;
      default:
        text.resize(pos);
        break;
    }
  }
  try {
    Topology t = parse_topology_toml(text, "fuzz");
    (void)validate(t);
    (void)to_toml(t);
  } catch (const ParseError&) {
  }
}

RC_GTEST_PROP(TopologyToml, RandomBytesNeverCrash, (const std::string& text)) {
  try {
    (void)parse_topology_toml(text, "fuzz");
  } catch (const ParseError&) {
  }
}

constexpr std::string_view kLinks = R"(
[[host_bridge]]
id = "hb0"
bus_nr = 12
[[root_port]]
id = "rp0"
host_bridge = "hb0"
link_width = 16
link_speed = "32GT/s"
[[switch]]
id = "sw0"
parent = "rp0"
link_width = 4
link_speed = 16
[[downstream_port]]
id = "sw0p0"
switch = "sw0"
link_speed = 2.5
[[type3]]
id = "mem0"
parent = "sw0p0"
persistent = "256M"
link_width = 8
link_speed = "64 GT/s"
[[type2]]
id = "acc0"
parent = "rp1"
hdm = "256M"
link_speed = "8GT/s"
)";

TEST(TopologyToml, LinkWidthAndSpeedOfEachLinkEnd) {
  Topology t = parse_topology_toml(kLinks, "links.toml");
  EXPECT_EQ(t.root_ports[0].link, (LinkCaps{16, LinkSpeed::k32GT}));
  EXPECT_EQ(t.switches[0].link, (LinkCaps{4, LinkSpeed::k16GT}));
  EXPECT_EQ(t.downstream_ports[0].link, (LinkCaps{std::nullopt, LinkSpeed::k2_5GT}));
  EXPECT_EQ(t.type3[0].link, (LinkCaps{8, LinkSpeed::k64GT}));
  EXPECT_EQ(t.type2[0].link, (LinkCaps{std::nullopt, LinkSpeed::k8GT}));
  // Each link trains to the narrower width and the lower speed of its two ends.
  EXPECT_EQ(t.trained_link_below("rp0"), (LinkCaps{4, LinkSpeed::k16GT}));
  EXPECT_EQ(t.trained_link_below("sw0p0"), (LinkCaps{8, LinkSpeed::k2_5GT}));
  EXPECT_TRUE(t.trained_link_below("sw0").empty());  // not a port with a link below it
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
  const std::string out = to_toml(t);
  EXPECT_NE(out.find("link_speed = \"2.5GT/s\""), std::string::npos) << out;
  // Absent: nothing parsed, nothing written.
  Topology plain = parse_topology_toml(kSmall, "small.toml");
  EXPECT_TRUE(plain.root_ports[0].link.empty());
  EXPECT_EQ(to_toml(plain).find("link_"), std::string::npos);
}

TEST(TopologyToml, BadLinkSpeedOrWidthNamesTheElement) {
  const std::string head = "[[type3]]\nid = \"mem7\"\nparent = \"rp0\"\n";
  for (const char* bad : {"\"20GT/s\"", "12", "\"fast\"", "true", "\"GT/s\""}) {
    std::string e = parse_error(head + "link_speed = " + bad + "\n");
    EXPECT_NE(e.find("[[type3]] 'mem7'"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("key 'link_speed'"), std::string::npos) << bad << ": " << e;
  }
  for (const char* bad : {"\"x8\"", "-1", "8.0", "256"}) {
    std::string e = parse_error(
        "[[switch]]\nid = \"sw3\"\nparent = \"rp0\"\nlink_width = " + std::string(bad) + "\n");
    EXPECT_NE(e.find("[[switch]] 'sw3'"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("key 'link_width'"), std::string::npos) << bad << ": " << e;
  }
}

TEST(TopologyToml, DcRegionsRoundTrip) {
  std::string text(kSmall);
  text.replace(text.find("[[type2]]"), 0,
               "dc_regions = [\"256M\", 536870912]\ndc_block_size = \"64k\"\n\n");
  Topology t = parse_topology_toml(text, "dc.toml");
  ASSERT_EQ(t.type3[0].dc_regions, (std::vector<Bytes>{MiB(256), MiB(512)}));
  EXPECT_EQ(t.type3[0].dc_block_size, KiB(64));
  EXPECT_FALSE(has_errors(validate(t)));
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
  // Absent: no DC regions, 2 MiB blocks, and nothing emitted.
  Topology plain = parse_topology_toml(kSmall, "small.toml");
  EXPECT_TRUE(plain.type3[0].dc_regions.empty());
  EXPECT_EQ(plain.type3[0].dc_block_size, MiB(2));
  EXPECT_EQ(to_toml(plain).find("dc_"), std::string::npos);
  text.replace(text.find("[\"256M\""), 1, "[\"lots\", ");
  const std::string e = parse_error(text);
  EXPECT_NE(e.find("[[type3]] 'mem0': key 'dc_regions'"), std::string::npos) << e;
}

// shared and snoop_filter ([[type3]], HDM-DB shared by hosts): read, written back only when
// shared, checked.
TEST(TopologyToml, SharedHdmDbAndItsSnoopFilter) {
  std::string text(kSmall);
  text.replace(text.find("[[type2]]"), 0, "shared = true\nsnoop_filter = 4096\n\n");
  Topology t = parse_topology_toml(text, "shared.toml");
  EXPECT_TRUE(t.type3[0].shared);
  EXPECT_EQ(t.type3[0].snoop_filter, 4096u);
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
  Topology plain = parse_topology_toml(kSmall, "small.toml");
  EXPECT_FALSE(plain.type3[0].shared);
  EXPECT_EQ(plain.type3[0].snoop_filter, Type3Spec::kDefaultSnoopFilter);
  EXPECT_EQ(to_toml(plain).find("snoop_filter"), std::string::npos);
  for (const char* bad : {"snoop_filter = 0", "snoop_filter = 32768", "snoop_filter = \"1M\""}) {
    std::string b(kSmall);
    b.replace(b.find("[[type2]]"), 0, std::string("shared = true\n") + bad + "\n\n");
    const std::string e = parse_error(b);
    EXPECT_NE(e.find("[[type3]] 'mem0': key 'snoop_filter'"), std::string::npos) << e;
  }
}

// hdm_decoders (top level) and partitionable ([[type3]]): read, written back only when not the
// default, checked.
TEST(TopologyToml, HdmDecodersAndPartitionable) {
  std::string text(kSmall);
  text.replace(text.find("[[window]]"), 0, "hdm_decoders = 1\n\n");
  text.replace(text.find("[[type2]]"), 0, "partitionable = false\n\n");
  Topology t = parse_topology_toml(text, "q.toml");
  EXPECT_EQ(t.hdm_decoders, 1u);
  EXPECT_FALSE(t.type3[0].partitionable);
  EXPECT_FALSE(has_errors(validate(t)));
  EXPECT_EQ(parse_topology_toml(to_toml(t), "again"), t);
  Topology plain = parse_topology_toml(kSmall, "small.toml");
  EXPECT_FALSE(plain.hdm_decoders.has_value());
  EXPECT_TRUE(plain.type3[0].partitionable);
  EXPECT_EQ(to_toml(plain).find("hdm_decoders"), std::string::npos);
  EXPECT_EQ(to_toml(plain).find("partitionable"), std::string::npos);
  EXPECT_NE(parse_error("hdm_decoders = 0\n").find("'hdm_decoders' must be an integer"),
            std::string::npos);
  EXPECT_NE(parse_error("hdm_decoders = \"4\"\n").find("'hdm_decoders'"), std::string::npos);
  std::string bad(kSmall);
  bad.replace(bad.find("[[type2]]"), 0, "partitionable = 1\n\n");
  EXPECT_NE(parse_error(bad).find("key 'partitionable': expected true or false"),
            std::string::npos);
  t.hdm_decoders = 3;  // not a Decoder Count encoding (CXL 3.1 §8.2.4.20.1)
  EXPECT_TRUE(has_errors(validate(t)));
}

}  // namespace
}  // namespace cxlsim
