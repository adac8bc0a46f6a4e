#include "fabric/qemu_cmdline.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "fabric/topology_testing.h"
#include "fabric/topology_validate.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

// The example command lines of QEMU's docs/system/devices/cxl.rst, as printed there.
constexpr std::string_view kDocSingle72 =
    R"(qemu-system-aarch64 -M virt,gic-version=3,cxl=on -m 4g,maxmem=8G,slots=8 -cpu max \
...
-object memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/cxltest.raw,size=256M \
-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=/tmp/lsa.raw,size=256M \
-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
-device cxl-type3,bus=root_port13,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem0 \
-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G)";

constexpr std::string_view kDocSinglePmem =
    R"(qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 \
...
-object memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/cxltest.raw,size=256M \
-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=/tmp/lsa.raw,size=256M \
-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
-device cxl-type3,bus=root_port13,persistent-memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem0 \
-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G)";

constexpr std::string_view kDocVolatileLsa =
    R"(qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 \
...
-object memory-backend-ram,id=vmem0,share=on,size=256M \
-object memory-backend-file,id=cxl-lsa0,share=on,mem-path=/tmp/lsa.raw,size=256M \
-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
-device cxl-type3,bus=root_port13,volatile-memdev=vmem0,lsa=cxl-lsa0,id=cxl-vmem0 \
-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G)";

constexpr std::string_view kDoc2Hb =
    R"(qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 \
...
-object memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/cxltest.raw,size=256M \
-object memory-backend-file,id=cxl-mem2,share=on,mem-path=/tmp/cxltest2.raw,size=256M \
-object memory-backend-file,id=cxl-mem3,share=on,mem-path=/tmp/cxltest3.raw,size=256M \
-object memory-backend-file,id=cxl-mem4,share=on,mem-path=/tmp/cxltest4.raw,size=256M \
-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=/tmp/lsa.raw,size=256M \
-object memory-backend-file,id=cxl-lsa2,share=on,mem-path=/tmp/lsa2.raw,size=256M \
-object memory-backend-file,id=cxl-lsa3,share=on,mem-path=/tmp/lsa3.raw,size=256M \
-object memory-backend-file,id=cxl-lsa4,share=on,mem-path=/tmp/lsa4.raw,size=256M \
-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
-device pxb-cxl,bus_nr=222,bus=pcie.0,id=cxl.2 \
-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
-device cxl-type3,bus=root_port13,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem0 \
-device cxl-rp,port=1,bus=cxl.1,id=root_port14,chassis=0,slot=3 \
-device cxl-type3,bus=root_port14,memdev=cxl-mem2,lsa=cxl-lsa2,id=cxl-pmem1 \
-device cxl-rp,port=0,bus=cxl.2,id=root_port15,chassis=0,slot=5 \
-device cxl-type3,bus=root_port15,memdev=cxl-mem3,lsa=cxl-lsa3,id=cxl-pmem2 \
-device cxl-rp,port=1,bus=cxl.2,id=root_port16,chassis=0,slot=6 \
-device cxl-type3,bus=root_port16,memdev=cxl-mem4,lsa=cxl-lsa4,id=cxl-pmem3 \
-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.2,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k)";

constexpr std::string_view kDocSwitch =
    R"(qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 \
...
-object memory-backend-file,id=cxl-mem0,share=on,mem-path=/tmp/cxltest.raw,size=256M \
-object memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/cxltest1.raw,size=256M \
-object memory-backend-file,id=cxl-mem2,share=on,mem-path=/tmp/cxltest2.raw,size=256M \
-object memory-backend-file,id=cxl-mem3,share=on,mem-path=/tmp/cxltest3.raw,size=256M \
-object memory-backend-file,id=cxl-lsa0,share=on,mem-path=/tmp/lsa0.raw,size=256M \
-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=/tmp/lsa1.raw,size=256M \
-object memory-backend-file,id=cxl-lsa2,share=on,mem-path=/tmp/lsa2.raw,size=256M \
-object memory-backend-file,id=cxl-lsa3,share=on,mem-path=/tmp/lsa3.raw,size=256M \
-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
-device cxl-rp,port=0,bus=cxl.1,id=root_port0,chassis=0,slot=0 \
-device cxl-rp,port=1,bus=cxl.1,id=root_port1,chassis=0,slot=1 \
-device cxl-upstream,bus=root_port0,id=us0 \
-device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4 \
-device cxl-type3,bus=swport0,persistent-memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0 \
-device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5 \
-device cxl-type3,bus=swport1,persistent-memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem1 \
-device cxl-downstream,port=2,bus=us0,id=swport2,chassis=0,slot=6 \
-device cxl-type3,bus=swport2,persistent-memdev=cxl-mem2,lsa=cxl-lsa2,id=cxl-pmem2 \
-device cxl-downstream,port=3,bus=us0,id=swport3,chassis=0,slot=7 \
-device cxl-type3,bus=swport3,persistent-memdev=cxl-mem3,lsa=cxl-lsa3,id=cxl-pmem3 \
-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=4k)";

std::string parse_error(std::string_view text) {
  try {
    parse_qemu_cmdline(text, "cmd.txt");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_single(const Topology& t) {
  ASSERT_EQ(t.host_bridges.size(), 1u);
  EXPECT_EQ(t.host_bridges[0].id, "cxl.1");
  EXPECT_EQ(t.host_bridges[0].bus_nr, 12u);
  EXPECT_EQ(t.host_bridges[0].uid, 12u);
  ASSERT_EQ(t.root_ports.size(), 1u);
  EXPECT_EQ(t.root_ports[0].host_bridge, "cxl.1");
  EXPECT_EQ(t.root_ports[0].slot, 2u);
  ASSERT_EQ(t.type3.size(), 1u);
  EXPECT_EQ(t.type3[0].parent, "root_port13");
  EXPECT_EQ(t.type3[0].persistent_size, MiB(256));
  EXPECT_EQ(t.type3[0].volatile_size, Bytes(0));
  EXPECT_EQ(t.type3[0].lsa_size, MiB(256));
  EXPECT_EQ(t.type3[0].persistent_backing.path, "/tmp/cxltest.raw");
  EXPECT_EQ(t.type3[0].persistent_backing.object_id, "cxl-mem1");
  EXPECT_EQ(t.type3[0].lsa_backing.path, "/tmp/lsa.raw");
  ASSERT_EQ(t.windows.size(), 1u);
  EXPECT_EQ(t.windows[0].id, "cfmw0");
  EXPECT_EQ(t.windows[0].size, GiB(4));
  EXPECT_EQ(t.windows[0].granularity, Bytes(256));  // QEMU's default
  EXPECT_EQ(t.windows[0].targets, std::vector<std::string>{"cxl.1"});
  EXPECT_FALSE(t.windows[0].base.has_value());
  EXPECT_EQ(t.windows[0].restrictions.encode(), 0x0f);
  EXPECT_FALSE(has_errors(validate(t)));
}

TEST(QemuCmdline, DocSingleDevice) {
  expect_single(parse_qemu_cmdline(kDocSingle72, "doc"));
  expect_single(parse_qemu_cmdline(kDocSinglePmem, "doc"));
  EXPECT_EQ(parse_qemu_cmdline(kDocSingle72, "doc"), parse_qemu_cmdline(kDocSinglePmem, "doc"));
}

TEST(QemuCmdline, DocVolatileDevice) {
  Topology t = parse_qemu_cmdline(kDocVolatileLsa, "doc");
  ASSERT_EQ(t.type3.size(), 1u);
  EXPECT_EQ(t.type3[0].volatile_size, MiB(256));
  EXPECT_EQ(t.type3[0].persistent_size, Bytes(0));
  EXPECT_EQ(t.type3[0].volatile_backing.path, "");  // memory-backend-ram
  EXPECT_EQ(t.type3[0].lsa_backing.object_id, "cxl-lsa0");
  EXPECT_FALSE(has_errors(validate(t)));
}

TEST(QemuCmdline, DocTwoHostBridges) {
  Topology t = parse_qemu_cmdline(kDoc2Hb, "doc");
  ASSERT_EQ(t.host_bridges.size(), 2u);
  EXPECT_EQ(t.host_bridges[1].bus_nr, 222u);
  ASSERT_EQ(t.root_ports.size(), 4u);
  EXPECT_EQ(t.root_ports[2].host_bridge, "cxl.2");
  EXPECT_EQ(t.root_ports[3].port_number, 1u);
  ASSERT_EQ(t.type3.size(), 4u);
  EXPECT_EQ(t.type3[3].parent, "root_port16");
  EXPECT_EQ(t.type3[3].persistent_backing.path, "/tmp/cxltest4.raw");
  ASSERT_EQ(t.windows.size(), 1u);
  EXPECT_EQ(t.windows[0].targets, (std::vector<std::string>{"cxl.1", "cxl.2"}));
  EXPECT_EQ(t.windows[0].granularity, KiB(8));
  EXPECT_TRUE(validate(t).empty());
}

TEST(QemuCmdline, DocSwitch) {
  Topology t = parse_qemu_cmdline(kDocSwitch, "doc");
  ASSERT_EQ(t.switches.size(), 1u);
  EXPECT_EQ(t.switches[0].parent, "root_port0");
  ASSERT_EQ(t.downstream_ports.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(t.downstream_ports[i].switch_id, "us0");
    EXPECT_EQ(t.downstream_ports[i].port_number, i);
    EXPECT_EQ(t.downstream_ports[i].slot, 4 + i);
    EXPECT_EQ(t.type3[i].parent, "swport" + std::to_string(i));
  }
  EXPECT_EQ(t.windows[0].granularity, KiB(4));
  auto diags = validate(t);
  ASSERT_EQ(diags.size(), 1u);  // root_port1 is empty in QEMU's example
  EXPECT_EQ(diags[0].element, "root_port1");
  EXPECT_EQ(diags[0].severity, Severity::kWarning);
}

TEST(QemuCmdline, SeveralWindowsAndLegacySyntax) {
  Topology t = parse_qemu_cmdline(
      "-machine q35,cxl=on -device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 "
      "-device pxb-cxl,id=cxl.1,bus=pcie.0,bus_nr=53 "
      "-M "
      "cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.1.targets.0=cxl.0,cxl-fmw.1.targets.1="
      "cxl.1,"
      "cxl-fmw.1.size=8G,cxl-fmw.1.interleave-granularity=2k",
      "x");
  ASSERT_EQ(t.windows.size(), 2u);
  EXPECT_EQ(t.windows[1].id, "cfmw1");
  EXPECT_EQ(t.windows[1].size, GiB(8));
  EXPECT_EQ(t.windows[1].granularity, KiB(2));
  EXPECT_EQ(t.windows[1].targets.size(), 2u);
  Topology legacy = parse_qemu_cmdline(
      "-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 -cxl-fixed-memory-window "
      "targets.0=cxl.0,size=4G",
      "x");
  ASSERT_EQ(legacy.windows.size(), 1u);
  EXPECT_EQ(legacy.windows[0].targets, std::vector<std::string>{"cxl.0"});
}

TEST(QemuCmdline, IgnoresWhatIsNotCxl) {
  Topology t = parse_qemu_cmdline(
      "sudo /opt/qemu/bin/qemu-system-x86_64 -enable-kvm -nographic -m 4G -smp 4 \\\n"
      "  -drive file=a.qcow2,format=qcow2 -net nic -netdev user,id=n0 -device e1000,netdev=n0 \\\n"
      "  # a comment line\n"
      "  -device 'pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1' -snapshot -S \\\n"
      "  -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=1G\n",
      "x");
  EXPECT_EQ(t.host_bridges.size(), 1u);
  EXPECT_EQ(t.windows.size(), 1u);
  EXPECT_TRUE(t.type3.empty());
}

TEST(QemuCmdline, ErrorsNameTheOption) {
  std::string e = parse_error("-device cxl-type3,bus=rp0,memdev=nothere,id=d0");
  EXPECT_NE(e.find("-device cxl-type3,bus=rp0,memdev=nothere,id=d0"), std::string::npos) << e;
  EXPECT_NE(e.find("memdev='nothere' does not name"), std::string::npos) << e;
  e = parse_error("-device cxl-rp,port=0,id=rp0");
  EXPECT_NE(e.find("missing bus="), std::string::npos) << e;
  e = parse_error("-object memory-backend-file,id=m,mem-path=/x,size=12Q");
  EXPECT_NE(e.find("-object memory-backend-file"), std::string::npos) << e;
  e = parse_error("-M cxl-fmw.0.targets.0=a");
  EXPECT_NE(e.find("cxl-fmw.0.size is missing"), std::string::npos) << e;
  e = parse_error("-M cxl-fmw.0.targets.1=a,cxl-fmw.0.size=1G");
  EXPECT_NE(e.find("cxl-fmw.0.targets.0 is missing"), std::string::npos) << e;
  e = parse_error("-M cxl-fmw.1.targets.0=a,cxl-fmw.1.size=1G");
  EXPECT_NE(e.find("cxl-fmw.0 is not"), std::string::npos) << e;
  e = parse_error("-M cxl-fmw.0.target.0=a");
  EXPECT_NE(e.find("unknown window field 'cxl-fmw.0.target.0'"), std::string::npos) << e;
  e = parse_error("-device cxl-type3,bus=rp0,id=d0");
  EXPECT_NE(e.find("no memory"), std::string::npos) << e;
  e = parse_error("-device cxl-switch-mailbox-cci,bus=x");
  EXPECT_NE(e.find("missing target="), std::string::npos) << e;
  e = parse_error("-device cxl-accel,bus=x");
  EXPECT_NE(e.find("not supported"), std::string::npos) << e;
  e = parse_error("-device pxb-cxl,id=a,bus_nr=999");
  EXPECT_NE(e.find("bus_nr=999 is out of range"), std::string::npos) << e;
  e = parse_error("-device 'pxb-cxl,id=a");
  EXPECT_NE(e.find("unterminated"), std::string::npos) << e;
}

TEST(QemuCmdline, SerialNumbers) {
  Topology t = parse_qemu_cmdline(
      "-object memory-backend-ram,id=m,size=256M -device "
      "cxl-type3,bus=rp,volatile-memdev=m,id=d,sn=0x1f",
      "x");
  EXPECT_EQ(t.type3[0].serial, 0x1fu);
}

TEST(QemuCmdline, Detection) {
  EXPECT_TRUE(looks_like_qemu_cmdline(kDocSwitch));
  EXPECT_TRUE(looks_like_qemu_cmdline("-device pxb-cxl,id=a"));
  EXPECT_FALSE(looks_like_qemu_cmdline("[[host_bridge]]\nid = \"hb0\"\n"));
}

TEST(QemuCmdline, ExportMatchesQemuDocForm) {
  Topology t = parse_qemu_cmdline(kDoc2Hb, "doc");
  auto args = to_qemu_args(t, {});
  ASSERT_GE(args.size(), 2u);
  EXPECT_EQ(args[0], "-machine");
  EXPECT_EQ(args[1],
            "q35,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.2,cxl-fmw.0.size=4G,"
            "cxl-fmw.0.interleave-granularity=8K");
  auto has = [&](std::string_view s) {
    return std::find(args.begin(), args.end(), s) != args.end();
  };
  EXPECT_TRUE(has("memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/cxltest.raw,size=256M"));
  EXPECT_TRUE(has("pxb-cxl,bus_nr=222,bus=pcie.0,id=cxl.2"));
  EXPECT_TRUE(has("cxl-rp,port=1,bus=cxl.2,id=root_port16,chassis=0,slot=6"));
  EXPECT_TRUE(has("cxl-type3,bus=root_port16,memdev=cxl-mem4,lsa=cxl-lsa4,id=cxl-pmem3"));
  // Every device comes after the bus it sits on.
  auto pos = [&](std::string_view prefix) {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].starts_with(prefix)) return i;
    }
    return args.size();
  };
  EXPECT_LT(pos("pxb-cxl,bus_nr=222"), pos("cxl-rp,port=0,bus=cxl.2"));
  EXPECT_LT(pos("cxl-rp,port=1,bus=cxl.2"), pos("cxl-type3,bus=root_port16"));
}

TEST(QemuCmdline, ExportNamesBackingsAfterDevices) {
  Topology t = parse_qemu_cmdline(kDocSwitch, "doc");
  for (auto& d : t.type3) d.persistent_backing = d.lsa_backing = {};
  t.type3[0].lsa_size = Bytes(0);
  QemuExportOptions opt;
  opt.backing_dir = "/srv/cxl";
  auto args = to_qemu_args(t, opt);
  auto has = [&](std::string_view s) {
    return std::find(args.begin(), args.end(), s) != args.end();
  };
  EXPECT_TRUE(
      has("memory-backend-file,id=cxl-pmem0-pmem,share=on,mem-path=/srv/cxl/"
          "cxl-pmem0-pmem.raw,size=256M"));
  EXPECT_TRUE(has(
      "memory-backend-file,id=cxl-pmem0-lsa,share=on,mem-path=/srv/cxl/cxl-pmem0-lsa.raw,size=1M"));
  EXPECT_TRUE(has("cxl-upstream,bus=root_port0,id=us0"));
  EXPECT_TRUE(has("cxl-downstream,port=3,bus=us0,id=swport3,chassis=0,slot=7"));
  opt.lsa_when_absent = Bytes(0);
  EXPECT_THROW(to_qemu_args(t, opt), ValidationError);
}

TEST(QemuCmdline, ExportMakesChassisSlotUnique) {
  Topology t = parse_qemu_cmdline(kDocSwitch, "doc");
  for (auto& rp : t.root_ports) rp.chassis = rp.slot = 0;
  for (auto& dp : t.downstream_ports) dp.chassis = dp.slot = 0;
  Topology back = parse_qemu_cmdline(format_qemu_command(to_qemu_args(t, {}), true), "back");
  std::set<std::pair<unsigned, unsigned>> pairs;
  for (const auto& rp : back.root_ports) pairs.insert({rp.chassis, rp.slot});
  for (const auto& dp : back.downstream_ports) pairs.insert({dp.chassis, dp.slot});
  EXPECT_EQ(pairs.size(), back.root_ports.size() + back.downstream_ports.size());
}

TEST(QemuCmdline, ExportRefusesWhatQemu72CannotBuild) {
  Topology t = parse_qemu_cmdline(kDocVolatileLsa, "doc");
  try {
    to_qemu_args(t, {});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("type3 'cxl-vmem0'"), std::string::npos) << e.what();
  }
  t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type2.push_back({"acc0", "root_port13", GiB(1), MiB(1), 9});
  t.type3.clear();
  try {
    to_qemu_args(t, {});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("type2 'acc0'"), std::string::npos) << e.what();
  }
  t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type3[0].parent = "nowhere";
  EXPECT_THROW(to_qemu_args(t, {}), ValidationError);
}

// A Type 2 device with a device server's socket becomes cxlsim's own cxlsim-accel device below
// its parent port (scripts/build-qemu builds the QEMU that has it).
TEST(QemuCmdline, ExportsTypeTwoWithItsServerSocket) {
  Topology t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type2.push_back({"acc0", "root_port13", GiB(1), MiB(1), 9});
  t.type3.clear();
  QemuExportOptions o;
  o.accel_sockets["acc0"] = "/run/a,b.sock";
  const auto args = to_qemu_args(t, o);
  const auto rp = std::find(args.begin(), args.end(),
                            "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2");
  const auto dev = std::find(args.begin(), args.end(),
                             "cxlsim-accel,bus=root_port13,id=acc0,socket=/run/a,,b.sock");
  ASSERT_NE(dev, args.end());
  EXPECT_LT(rp, dev);  // the port exists before the device QEMU plugs into it
  o.accel_sockets = {{"other", "/x.sock"}};
  EXPECT_THROW(to_qemu_args(t, o), ValidationError);
}

TEST(QemuCmdline, ExportEscapesAndChecksIds) {
  Topology t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type3[0].persistent_backing.path = "/tmp/a,b.raw";
  auto args = to_qemu_args(t, {});
  EXPECT_NE(std::find(args.begin(), args.end(),
                      "memory-backend-file,id=cxl-mem1,share=on,mem-path=/tmp/a,,b.raw,size=256M"),
            args.end());
  EXPECT_EQ(
      parse_qemu_cmdline(format_qemu_command(args, true), "back").type3[0].persistent_backing.path,
      "/tmp/a,b.raw");
  t.type3[0].id = "9 lives";
  try {
    to_qemu_args(t, {});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("type3 '9 lives': QEMU ids start with a letter"),
              std::string::npos);
  }
}

TEST(QemuCmdline, FormatQuotesForTheShell) {
  std::string one = format_qemu_command(
      {"-object", "memory-backend-file,id=a,mem-path=/tmp/my dir/x's.raw,size=1G"}, true);
  EXPECT_EQ(one,
            "qemu-system-x86_64 -object 'memory-backend-file,id=a,mem-path=/tmp/my "
            "dir/x'\\''s.raw,size=1G'");
  std::string multi = format_qemu_command({"-machine", "q35", "-device", "x"}, false);
  EXPECT_EQ(multi, "qemu-system-x86_64 \\\n  -machine q35 \\\n  -device x");
}

RC_GTEST_PROP(QemuCmdline, ExportImportRoundTrip, (bool one_line)) {
  Topology t = *testing::gen_valid_topology(true);
  Topology back =
      parse_qemu_cmdline(format_qemu_command(to_qemu_args(t, {}), one_line), "roundtrip");
  RC_ASSERT(testing::canonical(back) == testing::canonical(t));
}

RC_GTEST_PROP(QemuCmdline, BadInputNeverCrashes, ()) {
  std::string text =
      format_qemu_command(to_qemu_args(*testing::gen_valid_topology(true), {}), false);
  int edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits; ++i) {
    size_t pos = *rc::gen::inRange<size_t>(0, text.size());
    if (*rc::gen::arbitrary<bool>()) {
      text.erase(pos, *rc::gen::inRange<size_t>(1, 30));
    } else {
      text.insert(pos, *rc::gen::container<std::string>(
                           rc::gen::element(',', '=', '\'', '\\', '\n', '-', '.', 'x', '9')));
    }
  }
  try {
    Topology t = parse_qemu_cmdline(text, "fuzz");
    (void)validate(t);
  } catch (const ParseError&) {
  }
}

RC_GTEST_PROP(QemuCmdline, RandomBytesNeverCrash, (const std::string& text)) {
  try {
    (void)parse_qemu_cmdline(text, "fuzz");
  } catch (const ParseError&) {
  }
  (void)looks_like_qemu_cmdline(text);
}

TEST(QemuCmdline, ExportRefusesDynamicCapacity) {
  Topology t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type3[0].dc_regions = {MiB(256)};
  try {
    to_qemu_args(t, {});
    FAIL();
  } catch (const ValidationError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("type3 '" + t.type3[0].id + "'"), std::string::npos) << m;
    EXPECT_NE(m.find("dynamic capacity"), std::string::npos) << m;
  }
}

// The argument holding `needle`, or "" when none does.
std::string arg_with(const std::vector<std::string>& args, std::string_view needle) {
  for (const auto& a : args) {
    if (a.find(needle) != std::string::npos) return a;
  }
  return "";
}

TEST(QemuCmdline, ExportForQemu10SpellsEachCapacity) {
  QemuExportOptions q10;
  q10.qemu = QemuTarget::v10_0;
  Topology t = parse_qemu_cmdline(kDocVolatileLsa, "doc");
  auto args = to_qemu_args(t, q10);
  const std::string dev = arg_with(args, "cxl-type3");
  EXPECT_NE(dev.find(",volatile-memdev=vmem0,"), std::string::npos) << dev;
  EXPECT_EQ(dev.find("persistent-memdev="), std::string::npos) << dev;
  EXPECT_EQ(arg_with(args, "cxl-vmem0-pmem"),
            "");  // no persistent backing for a volatile-only device
  Topology back = parse_qemu_cmdline(format_qemu_command(args, true), "export");
  ASSERT_EQ(back.type3.size(), 1u);
  EXPECT_EQ(back.type3[0].volatile_size, MiB(256));
  EXPECT_EQ(back.type3[0].persistent_size, Bytes(0));

  t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  args = to_qemu_args(t, q10);
  EXPECT_NE(arg_with(args, "cxl-type3").find(",persistent-memdev="), std::string::npos);
  EXPECT_EQ(to_qemu_args(t, {}), to_qemu_args(parse_qemu_cmdline(kDocSingle72, "doc"), {}));
  EXPECT_NE(arg_with(to_qemu_args(t, {}), "cxl-type3").find(",memdev="), std::string::npos);
}

TEST(QemuCmdline, DynamicCapacityRoundTripsOnQemu10) {
  QemuExportOptions q10;
  q10.qemu = QemuTarget::v10_0;
  Topology t = parse_qemu_cmdline(kDocSinglePmem, "doc");
  t.type3[0].dc_regions = {MiB(512), MiB(512)};
  auto args = to_qemu_args(t, q10);
  const std::string dev = arg_with(args, "cxl-type3");
  EXPECT_NE(dev.find("volatile-dc-memdev=" + t.type3[0].id + "-dc,num-dc-regions=2"),
            std::string::npos)
      << dev;
  EXPECT_NE(arg_with(args, t.type3[0].id + "-dc,").find("size=1G"), std::string::npos);
  Topology back = parse_qemu_cmdline(format_qemu_command(args, true), "export");
  ASSERT_EQ(back.type3.size(), 1u);
  EXPECT_EQ(back.type3[0].dc_regions, (std::vector<Bytes>{MiB(512), MiB(512)}));

  t.type3[0].dc_regions = {MiB(256), MiB(512)};  // QEMU 10 splits its memdev evenly
  EXPECT_THROW(to_qemu_args(t, q10), ValidationError);
  EXPECT_THROW(parse_qemu_cmdline("-object memory-backend-ram,id=m,size=768M "
                                  "-device cxl-type3,bus=rp,volatile-dc-memdev=m,num-dc-regions=2",
                                  "cmd"),
               ParseError);
}

TEST(QemuCmdline, SwitchMailboxCciOnQemu10Only) {
  QemuExportOptions q10;
  q10.qemu = QemuTarget::v10_0;
  Topology t = parse_qemu_cmdline(kDocSwitch, "doc");
  EXPECT_FALSE(t.switches[0].mailbox_cci);
  EXPECT_EQ(arg_with(to_qemu_args(t, q10), "cxl-switch-mailbox-cci"), "");
  t.switches[0].mailbox_cci = true;
  try {
    to_qemu_args(t, {});
    FAIL();
  } catch (const ValidationError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("switch 'us0': QEMU 7.2 has no switch mailbox CCI"), std::string::npos) << m;
  }
  const auto args = to_qemu_args(t, q10);
  EXPECT_EQ(arg_with(args, "cxl-switch-mailbox-cci"),
            "cxl-switch-mailbox-cci,bus=root_port0,addr=0.1,target=us0,id=us0-cci");
  EXPECT_EQ(arg_with(args, "cxl-upstream"),
            "cxl-upstream,bus=root_port0,id=us0,addr=0.0,multifunction=on");
  const Topology back = parse_qemu_cmdline(format_qemu_command(args, true), "export");
  ASSERT_EQ(back.switches.size(), 1u);
  EXPECT_TRUE(back.switches[0].mailbox_cci);
  EXPECT_THROW(
      parse_qemu_cmdline("-device cxl-switch-mailbox-cci,bus=rp,addr=0.1,target=us9", "cmd"),
      ParseError);
}

}  // namespace
}  // namespace cxlsim
