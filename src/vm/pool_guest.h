// Pool hosts as real QEMU guests (issue #10 item 5): host H of a pool topology boots a guest
// whose CXL switch stands for H's virtual CXL switch (VCS, CXL 3.1 §7.2.1), one downstream port
// per vPPB, all empty; binding an LD to a vPPB hot-adds a cxl-type3 into that port over QMP and
// Linux in the guest hot-adds it (pciehp, cxl_pci), unbinding hot-removes it (docs/vm.md, "Pool
// hosts and hot-plug"). The fabric manager drives these functions; `cxlsim vm hot-add|hot-remove`
// expose them for debugging.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "fabric/topology.h"
#include "spec/units.h"
#include "vm/qmp.h"

namespace cxlsim::vm {

// The id of the guest's downstream port that stands for vPPB `vppb` ("vppb<N>"): the one place
// the vPPB <-> port mapping is defined.
std::string vppb_port_id(unsigned vppb);

// The most vPPBs a guest switch has: its downstream ports are devices 0..31 of one PCI bus.
inline constexpr unsigned kMaxGuestVppbs = 32;

// The guest topology of pool host `host`: host bridge "cxl.1" with root ports rp0 (holding the
// switch) and rp1 (QEMU 7.2 drops accesses below a host bridge with a single root port,
// vm/qemu_limits.h), switch "vcs" with downstream ports vppb_port_id(0..vppbs-1), one window over
// the host bridge large enough for every vPPB to hold the pool's largest LD, QEMU 7.2's one HDM
// decoder per component, no devices. Valid (validate(): warnings only, for the empty ports) and
// within QEMU 7.2's limits. Throws ValidationError naming the pool's hosts when `host` is not one
// of them, or when it has more than kMaxGuestVppbs vPPBs.
Topology pool_host_guest_topology(const Topology& pool, std::string_view host);

// Where an LD's memory lives on the host. Two guests given the same `path` share the memory
// (memory-backend-file, share=on). `lsa` holds the device's Label Storage Area (kLdLsaSize),
// one per guest: labels are the host's own configuration.
struct LdBacking {
  std::string id;  // the QEMU device id; its backend objects are "<id>-mem" and "<id>-lsa"
  std::filesystem::path path;
  Bytes size;  // a multiple of 256 MiB
  std::filesystem::path lsa;
};

inline constexpr Bytes kLdLsaSize = MiB(1);

// The LSA file of host `host`'s guest for the LD whose memory is `backing`: one per guest, beside
// the memory (labels are the host's configuration; the media may be shared).
std::filesystem::path guest_lsa_path(const std::filesystem::path& backing, std::string_view host);

// Throws ValidationError when `guest` has no vPPB `vppb` or `ld.size` is not a positive multiple
// of 256 MiB: what hot_add_ld checks before it sends anything.
void check_hot_add(const Topology& guest, unsigned vppb, const LdBacking& ld);

// Hot-adds `ld` as a cxl-type3 (QEMU 7.2: memdev= persistent, lsa=) into vPPB `vppb`'s
// downstream port of the running guest built from `guest`: creates the backing and LSA files
// when absent (sparse; content kept), adds their memory-backend-file objects (share=on) unless
// QEMU still holds them from an earlier hot-add of the same id and path (QEMU 7.2 never releases
// a cxl-type3's backends, see hot_remove_ld), then device_add. Throws ValidationError as
// check_hot_add; OperationError when the port is occupied (naming the device in it), a backend id
// is taken by another file, or QEMU refuses (QmpError with QEMU's text).
void hot_add_ld(Qmp& qmp, const Topology& guest, unsigned vppb, const LdBacking& ld);

// Hot-removes device `id`: device_del (QEMU presses the slot's attention button; Linux's pciehp
// releases the device after its 5 s cancel window and turns the slot's power indicator off),
// then, as QEMU's cxl-downstream has no power controller and QEMU completes an unplug only when
// the guest powers the slot off, writes the slot's Power Controller Control off itself once the
// guest has turned the indicator off; waits until DEVICE_DELETED comes or the device has left
// QEMU's device tree (QEMU 7.2 never finalizes an unplugged cxl-type3, whose backends stay
// mapped, so its DEVICE_DELETED never comes); deletes the backend objects (QEMU 7.2 refuses:
// they stay, and the next hot_add_ld of the id reuses them). Throws QmpError when QEMU has no
// such device, OperationError when the device is still there after `timeout` (the guest did
// not release it).
void hot_remove_ld(Qmp& qmp, const std::string& id, std::chrono::milliseconds timeout);

// Whether the guest committed an HDM decoder of device `id` (a region uses it), read from QEMU's
// registers of the device: BAR 0 (query-pci) holds the component registers (QEMU's cxl-type3;
// CXL 3.1 §8.2.3, CXL.cache/mem at 4 KiB), the capability headers lead to the HDM Decoder
// Capability, whose decoder 0 Control has the Committed bit (§8.2.4.20.7; decoders commit in
// order, so decoder 0 is committed when any is). False while the guest has not assigned BAR 0.
// Throws OperationError when QEMU has no such device or its registers hold no HDM capability.
bool ld_decoder_committed(Qmp& qmp, const std::string& id);

}  // namespace cxlsim::vm
