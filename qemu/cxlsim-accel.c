/*
 * cxlsim-accel: cxlsim's CXL Type 2 accelerator as a QEMU PCIe endpoint (docs/accel.md, "In a
 * guest"). scripts/build-qemu adds this file to Debian's QEMU 7.2 source as
 * hw/misc/cxlsim/cxlsim-accel.c, with the two format headers it shares with the device server and
 * the libcuda shim (src/accel/vfio_user.h, src/accel/gpu_interface.h) beside it.
 *
 *   -device cxlsim-accel,socket=PATH[,bus=PORT]
 *
 * The device is a client of `cxlsim accel serve --socket PATH` over the server's vfio-user
 * subset (vfio_user.h):
 *   - config space: QEMU's PCI core keeps the standard header and the BARs; the identity (vendor,
 *     device, class, revision, subsystem), the capability list (0x40-0xff) and the extended
 *     space (0x100-0xfff, the CXL DVSECs) are the server's config region, read once at realize
 *     (the server's config space does not change: it refuses config writes), read-only to the
 *     guest;
 *   - BAR2 (the GPU command interface, 64-bit MMIO): every guest access is a REGION_READ or
 *     REGION_WRITE of region 2; writes are posted (No_reply) and queued, except the 4-byte write
 *     of CMD, which runs the command synchronously and, in the same round trip, reads back
 *     CMD_STATUS and the RESULT registers, which later reads are answered from until the next
 *     write. The queued writes go out in the same socket write as the next message that needs a
 *     reply (one write and one round trip per command);
 *   - BAR4 (device memory, 64-bit prefetchable): RAM mapped from the memfd the server passes
 *     with SCM_RIGHTS, so the guest touches it at native speed.
 * When the server goes away (or a reply does not come within 60 s) the device forgets it: BAR2
 * reads return all ones, writes are dropped, and QEMU keeps running.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later (it is linked into QEMU)
 */
/* clang-format off: QEMU's osdep.h comes first */
#include "qemu/osdep.h"
/* clang-format on */

#include <poll.h>
#include <sys/socket.h>

#include "accel/gpu_interface.h"
#include "accel/vfio_user.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "qemu/sockets.h"
#include "qemu/timer.h"
#include "qom/object.h"

#define TYPE_CXLSIM_ACCEL "cxlsim-accel"
OBJECT_DECLARE_SIMPLE_TYPE(CxlsimAccelState, CXLSIM_ACCEL)

/* CMD_STATUS .. the end of RESULT3: what one command's reply read brings back. */
#define STATUS_BLOCK (CXL2_REG_RESULT0 + 8 * CXL2_RESULTS - CXL2_REG_CMD_STATUS)
#define REPLY_TIMEOUT_MS 60000
#define SPIN_NS 50000
#define QUEUE_BYTES 4096

struct CxlsimAccelState {
  PCIDevice parent_obj;
  char* socket; /* property: the device server's socket */
  int fd;       /* connection to the server; -1 once it went away */
  uint16_t msg_id;
  MemoryRegion regs;   /* BAR2 */
  MemoryRegion window; /* BAR4: a power-of-two window holding `ram` */
  MemoryRegion ram;    /* device memory, from the server's memfd */
  uint8_t status[STATUS_BLOCK];
  bool status_valid;
  /* Posted messages not sent yet: they go out with the next message that needs a reply (the
   * server answers a connection's messages in order, so nothing can observe them earlier). */
  uint8_t queued[QUEUE_BYTES];
  size_t queued_len;
};

/* ---- transport ------------------------------------------------------------------------- */

static void lost(CxlsimAccelState* s, const char* why) {
  if (s->fd < 0) {
    return;
  }
  warn_report(
      "cxlsim-accel: the device server at %s went away (%s); "
      "the device now reads all ones",
      s->socket, why);
  close(s->fd);
  s->fd = -1;
  s->status_valid = false;
  s->queued_len = 0;
}

/* Writes the n parts of v to the socket. 0, or -1 (connection lost). */
static int write_parts(CxlsimAccelState* s, struct iovec* v, int n) {
  while (n > 0) {
    struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(s->fd, &m, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      lost(s, strerror(errno));
      return -1;
    }
    size_t done = (size_t)w;
    while (n > 0 && done >= v->iov_len) {
      done -= v->iov_len;
      ++v;
      --n;
    }
    if (n > 0) {
      v->iov_base = (char*)v->iov_base + done;
      v->iov_len -= done;
    }
  }
  return 0;
}

/* Sends the queued messages. 0, or -1 (connection lost). */
static int flush_queue(CxlsimAccelState* s) {
  if (s->fd < 0) {
    return -1;
  }
  struct iovec v = {s->queued, s->queued_len};
  s->queued_len = 0;
  return v.iov_len == 0 ? 0 : write_parts(s, &v, 1);
}

/* Queues one message (header, then a and b) behind the earlier queued ones; a message larger
 * than the queue is written at once, after them. Returns the message id, or -1 (lost). */
static int queue_message(CxlsimAccelState* s, uint16_t command, uint32_t flags, const void* a,
                         size_t a_len, const void* b, size_t b_len) {
  if (s->fd < 0) {
    return -1;
  }
  struct vfu_header h = {
      .msg_id = ++s->msg_id,
      .command = command,
      .size = (uint32_t)(sizeof h + a_len + b_len),
      .flags = flags,
  };
  if (s->queued_len + h.size > sizeof s->queued && flush_queue(s) != 0) {
    return -1;
  }
  if (h.size > sizeof s->queued) {
    struct iovec iov[3] = {{&h, sizeof h}, {(void*)a, a_len}, {(void*)b, b_len}};
    return write_parts(s, iov, b_len > 0 ? 3 : a_len > 0 ? 2 : 1) == 0 ? h.msg_id : -1;
  }
  uint8_t* at = s->queued + s->queued_len;
  memcpy(at, &h, sizeof h);
  if (a_len > 0) {
    memcpy(at + sizeof h, a, a_len);
  }
  if (b_len > 0) {
    memcpy(at + sizeof h + a_len, b, b_len);
  }
  s->queued_len += h.size;
  return h.msg_id;
}

/* Sends one message, and every queued one before it, in one write. The message id, or -1. */
static int send_message(CxlsimAccelState* s, uint16_t command, uint32_t flags, const void* a,
                        size_t a_len, const void* b, size_t b_len) {
  int id = queue_message(s, command, flags, a, a_len, b, b_len);
  return id < 0 || flush_queue(s) != 0 ? -1 : id;
}

/* Reads exactly len bytes (a passed descriptor, if any, into *fd_out). 0, or -1 (lost). */
/* Waits until the socket is readable: polls without sleeping for up to SPIN_NS first (a reply
 * usually comes within that, and a sleeping thread's wake-up costs ~25 us on a small host, as
 * for the shim, docs/accel.md#speed), then sleeps up to REPLY_TIMEOUT_MS. poll()'s result. */
static int wait_readable(int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  const int64_t until = get_clock() + SPIN_NS;
  do {
    int ready = poll(&pfd, 1, 0);
    if (ready != 0) return ready;
  } while (get_clock() < until);
  return poll(&pfd, 1, REPLY_TIMEOUT_MS);
}

static int read_exact(CxlsimAccelState* s, void* p, size_t len, int* fd_out) {
  char* c = p;
  while (len > 0) {
    int ready = wait_readable(s->fd);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      lost(s, ready == 0 ? "no reply within 60 s" : strerror(errno));
      return -1;
    }
    struct iovec iov = {c, len};
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd_out != NULL) {
      m.msg_control = control;
      m.msg_controllen = sizeof control;
    }
    ssize_t r = recvmsg(s->fd, &m, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      lost(s, r == 0 ? "connection closed" : strerror(errno));
      return -1;
    }
    if (fd_out != NULL) {
      for (struct cmsghdr* h = CMSG_FIRSTHDR(&m); h != NULL; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
          memcpy(fd_out, CMSG_DATA(h), sizeof(int));
        }
      }
      fd_out = NULL;
    }
    c += r;
    len -= (size_t)r;
  }
  return 0;
}

/* Receives the reply to message `id`: up to out_len payload bytes into out (the rest is
 * dropped). Returns 0, the server's errno (> 0), or -1 (lost). */
static int receive_reply(CxlsimAccelState* s, int id, void* out, size_t out_len, int* fd_out) {
  struct vfu_header r;
  if (s->fd < 0 || read_exact(s, &r, sizeof r, fd_out) != 0) {
    return -1;
  }
  if (r.msg_id != (uint16_t)id || r.size < sizeof r || r.size > VFU_MAX_MESSAGE) {
    lost(s, "malformed reply");
    return -1;
  }
  size_t len = r.size - sizeof r;
  size_t take = MIN(len, out_len);
  if (take > 0 && read_exact(s, out, take, NULL) != 0) {
    return -1;
  }
  for (len -= take; len > 0;) {
    char sink[256];
    size_t n = MIN(len, sizeof sink);
    if (read_exact(s, sink, n, NULL) != 0) {
      return -1;
    }
    len -= n;
  }
  if (r.flags & VFU_FLAG_ERROR) {
    return r.error != 0 ? (int)r.error : EIO;
  }
  return 0;
}

static int transact(CxlsimAccelState* s, uint16_t command, const void* a, size_t a_len,
                    const void* b, size_t b_len, void* out, size_t out_len, int* fd_out) {
  int id = send_message(s, command, VFU_FLAG_COMMAND, a, a_len, b, b_len);
  return id < 0 ? -1 : receive_reply(s, id, out, out_len, fd_out);
}

/* REGION_READ of `count` (<= 4096) bytes of `region` at `offset` into out. */
static int region_read(CxlsimAccelState* s, uint32_t region, uint64_t offset, void* out,
                       uint32_t count) {
  struct vfu_region_access a = {.offset = offset, .region = region, .count = count};
  struct {
    struct vfu_region_access a;
    uint8_t data[4096];
  } reply;
  assert(count <= sizeof reply.data);
  int e = transact(s, VFU_CMD_REGION_READ, &a, sizeof a, NULL, 0, &reply, sizeof a + count, NULL);
  if (e == 0) {
    memcpy(out, reply.data, count);
  }
  return e;
}

static int region_info(CxlsimAccelState* s, uint32_t index, struct vfu_region_info* info,
                       int* fd_out) {
  struct vfu_region_info q = {.argsz = sizeof q, .index = index};
  return transact(s, VFU_CMD_DEVICE_GET_REGION_INFO, &q, sizeof q, NULL, 0, info, sizeof *info,
                  fd_out);
}

/* ---- BAR2: the GPU command interface --------------------------------------------------- */

/* A CMD write: runs the command (the write's reply comes after it ran) and reads CMD_STATUS and
 * the RESULT registers back in the same round trip (both requests sent before either reply is
 * read: the server answers a connection's messages in order). */
static void run_command(CxlsimAccelState* s, uint32_t cmd) {
  struct vfu_region_access w = {.offset = CXL2_REG_CMD, .region = CXL2_BAR2_INDEX, .count = 4};
  struct vfu_region_access r = {
      .offset = CXL2_REG_CMD_STATUS, .region = CXL2_BAR2_INDEX, .count = STATUS_BLOCK};
  int wid = queue_message(s, VFU_CMD_REGION_WRITE, VFU_FLAG_COMMAND, &w, sizeof w, &cmd, 4);
  int rid = send_message(s, VFU_CMD_REGION_READ, VFU_FLAG_COMMAND, &r, sizeof r, NULL, 0);
  if (wid < 0 || rid < 0 || receive_reply(s, wid, NULL, 0, NULL) < 0) {
    return;
  }
  struct {
    struct vfu_region_access a;
    uint8_t data[STATUS_BLOCK];
  } reply;
  if (receive_reply(s, rid, &reply, sizeof reply, NULL) == 0) {
    memcpy(s->status, reply.data, sizeof s->status);
    s->status_valid = true;
  }
}

static uint64_t regs_read(void* opaque, hwaddr addr, unsigned size) {
  CxlsimAccelState* s = opaque;
  uint64_t v = 0;
  if (s->status_valid && addr >= CXL2_REG_CMD_STATUS &&
      addr + size <= CXL2_REG_CMD_STATUS + STATUS_BLOCK) {
    memcpy(&v, s->status + (addr - CXL2_REG_CMD_STATUS), size);
    return v;
  }
  if (region_read(s, CXL2_BAR2_INDEX, addr, &v, size) != 0) {
    return MAKE_64BIT_MASK(0, size * 8);
  }
  return v;
}

static void regs_write(void* opaque, hwaddr addr, uint64_t val, unsigned size) {
  CxlsimAccelState* s = opaque;
  s->status_valid = false;
  if (addr == CXL2_REG_CMD && size == 4) {
    run_command(s, (uint32_t)val);
    return;
  }
  struct vfu_region_access a = {.offset = addr, .region = CXL2_BAR2_INDEX, .count = size};
  queue_message(s, VFU_CMD_REGION_WRITE, VFU_FLAG_COMMAND | VFU_FLAG_NO_REPLY, &a, sizeof a, &val,
                size);
}

static const MemoryRegionOps regs_ops = {
    .read = regs_read,
    .write = regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

/* ---- config space ------------------------------------------------------------------------ */

/* Takes the server's identity, capability list and extended space into the device's config
 * space (read-only to the guest: their wmask stays 0). */
static void take_config(PCIDevice* pdev, const uint8_t* c) {
  uint8_t* d = pdev->config;
  memcpy(d + PCI_VENDOR_ID, c + PCI_VENDOR_ID, 4);
  memcpy(d + PCI_REVISION_ID, c + PCI_REVISION_ID, 4);
  memcpy(d + PCI_SUBSYSTEM_VENDOR_ID, c + PCI_SUBSYSTEM_VENDOR_ID, 4);
  if (c[PCI_STATUS] & PCI_STATUS_CAP_LIST) {
    memcpy(d + PCI_CONFIG_HEADER_SIZE, c + PCI_CONFIG_HEADER_SIZE,
           PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    d[PCI_CAPABILITY_LIST] = c[PCI_CAPABILITY_LIST];
    d[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    /* The PCI core reads the link status of a PCI Express capability. */
    unsigned guard = 0;
    for (uint8_t at = c[PCI_CAPABILITY_LIST]; at >= PCI_CONFIG_HEADER_SIZE && guard < 48;
         at = c[at + PCI_CAP_LIST_NEXT], ++guard) {
      if (c[at + PCI_CAP_LIST_ID] == PCI_CAP_ID_EXP) {
        pdev->exp.exp_cap = at;
      }
    }
  }
  if (pci_is_express(pdev)) {
    memcpy(d + PCI_CONFIG_SPACE_SIZE, c + PCI_CONFIG_SPACE_SIZE,
           PCIE_CONFIG_SPACE_SIZE - PCI_CONFIG_SPACE_SIZE);
  }
}

/* ---- the device ------------------------------------------------------------------------ */

static bool connect_server(CxlsimAccelState* s, Error** errp) {
  s->fd = unix_connect(s->socket, errp);
  if (s->fd < 0) {
    error_prepend(errp, "cxlsim-accel: cannot reach the device server (cxlsim accel serve): ");
    return false;
  }
  struct vfu_version v = {VFU_VERSION_MAJOR, VFU_VERSION_MINOR};
  const char caps[] = "{}";
  char reply[512];
  if (transact(s, VFU_CMD_VERSION, &v, sizeof v, caps, sizeof caps, reply, sizeof reply, NULL) !=
      0) {
    error_setg(errp, "cxlsim-accel: %s does not speak vfio-user %d.%d", s->socket,
               VFU_VERSION_MAJOR, VFU_VERSION_MINOR);
    return false;
  }
  return true;
}

static bool map_memory(CxlsimAccelState* s, Error** errp) {
  struct vfu_region_info info;
  int fd = -1;
  if (region_info(s, CXL2_BAR4_INDEX, &info, &fd) != 0 || info.size == 0) {
    error_setg(errp, "cxlsim-accel: the server offers no device memory (BAR4)");
    return false;
  }
  if (fd < 0 || !(info.flags & VFU_REGION_INFO_FLAG_MMAP)) {
    if (fd >= 0) {
      close(fd);
    }
    error_setg(errp,
               "cxlsim-accel: the server's device memory cannot be mapped "
               "(serve it with --backend ptx --vfio-cxl off)");
    return false;
  }
  Error* err = NULL;
  memory_region_init_ram_from_fd(&s->ram, OBJECT(s), "cxlsim-accel.memory", info.size, RAM_SHARED,
                                 fd, info.offset, &err);
  if (err != NULL) {
    close(fd);
    error_propagate(errp, err);
    return false;
  }
  memory_region_init(&s->window, OBJECT(s), "cxlsim-accel.bar4", pow2ceil(info.size));
  memory_region_add_subregion(&s->window, 0, &s->ram);
  pci_register_bar(
      PCI_DEVICE(s), CXL2_BAR4_INDEX,
      PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
      &s->window);
  return true;
}

static bool attach(CxlsimAccelState* s, Error** errp) {
  if (!connect_server(s, errp)) {
    return false;
  }
  uint8_t config[PCIE_CONFIG_SPACE_SIZE];
  if (region_read(s, VFU_PCI_CONFIG_REGION_INDEX, 0, config, sizeof config) != 0) {
    error_setg(errp, "cxlsim-accel: cannot read the server's config space");
    return false;
  }
  struct vfu_region_info regs;
  if (region_info(s, CXL2_BAR2_INDEX, &regs, NULL) != 0 || regs.size != CXL2_BAR2_SIZE) {
    error_setg(errp, "cxlsim-accel: the server's BAR2 is not the GPU command interface");
    return false;
  }
  if (!map_memory(s, errp)) {
    return false;
  }
  take_config(PCI_DEVICE(s), config);
  memory_region_init_io(&s->regs, OBJECT(s), &regs_ops, s, "cxlsim-accel.regs", regs.size);
  pci_register_bar(PCI_DEVICE(s), CXL2_BAR2_INDEX,
                   PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64, &s->regs);
  return true;
}

static void cxlsim_accel_realize(PCIDevice* pdev, Error** errp) {
  CxlsimAccelState* s = CXLSIM_ACCEL(pdev);
  if (s->socket == NULL) {
    error_setg(errp, "cxlsim-accel: socket=PATH (the device server's socket) is required");
    return;
  }
  if (!attach(s, errp) && s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void cxlsim_accel_exit(PCIDevice* pdev) {
  CxlsimAccelState* s = CXLSIM_ACCEL(pdev);
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

/* A device reset resets the server's device (registers, allocations, modules). */
static void cxlsim_accel_reset(DeviceState* dev) {
  CxlsimAccelState* s = CXLSIM_ACCEL(dev);
  s->status_valid = false;
  if (s->fd >= 0) {
    transact(s, VFU_CMD_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0, NULL);
  }
}

static void cxlsim_accel_init(Object* obj) { CXLSIM_ACCEL(obj)->fd = -1; }

static Property cxlsim_accel_properties[] = {
    DEFINE_PROP_STRING("socket", CxlsimAccelState, socket),
    DEFINE_PROP_END_OF_LIST(),
};

/* The device's state lives in the server: it cannot migrate. */
static const VMStateDescription cxlsim_accel_vmstate = {
    .name = TYPE_CXLSIM_ACCEL,
    .unmigratable = 1,
};

static void cxlsim_accel_class_init(ObjectClass* klass, void* data) {
  DeviceClass* dc = DEVICE_CLASS(klass);
  PCIDeviceClass* k = PCI_DEVICE_CLASS(klass);
  k->realize = cxlsim_accel_realize;
  k->exit = cxlsim_accel_exit;
  /* Replaced by the server's identity at realize. */
  k->vendor_id = PCI_VENDOR_ID_QEMU;
  k->device_id = 0xffff;
  k->class_id = PCI_CLASS_OTHERS;
  dc->desc = "cxlsim CXL Type 2 accelerator (a client of `cxlsim accel serve`)";
  dc->reset = cxlsim_accel_reset;
  dc->vmsd = &cxlsim_accel_vmstate;
  set_bit(DEVICE_CATEGORY_MISC, dc->categories);
  device_class_set_props(dc, cxlsim_accel_properties);
}

static const TypeInfo cxlsim_accel_info = {
    .name = TYPE_CXLSIM_ACCEL,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(CxlsimAccelState),
    .instance_init = cxlsim_accel_init,
    .class_init = cxlsim_accel_class_init,
    .interfaces = (InterfaceInfo[]){{INTERFACE_PCIE_DEVICE}, {}},
};

static void cxlsim_accel_register(void) { type_register_static(&cxlsim_accel_info); }

type_init(cxlsim_accel_register)
