// What QEMU 7.2 routes correctly: the topologies it accepts on its command line but then gets
// wrong at run time (hw/cxl/cxl-host.c routes a window access through host bridge HDM decoders
// and at most one switch; hw/acpi/cxl.c builds the CFMWS). The one list of these rules; `cxlsim
// vm run|shell` checks every topology against it before booting (docs/vm.md, "QEMU 7.2 limits").
#pragma once

#include <string>
#include <vector>

#include "fabric/topology.h"

namespace cxlsim::vm {

// How a QEMU 7.2 rule stands on QEMU 10.0.2, as observed with the conformance suite's guest
// script (run_topology.sh: regions, tags through /dev/pmemN found in the backing files) on
// QEMU 10.0.2 + Linux 6.1 (docs/vm.md, "Limits per QEMU version").
enum class Qemu10Status {
  kObserved,       // QEMU 10.0.2 loses the same accesses
  kFixed,          // QEMU 10.0.2 routes them as cxlsim does
  kNotReverified,  // not run on QEMU 10
};

// One rule a topology breaks.
struct QemuLimitViolation {
  std::string rule;     // short name: "single-root-port host bridge", ...
  std::string element;  // the topology id that breaks it
  std::string detail;   // what QEMU 7.2 then does, one sentence
  Qemu10Status qemu10 = Qemu10Status::kNotReverified;
  std::string qemu10_detail;  // what QEMU 10.0.2 does instead, when it differs from `detail`
};

// The rules `t` breaks for QEMU 7.2, in topology order (windows, host bridges, switches);
// empty when QEMU 7.2 routes every access of `t` as cxlsim does.
//  * a host bridge with exactly one root port: Linux programs no decoder there (pass-through),
//    QEMU finds no committed host bridge decoder and drops the access;
//  * a switch below a switch's downstream port: QEMU expects a Type 3 device there;
//  * a window over more than 8 targets: QEMU 7.2 writes a corrupt CFMWS (16 ways) or crashes
//    (12 ways); CXL 3.1 §9.18.1.3 encodes up to 16 ways but QEMU 7.2 handles 1 to 8.
std::vector<QemuLimitViolation> qemu72_limit_violations(const Topology& t);

// The violations that hold for QEMU 10: `v` without the rules QEMU 10.0.2 no longer breaks.
std::vector<QemuLimitViolation> qemu10_limit_violations(std::vector<QemuLimitViolation> v);

// "<element>: <rule>: <detail>", one line; with `qemu10`, QEMU 10's detail where it has one.
std::string describe(const QemuLimitViolation& v, bool qemu10 = false);

}  // namespace cxlsim::vm
