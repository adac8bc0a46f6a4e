// The accelerator's vfio-cxl face (docs/vfio_cxl.md) driven as a VMM's vfio-cxl code drives a
// passed-through Type 2 device: over the device server's real socket, for each UAPI layout,
// walk the device info capability chain, find the regions by their type capability, read the
// HDM decoders through COMP_REGS, program and commit decoder 0, map and touch the DPA region,
// reset, see the zap, touch again through the same mapping.
#include "accel/vfio_cxl.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "accel/device_memory.h"
#include "accel/device_server.h"
#include "accel/gpu_device.h"
#include "accel/ptx_backend.h"
#include "accel/vfio_cxl_device.h"
#include "accel/vfio_user.h"
#include "spec/dvsec.h"

namespace cxlsim::accel {
namespace {

using Hdm = HdmDecoderCapability;

TEST(VfioCxlSparseMmap, AreasAreTheBarWithoutTheComponentBlock) {
  using A = std::vector<std::pair<uint64_t, uint64_t>>;
  auto areas = [](uint64_t bar, uint64_t off, uint64_t size) {
    A out;
    for (const auto& a : vfio_cxl_sparse_areas(bar, off, size)) out.emplace_back(a.offset, a.size);
    return out;
  };
  EXPECT_EQ(areas(0x40000, 0x30000, 0x10000), (A{{0, 0x30000}}));  // block at the end
  EXPECT_EQ(areas(0x40000, 0, 0x10000), (A{{0x10000, 0x30000}}));  // at the start
  EXPECT_EQ(areas(0x40000, 0x10000, 0x10000), (A{{0, 0x10000}, {0x20000, 0x20000}}));  // middle
  EXPECT_EQ(areas(0x10000, 0, 0x10000), A{});  // the block fills the BAR: nothing to map
}

// A VMM's view of the device: vfio-user over the server's socket, file descriptors included.
class Vmm {
 public:
  explicit Vmm(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    for (int i = 0; i < 200 && connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0; ++i) {
      usleep(10000);
    }
  }
  ~Vmm() { ::close(fd_); }
  Vmm(const Vmm&) = delete;
  Vmm& operator=(const Vmm&) = delete;

  struct Reply {
    vfu_header h{};
    std::vector<std::byte> body;
    int fd = -1;
    [[nodiscard]] int error() const { return (h.flags & VFU_FLAG_ERROR) ? int(h.error) : 0; }
  };
  Reply call(uint16_t cmd, const void* p, size_t n) {
    vfu_header h{++id_, cmd, static_cast<uint32_t>(sizeof h + n), 0, 0};
    std::vector<std::byte> out(sizeof h + n);
    std::memcpy(out.data(), &h, sizeof h);
    if (n > 0) std::memcpy(out.data() + sizeof h, p, n);
    EXPECT_EQ(::write(fd_, out.data(), out.size()), static_cast<ssize_t>(out.size()));
    Reply r;
    iovec iov{&r.h, sizeof r.h};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    const ssize_t got = recvmsg(fd_, &m, MSG_WAITALL);
    EXPECT_EQ(got, static_cast<ssize_t>(sizeof r.h));
    if (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(&r.fd, CMSG_DATA(c), sizeof(int));
    }
    r.body.resize(r.h.size >= sizeof r.h ? r.h.size - sizeof r.h : 0);
    size_t done = 0;
    while (done < r.body.size()) {
      const ssize_t k = ::read(fd_, r.body.data() + done, r.body.size() - done);
      if (k <= 0) break;
      done += static_cast<size_t>(k);
    }
    EXPECT_EQ(done, r.body.size());
    return r;
  }

  // pread/pwrite on a region: 0 or the errno the server answered.
  int read(uint32_t region, uint64_t off, void* out, uint32_t n) {
    const vfu_region_access a{off, region, n};
    const Reply r = call(VFU_CMD_REGION_READ, &a, sizeof a);
    if (r.error() != 0) return r.error();
    EXPECT_EQ(r.body.size(), sizeof a + n);
    std::memcpy(out, r.body.data() + sizeof a, n);
    return 0;
  }
  int write(uint32_t region, uint64_t off, const void* in, uint32_t n) {
    std::vector<std::byte> p(sizeof(vfu_region_access) + n);
    const vfu_region_access a{off, region, n};
    std::memcpy(p.data(), &a, sizeof a);
    std::memcpy(p.data() + sizeof a, in, n);
    return call(VFU_CMD_REGION_WRITE, p.data(), p.size()).error();
  }
  uint32_t read32(uint32_t region, uint64_t off) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(read(region, off, &v, 4), 0) << "region " << region << " offset " << off;
    return v;
  }
  void write32(uint32_t region, uint64_t off, uint32_t v) {
    EXPECT_EQ(write(region, off, &v, 4), 0) << "region " << region << " offset " << off;
  }
  int reset() { return call(VFU_CMD_DEVICE_RESET, nullptr, 0).error(); }

  // VFIO_DEVICE_GET_INFO as a VMM calls it: first with the bare struct, then with the argsz
  // the device asked for.
  std::vector<std::byte> device_info() {
    vfio_device_info probe{};
    probe.argsz = sizeof probe;
    Reply r = call(VFU_CMD_DEVICE_GET_INFO, &probe, sizeof probe);
    EXPECT_EQ(r.body.size(), sizeof probe);
    std::memcpy(&probe, r.body.data(), sizeof probe);
    EXPECT_GT(probe.argsz, sizeof probe) << "the capability chain does not fit 24 bytes";
    EXPECT_EQ(probe.cap_offset, 0u);
    vfio_device_info full{};
    full.argsz = probe.argsz;
    r = call(VFU_CMD_DEVICE_GET_INFO, &full, sizeof full);
    EXPECT_EQ(r.body.size(), probe.argsz);
    return r.body;
  }
  // VFIO_DEVICE_GET_REGION_INFO with room for capabilities (the file descriptor is kept).
  Reply region_info(uint32_t index) {
    vfio_region_info i{};
    i.argsz = 512;
    i.index = index;
    Reply r = call(VFU_CMD_DEVICE_GET_REGION_INFO, &i, sizeof i);
    EXPECT_GE(r.body.size(), sizeof i);
    return r;
  }

 private:
  int fd_ = -1;
  uint16_t id_ = 0;
};

// The capability with `id` in a VFIO capability chain starting at `offset` of `buf` (offsets
// relative to the start of the info structure), or null.
const vfio_info_cap_header* find_cap(const std::vector<std::byte>& buf, uint32_t offset,
                                     uint16_t id) {
  for (int hops = 0; offset != 0 && hops < 16; ++hops) {
    if (offset + sizeof(vfio_info_cap_header) > buf.size()) return nullptr;
    const auto* h = reinterpret_cast<const vfio_info_cap_header*>(buf.data() + offset);
    if (h->id == id) return h;
    offset = h->next;
  }
  return nullptr;
}

template <typename T>
T cap_as(const std::vector<std::byte>& buf, const vfio_info_cap_header* h) {
  T v{};
  const auto at = static_cast<size_t>(reinterpret_cast<const std::byte*>(h) - buf.data());
  EXPECT_LE(at + sizeof v, buf.size());
  std::memcpy(&v, buf.data() + at, sizeof v);
  return v;
}

// Whether the byte at `p` can be read: through a system call, so a zapped mapping answers
// EFAULT instead of killing the test with SIGBUS.
bool touchable(const void* p) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return false;
  const ssize_t n = ::write(pipefd[1], p, 1);
  const int e = errno;
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  if (n < 0) {
    EXPECT_EQ(e, EFAULT);
  }
  return n == 1;
}

// What a VMM learns from the device: the CXL capability (whichever layout), the regions.
struct CxlView {
  VfioCxlLayout layout{};
  uint32_t flags = 0;  // the layout's own bits
  uint32_t dpa_index = 0, comp_index = 0, bar = 0;
  uint64_t hdm_count_v1 = 0;
  uint64_t dpa_size = 0, comp_size = 0;
  uint32_t hdm = 0;  // the HDM Decoder Capability's offset in COMP_REGS
  unsigned decoders = 0;
};

class Server {
 public:
  explicit Server(const VfioCxlOptions& o)
      : cxl(mem, nullptr, nullptr, o), server(gpu, nullptr, &cxl) {
    path = ::testing::TempDir() + "/vfio_cxl_test_" + std::to_string(getpid()) + ".sock";
    server.listen(path);
    thread = std::thread([this] { server.serve(); });
  }
  ~Server() {
    server.stop();
    thread.join();
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  DeviceMemory mem{MiB(256)};
  PtxBackend backend{mem, 1};
  GpuDevice gpu{backend};
  VfioCxlDevice cxl;
  DeviceServer server;
  std::string path;
  std::thread thread;
};

class VfioCxlVmm : public ::testing::TestWithParam<VfioCxlLayout> {
 public:
  // Walks GET_INFO's chain and the regions as a VMM does; the HDM decoders are found in
  // COMP_REGS by walking the CXL capability array (v2, v3) or at its start (v1).
  static CxlView discover(Vmm& vmm, VfioCxlLayout layout) {
    CxlView v;
    v.layout = layout;
    const std::vector<std::byte> info = vmm.device_info();
    vfio_device_info di{};
    std::memcpy(&di, info.data(), sizeof di);
    EXPECT_TRUE(di.flags & kVfioDeviceFlagsCxl);
    EXPECT_TRUE(di.flags & VFIO_DEVICE_FLAGS_PCI);
    EXPECT_TRUE(di.flags & VFIO_DEVICE_FLAGS_CAPS);
    EXPECT_EQ(di.num_regions, VFIO_PCI_NUM_REGIONS + 2);
    const vfio_info_cap_header* h = find_cap(info, di.cap_offset, kVfioDeviceInfoCapCxl);
    if (h == nullptr) {
      ADD_FAILURE() << "no VFIO_DEVICE_INFO_CAP_CXL in the chain";
      return v;
    }
    EXPECT_EQ(h->version, 1);
    switch (layout) {
      case VfioCxlLayout::kV1: {
        const auto c = cap_as<VfioCxlCapV1>(info, h);
        v.flags = c.flags;
        v.dpa_index = c.dpa_region_index;
        v.comp_index = c.comp_regs_region_index;
        v.bar = c.hdm_regs_bar_index;
        v.hdm_count_v1 = c.hdm_count;
        v.dpa_size = c.dpa_size;
        EXPECT_EQ(c.hdm_regs_offset, 0x1200u);  // component block at BAR offset 0
        break;
      }
      case VfioCxlLayout::kV2: {
        const auto c = cap_as<VfioCxlCapV2>(info, h);
        v.flags = c.flags;
        v.dpa_index = c.dpa_region_index;
        v.comp_index = c.comp_regs_region_index;
        v.bar = c.hdm_regs_bar_index;
        EXPECT_EQ(c.hdm_regs_offset, 0x1000u);
        EXPECT_TRUE(c.flags & kVfioCxlV2CacheCapable);  // a Type 2 device: Cache_Capable
        break;
      }
      case VfioCxlLayout::kV3: {
        const auto c = cap_as<VfioCxlCapV3>(info, h);
        v.flags = c.flags;
        v.dpa_index = c.hdm_region_idx;
        v.comp_index = c.comp_reg_region_idx;
        v.bar = c.comp_reg_bar;
        EXPECT_EQ(c.comp_reg_offset, 0u);
        EXPECT_EQ(c.comp_reg_size, 0x10000u);
        break;
      }
    }
    // The regions describe themselves with their type capability.
    for (const uint32_t index : {v.dpa_index, v.comp_index}) {
      const Vmm::Reply r = vmm.region_info(index);
      vfio_region_info ri{};
      std::memcpy(&ri, r.body.data(), sizeof ri);
      const auto* t = find_cap(r.body, ri.cap_offset, VFIO_REGION_INFO_CAP_TYPE);
      EXPECT_NE(t, nullptr);
      if (t == nullptr) continue;
      const auto type = cap_as<vfio_region_info_cap_type>(r.body, t);
      EXPECT_EQ(type.type, VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1E98u);
      const bool dpa = index == v.dpa_index;
      EXPECT_EQ(type.subtype, dpa ? 1u : 2u);
      EXPECT_EQ((ri.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0, dpa);
      (dpa ? v.dpa_size : v.comp_size) = ri.size;
      if (r.fd >= 0) ::close(r.fd);
    }
    // The component BAR: a sparse-mmap capability that leaves the component block out (here
    // the block fills the 64 KiB BAR, so no area remains).
    const Vmm::Reply bar = vmm.region_info(v.bar);
    vfio_region_info bi{};
    std::memcpy(&bi, bar.body.data(), sizeof bi);
    const auto* s = find_cap(bar.body, bi.cap_offset, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
    EXPECT_NE(s, nullptr);
    if (s != nullptr) {
      uint32_t nr_areas = 1;  // vfio_region_info_cap_sparse_mmap.nr_areas follows the header
      std::memcpy(&nr_areas, reinterpret_cast<const std::byte*>(s) + sizeof *s, sizeof nr_areas);
      EXPECT_EQ(nr_areas, 0u);
    }
    EXPECT_EQ(bi.size, 0x10000u);
    uint32_t word = 0;
    EXPECT_EQ(vmm.read(v.bar, 0x1000, &word, 4), EINVAL)
        << "the block is reached through COMP_REGS";

    // The HDM decoders in COMP_REGS.
    if (layout == VfioCxlLayout::kV1) {
      v.hdm = 0;
    } else {
      const uint32_t array = layout == VfioCxlLayout::kV2 ? 0 : 0x1000;
      const uint32_t hdr = vmm.read32(v.comp_index, array);
      EXPECT_EQ(hdr & 0xffff, 1u);  // CXL Capability Header
      for (uint32_t i = 1; i <= (hdr >> 24); ++i) {
        const uint32_t e = vmm.read32(v.comp_index, array + 4 * i);
        if ((e & 0xffff) == 5) v.hdm = array + (e >> 20);
      }
      EXPECT_NE(v.hdm, 0u) << "no HDM Decoder Capability in the capability array";
    }
    const uint32_t field = vmm.read32(v.comp_index, v.hdm) & 0xf;
    v.decoders = field == 0 ? 1 : field * 2;
    if (layout == VfioCxlLayout::kV1) {
      EXPECT_EQ(v.hdm_count_v1, v.decoders);
    }
    return v;
  }
  static uint32_t dec(const CxlView& v, unsigned n, uint32_t r) {
    return v.hdm + Hdm::decoder_reg(n, r);
  }
};

// Decoder 0 programmed at a guest physical address by the guest, then committed.
void guest_commit(Vmm& vmm, const CxlView& v, uint64_t gpa, uint32_t extra_ctrl = 0) {
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kBaseLo), static_cast<uint32_t>(gpa));
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kBaseHi), static_cast<uint32_t>(gpa >> 32));
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kSizeLo), 0x10000000);
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kSizeHi), 0);
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kControl), extra_ctrl);
  vmm.write32(v.comp_index, VfioCxlVmm::dec(v, 0, Hdm::kControl), extra_ctrl | Hdm::kCtrlCommit);
}

TEST_P(VfioCxlVmm, GuestCommitMapsTheDpaAndResetZapsAndRefaults) {
  Server s({GetParam(), false, {}});
  Vmm vmm(s.path);
  const CxlView v = discover(vmm, GetParam());
  EXPECT_EQ(v.flags & 1u, 0u) << "not firmware committed (bit 0 in every layout)";
  EXPECT_EQ(v.dpa_size, MiB(256).value());
  ASSERT_EQ(v.decoders, 1u);
  EXPECT_FALSE(vmm.read32(v.comp_index, dec(v, 0, Hdm::kControl)) & Hdm::kCtrlCommitted);

  // Map the DPA region before any commit, as a VMM does at setup: it faults, fd I/O fails.
  const Vmm::Reply dpa = vmm.region_info(v.dpa_index);
  ASSERT_GE(dpa.fd, 0);
  vfio_region_info di{};
  std::memcpy(&di, dpa.body.data(), sizeof di);
  void* m = mmap(nullptr, di.size, PROT_READ | PROT_WRITE, MAP_SHARED, dpa.fd, int64_t(di.offset));
  ::close(dpa.fd);
  ASSERT_NE(m, MAP_FAILED);
  auto* p = static_cast<volatile uint8_t*>(m);
  EXPECT_FALSE(touchable(m));
  uint8_t byte = 0;
  EXPECT_EQ(vmm.read(v.dpa_index, 0, &byte, 1), EIO);

  // The guest commits decoder 0 at its GPA: COMMIT -> COMMITTED, the region is live.
  const uint64_t gpa = uint64_t{0x2} << 32;
  guest_commit(vmm, v, gpa);
  const uint32_t ctrl = vmm.read32(v.comp_index, dec(v, 0, Hdm::kControl));
  EXPECT_TRUE(ctrl & Hdm::kCtrlCommitted);
  EXPECT_FALSE(ctrl & Hdm::kCtrlErrorNotCommitted);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 2u);  // where the VMM maps it
  EXPECT_TRUE(s.cxl.dpa_active());
  ASSERT_TRUE(touchable(m));
  p[4096] = 0x5a;  // the guest's store, through the VMM's mapping
  EXPECT_EQ(vmm.read(v.dpa_index, 4096, &byte, 1), 0);
  EXPECT_EQ(byte, 0x5a);
  EXPECT_EQ(*s.mem.host(DeviceMemory::kBase + 4096, 1), std::byte{0x5a});  // the device's memory
  // BASE and SIZE are locked while committed.
  vmm.write32(v.comp_index, dec(v, 0, Hdm::kBaseHi), 7);
  vmm.write32(v.comp_index, dec(v, 0, Hdm::kSizeLo), 0x20000000);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 2u);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kSizeLo)), 0x10000000u);

  // FLR: the mapping is zapped and the decoders re-snapshotted (uncommitted again).
  ASSERT_EQ(vmm.reset(), 0);
  EXPECT_FALSE(touchable(m));
  EXPECT_EQ(vmm.read(v.dpa_index, 4096, &byte, 1), EIO);
  EXPECT_FALSE(vmm.read32(v.comp_index, dec(v, 0, Hdm::kControl)) & Hdm::kCtrlCommitted);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 0u);
  // Commit again: the same mapping faults back in, no new mmap; CXL.mem contents survive FLR.
  guest_commit(vmm, v, gpa);
  ASSERT_TRUE(touchable(m));
  EXPECT_EQ(p[4096], 0x5a);
  munmap(m, di.size);
}

TEST_P(VfioCxlVmm, LockOnCommitHoldsUntilReset) {
  Server s({GetParam(), false, {}});
  Vmm vmm(s.path);
  const CxlView v = discover(vmm, GetParam());
  guest_commit(vmm, v, uint64_t{1} << 32, Hdm::kCtrlLockOnCommit);
  const uint32_t c = dec(v, 0, Hdm::kControl);
  ASSERT_TRUE(vmm.read32(v.comp_index, c) & Hdm::kCtrlCommitted);
  vmm.write32(v.comp_index, c, 0);  // decommit: ignored while locked
  EXPECT_TRUE(vmm.read32(v.comp_index, c) & Hdm::kCtrlCommitted);
  EXPECT_TRUE(s.cxl.dpa_active());
  ASSERT_EQ(vmm.reset(), 0);
  EXPECT_FALSE(vmm.read32(v.comp_index, c) & Hdm::kCtrlCommitted);
  // Without the lock a decommit takes, and the region goes inactive with it.
  guest_commit(vmm, v, uint64_t{1} << 32);
  vmm.write32(v.comp_index, c, 0);
  EXPECT_FALSE(vmm.read32(v.comp_index, c) & Hdm::kCtrlCommitted);
  EXPECT_FALSE(s.cxl.dpa_active());
  uint8_t byte = 0;
  EXPECT_EQ(vmm.read(v.dpa_index, 0, &byte, 1), EIO);
}

TEST_P(VfioCxlVmm, FirmwareCommittedDecoderIsLiveAtOpenAndItsBaseIsTheVmms) {
  VfioCxlOptions o{GetParam(), true, Hpa(uint64_t{0x30} << 32)};
  Server s(o);
  Vmm vmm(s.path);
  const CxlView v = discover(vmm, GetParam());
  switch (GetParam()) {
    case VfioCxlLayout::kV1:
      EXPECT_EQ(v.flags, kVfioCxlV1Committed | kVfioCxlV1Precommitted);
      break;
    case VfioCxlLayout::kV2:
      EXPECT_EQ(v.flags & kVfioCxlV2FirmwareCommitted, kVfioCxlV2FirmwareCommitted);
      break;
    case VfioCxlLayout::kV3:
      EXPECT_EQ(v.flags, kVfioCxlV3HostFirmwareCommitted);
      break;
  }
  // The guest sees decoder 0 committed, BASE 0 (the host's HPA is not its business), the size
  // fixed, Lock On Commit clear.
  const uint32_t c = dec(v, 0, Hdm::kControl);
  uint32_t ctrl = vmm.read32(v.comp_index, c);
  EXPECT_TRUE(ctrl & Hdm::kCtrlCommitted);
  EXPECT_FALSE(ctrl & Hdm::kCtrlLockOnCommit);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseLo)), 0u);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 0u);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kSizeLo)), 0x10000000u);
  EXPECT_TRUE(s.cxl.dpa_active());
  uint8_t byte = 1;
  EXPECT_EQ(vmm.write(v.dpa_index, 100, &byte, 1), 0);
  // The VMM places the decoder at its guest address: BASE takes, still committed, still live;
  // SIZE does not move.
  vmm.write32(v.comp_index, dec(v, 0, Hdm::kBaseHi), 0x4);
  vmm.write32(v.comp_index, dec(v, 0, Hdm::kSizeHi), 0x1);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 0x4u);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kSizeHi)), 0u);
  ctrl = vmm.read32(v.comp_index, c);
  EXPECT_TRUE(ctrl & Hdm::kCtrlCommitted);
  EXPECT_TRUE(s.cxl.dpa_active());
  EXPECT_EQ(vmm.read(v.dpa_index, 100, &byte, 1), 0);
  EXPECT_EQ(byte, 1);
  // The device's own decoder keeps the host's HPA and DPA 0, committed and locked.
  const DecoderState phys = s.cxl.physical_hdm().state(0);
  EXPECT_TRUE(phys.committed);
  EXPECT_TRUE(phys.lock_on_commit);
  EXPECT_EQ(phys.base, Hpa(uint64_t{0x30} << 32));
  EXPECT_EQ(phys.dpa_base, Dpa(0));

  // FLR: re-snapshotted from the device (BASE 0 again), live again at once.
  const Vmm::Reply dpa = vmm.region_info(v.dpa_index);
  void* m = mmap(nullptr, MiB(256).value(), PROT_READ, MAP_SHARED, dpa.fd, 0);
  ::close(dpa.fd);
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_TRUE(touchable(m));
  ASSERT_EQ(vmm.reset(), 0);
  EXPECT_EQ(vmm.read32(v.comp_index, dec(v, 0, Hdm::kBaseHi)), 0u);
  EXPECT_TRUE(vmm.read32(v.comp_index, c) & Hdm::kCtrlCommitted);
  EXPECT_TRUE(touchable(m));
  EXPECT_EQ(static_cast<const uint8_t*>(m)[100], 1);
  // A decommit by the guest zaps it (no lock on the guest's side).
  vmm.write32(v.comp_index, c, 0);
  EXPECT_FALSE(touchable(m));
  munmap(m, MiB(256).value());
}

TEST_P(VfioCxlVmm, WrongSizesOffsetsAndAlignmentAreRefusedAsTheKernelDoes) {
  Server s({GetParam(), false, {}});
  Vmm vmm(s.path);
  const CxlView v = discover(vmm, GetParam());
  uint64_t q = 0;
  EXPECT_EQ(vmm.read(v.comp_index, v.hdm, &q, 2), EINVAL);      // sub-dword
  EXPECT_EQ(vmm.read(v.comp_index, v.hdm, &q, 8), EINVAL);      // more than one dword
  EXPECT_EQ(vmm.read(v.comp_index, v.hdm + 2, &q, 4), EINVAL);  // misaligned
  EXPECT_EQ(vmm.read(v.comp_index, v.comp_size, &q, 4), EINVAL);
  EXPECT_EQ(vmm.write(v.comp_index, v.comp_size - 2, &q, 4), EINVAL);
  EXPECT_EQ(vmm.write(v.comp_index, dec(v, 0, Hdm::kControl), &q, 1), EINVAL);
  EXPECT_EQ(vmm.read(v.comp_index, ~uint64_t{3}, &q, 4), EINVAL);
  // The capability registers are read-only to the guest (writes dropped, not refused).
  const uint32_t cap = vmm.read32(v.comp_index, v.hdm);
  vmm.write32(v.comp_index, v.hdm, ~cap);
  EXPECT_EQ(vmm.read32(v.comp_index, v.hdm), cap);
  // The DPA region: past its end EINVAL; inside but uncommitted EIO.
  EXPECT_EQ(vmm.read(v.dpa_index, v.dpa_size, &q, 1), EINVAL);
  EXPECT_EQ(vmm.read(v.dpa_index, v.dpa_size - 4, &q, 8), EINVAL);
  EXPECT_EQ(vmm.read(v.dpa_index, ~uint64_t{0}, &q, 8), EINVAL);
  EXPECT_EQ(vmm.write(v.dpa_index, 0, &q, 8), EIO);
  // A commit the register model refuses (SIZE 0) leaves the region inactive.
  vmm.write32(v.comp_index, dec(v, 0, Hdm::kControl), Hdm::kCtrlCommit);
  EXPECT_TRUE(vmm.read32(v.comp_index, dec(v, 0, Hdm::kControl)) & Hdm::kCtrlErrorNotCommitted);
  EXPECT_EQ(vmm.read(v.dpa_index, 0, &q, 8), EIO);
  // Regions nobody has.
  EXPECT_NE(vmm.read(v.comp_index + 1, 0, &q, 4), 0);
}

TEST_P(VfioCxlVmm, DvsecControlIsVirtualizedAndLockedByConfigLock) {
  Server s({GetParam(), false, {}});
  Vmm vmm(s.path);
  const auto dv = s.cxl.config().find_dvsec(kCxlDvsecVendorId, 0);
  ASSERT_TRUE(dv.has_value());
  const uint32_t control = *dv + 0x0C, lock = *dv + 0x14, range1_base = *dv + 0x20;
  uint16_t w = 0;
  ASSERT_EQ(vmm.read(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  EXPECT_EQ(w, 0x2);  // IO_Enable, held at 1
  w = 0x4;            // Mem_Enable, and an attempt to clear IO_Enable
  ASSERT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  ASSERT_EQ(vmm.read(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  EXPECT_EQ(w, 0x6);
  const uint32_t base = 0xF0000000;
  ASSERT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, range1_base + 4, &base, 4), 0);
  EXPECT_EQ(vmm.read32(VFIO_PCI_CONFIG_REGION_INDEX, range1_base + 4), 0u);  // fixed
  w = 1;                                                                     // CONFIG_LOCK
  ASSERT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, lock, &w, 2), 0);
  w = 0x2;
  ASSERT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  ASSERT_EQ(vmm.read(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  EXPECT_EQ(w, 0x6) << "Control is locked by CONFIG_LOCK";
  // Outside the DVSEC body config writes are refused, as the server always did.
  const uint32_t x = 0;
  EXPECT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, 0x04, &x, 4), EINVAL);
  EXPECT_EQ(vmm.write(VFIO_PCI_CONFIG_REGION_INDEX, *dv + 0x08, &x, 2), EINVAL);  // header
  // FLR restores the DVSEC.
  ASSERT_EQ(vmm.reset(), 0);
  ASSERT_EQ(vmm.read(VFIO_PCI_CONFIG_REGION_INDEX, control, &w, 2), 0);
  EXPECT_EQ(w, 0x2);
  EXPECT_EQ(vmm.read32(VFIO_PCI_CONFIG_REGION_INDEX, lock) & 1, 0u);
}

TEST_P(VfioCxlVmm, Bar4IsMappableOnlyWhileTheDpaIsLive) {
  Server s({GetParam(), false, {}});
  Vmm vmm(s.path);
  const CxlView v = discover(vmm, GetParam());
  auto bar4 = [&] {
    vfu_region_info i{sizeof i, 0, CXL2_BAR4_INDEX, 0, 0, 0};
    const Vmm::Reply r = vmm.call(VFU_CMD_DEVICE_GET_REGION_INFO, &i, sizeof i);
    if (r.fd >= 0) ::close(r.fd);
    std::memcpy(&i, r.body.data(), sizeof i);
    return (i.flags & VFU_REGION_INFO_FLAG_MMAP) != 0 && r.fd >= 0;
  };
  EXPECT_FALSE(bar4());
  guest_commit(vmm, v, uint64_t{1} << 32);
  EXPECT_TRUE(bar4());
}

// A device whose firmware-committed decoder maps more HDM than the memory served (a topology's
// 1 GiB device served with 256 MiB): the guest still sees it committed, with its full size.
TEST(VfioCxlDevice, FirmwareDecoderLargerThanTheServedMemoryStaysCommitted) {
  struct OneGiB : HdmDecoderContext {
    [[nodiscard]] Bytes volatile_capacity() const override { return GiB(1); }
  } context;
  Hdm hdm(HdmKind::kEndpoint, 2, 0, &context);
  DecoderSettings s;
  s.base = Hpa(uint64_t{0x10} << 32);
  s.size = GiB(1);
  s.target_type = HdmTargetType::kDeviceCoherent;
  hdm.program(0, s);
  ASSERT_TRUE(hdm.commit(0)) << hdm.last_error();
  DeviceMemory mem(MiB(256));
  VfioCxlDevice cxl(mem, &hdm, nullptr, {});
  EXPECT_TRUE(cxl.precommitted());
  const DecoderState g = cxl.guest_hdm().state(0);
  EXPECT_TRUE(g.committed);
  EXPECT_EQ(g.size, GiB(1));
  EXPECT_EQ(g.base, Hpa(0));
  EXPECT_TRUE(cxl.dpa_active());
  EXPECT_FALSE(cxl.guest_hdm().state(1).committed);
}

INSTANTIATE_TEST_SUITE_P(Layouts, VfioCxlVmm,
                         ::testing::Values(VfioCxlLayout::kV1, VfioCxlLayout::kV2,
                                           VfioCxlLayout::kV3),
                         [](const auto& i) { return std::string(vfio_cxl_layout_name(i.param)); });

}  // namespace
}  // namespace cxlsim::accel
