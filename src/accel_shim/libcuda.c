/* cxlsim's libcuda.so.1: the CUDA Driver API over the GPU command interface of cxlsim's Type 2
 * accelerator (src/accel/gpu_interface.h), reached through the device server's vfio-user socket
 * (src/accel/vfio_user.h) named by $CXLSIM_ACCEL_SOCKET. Device memory (BAR4) is mapped from the
 * file descriptor the server passes, so copies are memcpy after the device has checked the range.
 * Without $CXLSIM_ACCEL_SOCKET (in a guest of `cxlsim vm run`, whose QEMU has the cxlsim-accel
 * device) the shim finds the device under /sys/bus/pci/devices and maps BAR2 and BAR4 through
 * sysfs (`resource2`, `resource4`): the same command path, with register accesses as loads and
 * stores instead of vfio-user messages (docs/accel.md, "In a guest").
 *
 * Contract: every entry point returns a CUresult and never aborts; one command is in flight at a
 * time (a process-wide mutex around each command's register accesses); when the server goes away
 * every later call returns CUDA_ERROR_DEVICE_UNAVAILABLE instead of hanging. Kernel parameters
 * are laid out from the kernel's .entry signature (FUNC_GET / FUNC_PARAM). Launches, copies and
 * events are synchronous, so stream and event calls complete at once and event times are the
 * host's wall-clock times around the work.
 *
 * The C API has no context argument for the connection, so the shim's state is one file-scope
 * object (the only one), and the current-context stack is thread-local as CUDA's is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accel/gpu_interface.h"
#include "accel/vfio_user.h"
#include "cuda.h"
#include "module_image.h"

#define EXPORT __attribute__((visibility("default")))

_Static_assert((int)CXL2_ERR_INVALID_PTX == (int)CUDA_ERROR_INVALID_PTX,
               "device results are CUresults");
_Static_assert((int)CXL2_ERR_NO_BINARY_FOR_GPU == (int)CUDA_ERROR_NO_BINARY_FOR_GPU,
               "device results are CUresults");
_Static_assert((int)CXL2_ERR_NOT_FOUND == (int)CUDA_ERROR_NOT_FOUND,
               "device results are CUresults");
_Static_assert((int)CXL2_ERR_LAUNCH_FAILED == (int)CUDA_ERROR_LAUNCH_FAILED,
               "device results are CUresults");
_Static_assert((int)CXL2_ERR_ILLEGAL_ADDRESS == (int)CUDA_ERROR_ILLEGAL_ADDRESS,
               "device results are CUresults");
_Static_assert((int)CXL2_ERR_MISALIGNED_ADDRESS == (int)CUDA_ERROR_MISALIGNED_ADDRESS,
               "device results are CUresults");

struct function {
  uint64_t handle;
  uint32_t params;
  uint64_t param_bytes;
  uint64_t* offset; /* per parameter */
  uint64_t* size;
};

struct event {
  double ms; /* wall clock at record, in ms; < 0: never recorded */
};

static struct {
  pthread_mutex_t lock;
  int initialized; /* cuInit succeeded */
  int fd;          /* the server's socket; -1: none (or it went away) */
  uint16_t msg_id;
  unsigned char* memory; /* BAR4 mapped */
  uint64_t memory_size;
  int primary_refs;
  CUcontext primary;
  volatile unsigned char* regs; /* BAR2 mapped (the sysfs transport); NULL: the socket's */
  /* Posted requests not sent yet: they leave in the same write as the next request that waits
   * for a reply (the server answers in order, so nothing observes them earlier). */
  unsigned char queued[4096];
  size_t queued_len;
} shim = {PTHREAD_MUTEX_INITIALIZER, 0, -1, 0, NULL, 0, 0, NULL, NULL, {0}, 0};

/* A transport is up: the socket, or BAR2 mapped through sysfs. */
static int connected(void) { return shim.fd >= 0 || shim.regs != NULL; }

#define MAX_CONTEXT_DEPTH 64
static __thread CUcontext ctx_stack[MAX_CONTEXT_DEPTH];
static __thread int ctx_depth;

/* ---- transport (vfio-user) -------------------------------------------------------------- */

/* Sends the parts as one message (one sendmsg unless the socket takes less), so the server
 * wakes once per message. */
static int write_parts(int fd, struct iovec* iov, int n) {
  while (n > 0) {
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = (size_t)n;
    ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    size_t done = (size_t)w;
    while (n > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = (char*)iov->iov_base + done;
      iov->iov_len -= done;
    }
  }
  return 0;
}

/* Reads exactly n bytes; the first read may carry a descriptor (stored in *fd_out when given). */
static int read_all(int fd, void* p, size_t n, int* fd_out) {
  char* c = p;
  while (n > 0) {
    struct iovec iov = {c, n};
    struct msghdr m;
    char control[CMSG_SPACE(sizeof(int))];
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (fd_out != NULL) {
      m.msg_control = control;
      m.msg_controllen = sizeof control;
    }
    ssize_t r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    if (fd_out != NULL) {
      for (struct cmsghdr* h = CMSG_FIRSTHDR(&m); h != NULL; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
          memcpy(fd_out, CMSG_DATA(h), sizeof(int));
        }
      }
      fd_out = NULL;
    }
    c += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Polls the socket without sleeping for up to 50 us before the blocking read: the reply to a
 * register access usually comes within that, and a sleeping thread's wake-up costs ~25 us on a
 * small VM (bench/accel_bench.sh). */
static void spin_for_reply(void) {
  struct pollfd p = {shim.fd, POLLIN, 0};
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    if (poll(&p, 1, 0) != 0) return;
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000L);
}

/* ---- transport (sysfs: BAR2 and BAR4 of the PCI function mapped) ------------------------- */

/* Register accesses as naturally aligned loads and stores of 8, 4 or 1 bytes (the device
 * forwards each one to the device server). */
static void mmio_write(uint64_t offset, const void* data, uint32_t count) {
  const unsigned char* p = data;
  while (count > 0) {
    volatile unsigned char* r = shim.regs + offset;
    unsigned n = (offset % 8 == 0 && count >= 8) ? 8 : (offset % 4 == 0 && count >= 4) ? 4 : 1;
    if (n == 8) {
      uint64_t v;
      memcpy(&v, p, 8);
      *(volatile uint64_t*)r = v;
    } else if (n == 4) {
      uint32_t v;
      memcpy(&v, p, 4);
      *(volatile uint32_t*)r = v;
    } else {
      *r = *p;
    }
    offset += n;
    p += n;
    count -= n;
  }
}

static void mmio_read(uint64_t offset, void* data, uint32_t count) {
  unsigned char* p = data;
  while (count > 0) {
    volatile unsigned char* r = shim.regs + offset;
    unsigned n = (offset % 8 == 0 && count >= 8) ? 8 : (offset % 4 == 0 && count >= 4) ? 4 : 1;
    if (n == 8) {
      uint64_t v = *(volatile uint64_t*)r;
      memcpy(p, &v, 8);
    } else if (n == 4) {
      uint32_t v = *(volatile uint32_t*)r;
      memcpy(p, &v, 4);
    } else {
      *p = *r;
    }
    offset += n;
    p += n;
    count -= n;
  }
}

static void lost(void) {
  if (shim.fd >= 0) close(shim.fd);
  shim.fd = -1;
  shim.queued_len = 0;
}

/* One request and its reply. `out` receives up to out_len payload bytes. Returns 0, the
 * reply's errno (> 0), or -1 when the connection failed (then the shim marks it lost). With
 * `no_reply` (vfio-user's No_reply flag) the server sends nothing back: the request is queued
 * (sent with the next one that waits for a reply) and 0 is returned. */
static int send_request(uint16_t command, const void* a, size_t a_len, const void* b, size_t b_len,
                        uint32_t flags, struct vfu_header* h) {
  if (shim.fd < 0) return -1;
  struct vfu_header req = {++shim.msg_id, command, (uint32_t)(sizeof req + a_len + b_len), flags,
                           0};
  *h = req;
  int queue = (flags & VFU_FLAG_NO_REPLY) != 0;
  if (queue && shim.queued_len + req.size <= sizeof shim.queued) {
    unsigned char* at = shim.queued + shim.queued_len;
    memcpy(at, &req, sizeof req);
    if (a_len > 0) memcpy(at + sizeof req, a, a_len);
    if (b_len > 0) memcpy(at + sizeof req + a_len, b, b_len);
    shim.queued_len += req.size;
    return 0;
  }
  /* The queue first, then this request, in one write. */
  struct iovec iov[4] = {
      {shim.queued, shim.queued_len}, {h, sizeof *h}, {(void*)a, a_len}, {(void*)b, b_len}};
  int skip = shim.queued_len == 0;
  int parts = b_len > 0 ? 4 : a_len > 0 ? 3 : 2;
  shim.queued_len = 0;
  if (write_parts(shim.fd, iov + skip, parts - skip) != 0) {
    lost();
    return -1;
  }
  return 0;
}

static int transact(uint16_t command, const void* a, size_t a_len, const void* b, size_t b_len,
                    void* out, size_t out_len, int* fd_out) {
  struct vfu_header h;
  if (send_request(command, a, a_len, b, b_len, 0, &h) != 0) return -1;
  struct vfu_header r;
  spin_for_reply();
  if (read_all(shim.fd, &r, sizeof r, fd_out) != 0 || r.msg_id != h.msg_id || r.size < sizeof r) {
    lost();
    return -1;
  }
  size_t len = r.size - sizeof r;
  char sink[256];
  while (len > 0) {
    size_t take = len < out_len ? len : out_len;
    if (take > 0) {
      if (read_all(shim.fd, out, take, NULL) != 0) return lost(), -1;
      out = (char*)out + take;
      out_len -= take;
      len -= take;
      continue;
    }
    take = len < sizeof sink ? len : sizeof sink;
    if (read_all(shim.fd, sink, take, NULL) != 0) return lost(), -1;
    len -= take;
  }
  if (r.flags & VFU_FLAG_ERROR) return r.error ? (int)r.error : EIO;
  return 0;
}

/* A register write whose reply nobody waits for (operands before a command: the command's
 * own status says whether it ran). */
static int bar_post(uint64_t offset, const void* data, uint32_t count) {
  if (shim.regs != NULL) {
    mmio_write(offset, data, count);
    return 0;
  }
  struct vfu_region_access a = {offset, CXL2_BAR2_INDEX, count};
  struct vfu_header h;
  return send_request(VFU_CMD_REGION_WRITE, &a, sizeof a, data, count, VFU_FLAG_NO_REPLY, &h);
}

static int bar_read(uint64_t offset, void* data, uint32_t count) {
  struct vfu_region_access a = {offset, CXL2_BAR2_INDEX, count};
  struct {
    struct vfu_region_access a;
    unsigned char data[512];
  } reply;
  if (count > sizeof reply.data) return EINVAL;
  if (shim.regs != NULL) {
    mmio_read(offset, data, count);
    return 0;
  }
  int e = transact(VFU_CMD_REGION_READ, &a, sizeof a, NULL, 0, &reply, sizeof a + count, NULL);
  if (e == 0) memcpy(data, reply.data, count);
  return e;
}

/* Reads CMD_STATUS into regs[0..3] and, when `results`, RESULT0-3 at their offsets from
 * CMD_STATUS. Over the socket that is one REGION_READ of the span; mapped (sysfs), each
 * register access is a trap into the VMM, so only the registers wanted are read. */
static int read_status(bool results, unsigned char* regs) {
  const uint32_t results_at = CXL2_REG_RESULT0 - CXL2_REG_CMD_STATUS;
  if (shim.regs == NULL) {
    return bar_read(CXL2_REG_CMD_STATUS, regs, results ? results_at + 8 * CXL2_RESULTS : 4);
  }
  mmio_read(CXL2_REG_CMD_STATUS, regs, 4);
  if (results) mmio_read(CXL2_REG_RESULT0, regs + results_at, 8 * CXL2_RESULTS);
  return 0;
}

/* Runs command `cmd` with `n` parameters (PARAM0..); fills result[0..3]. The lock is held. */
static CUresult command(uint32_t cmd, const uint64_t* params, unsigned n, uint64_t* result) {
  if (!connected()) return CUDA_ERROR_DEVICE_UNAVAILABLE;
  if (n > 0 && bar_post(CXL2_REG_PARAM0, params, (uint32_t)(8 * n)) != 0) goto fail;
  /* Posted too: the server answers a connection's messages in order, so the status read below
   * is answered after the command ran. One round trip per command. */
  if (bar_post(CXL2_REG_CMD, &cmd, 4) != 0) goto fail;
  unsigned char regs[CXL2_REG_RESULT0 + 8 * CXL2_RESULTS - CXL2_REG_CMD_STATUS];
  if (read_status(result != NULL, regs) != 0) goto fail;
  uint32_t status;
  memcpy(&status, regs, 4);
  /* A PCI function whose device server went away reads all ones. */
  if (shim.regs != NULL && status == 0xffffffffu) return CUDA_ERROR_DEVICE_UNAVAILABLE;
  if (result != NULL) {
    memcpy(result, regs + (CXL2_REG_RESULT0 - CXL2_REG_CMD_STATUS),
           sizeof(uint64_t) * CXL2_RESULTS);
  }
  if (status != 0 && getenv("CXLSIM_ACCEL_DEBUG") != NULL) {
    char msg[256] = {0}; /* the device's message, in DATA */
    if (bar_read(CXL2_REG_DATA, msg, sizeof msg - 1) == 0) {
      fprintf(stderr, "cxlsim libcuda: command %#x failed (CUresult %u): %s\n", cmd, status, msg);
    }
  }
  return (CUresult)status;
fail:
  return !connected() ? CUDA_ERROR_DEVICE_UNAVAILABLE : CUDA_ERROR_UNKNOWN;
}

static int data_write(const void* p, size_t n) {
  if (n > CXL2_BAR2_SIZE - CXL2_REG_DATA) return EINVAL;
  return bar_post(CXL2_REG_DATA, p, (uint32_t)n);
}

/* Maps `resource<bar>` of the PCI function at `dir`; NULL when it cannot (size in *size). */
static void* map_resource(const char* dir, unsigned bar, uint64_t* size) {
  char path[320];
  snprintf(path, sizeof path, "%s/resource%u", dir, bar);
  int fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  void* m = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    *size = (uint64_t)st.st_size;
    m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);
  return m == MAP_FAILED ? NULL : m;
}

/* Reads the first number in file dir/name (0 when absent). */
static unsigned long sysfs_number(const char* dir, const char* name) {
  char path[320];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "re");
  unsigned long v = 0;
  if (f != NULL) {
    if (fscanf(f, "%lx", &v) != 1) v = 0;
    fclose(f);
  }
  return v;
}

/* The sysfs transport: the first PCI function that is a processing accelerator (class 12h;
 * its vendor/device ids are the topology's, shared with Type 3 memory devices, so they alone
 * cannot pick it) whose BAR2 is the GPU command interface (CXL2_BAR2_SIZE, MAGIC reads "CXL2").
 * Enables the function (memory decoding), maps BAR2 and, when mappable, BAR4. */
static CUresult connect_sysfs(void) {
  const char* root = "/sys/bus/pci/devices";
  DIR* d = opendir(root);
  if (d == NULL) return CUDA_ERROR_NO_DEVICE;
  CUresult r = CUDA_ERROR_NO_DEVICE;
  for (struct dirent* e; r != CUDA_SUCCESS && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%.255s", root, e->d_name);
    if ((sysfs_number(dir, "class") >> 16) != 0x12) continue;
    char bar2[320];
    struct stat st;
    snprintf(bar2, sizeof bar2, "%s/resource%u", dir, CXL2_BAR2_INDEX);
    if (stat(bar2, &st) != 0 || st.st_size != CXL2_BAR2_SIZE) continue; /* before touching it */
    char enable[320];
    snprintf(enable, sizeof enable, "%s/enable", dir);
    FILE* f = fopen(enable, "we");
    if (f != NULL) {
      fputs("1", f);
      fclose(f);
    }
    uint64_t size = 0;
    void* regs = map_resource(dir, CXL2_BAR2_INDEX, &size);
    if (regs == NULL) continue;
    if (size != CXL2_BAR2_SIZE || *(volatile uint32_t*)regs != CXL2_MAGIC_VALUE) {
      munmap(regs, size);
      continue;
    }
    shim.regs = regs;
    uint64_t total = 0;
    mmio_read(CXL2_REG_TOTAL_MEM, &total, 8);
    uint64_t bar4 = 0;
    void* memory = map_resource(dir, CXL2_BAR4_INDEX, &bar4);
    if (memory != NULL && bar4 >= total) shim.memory = memory;
    shim.memory_size = total;
    r = CUDA_SUCCESS;
  }
  closedir(d);
  return r;
}

static CUresult connect_server(void) {
  const char* path = getenv("CXLSIM_ACCEL_SOCKET");
  struct sockaddr_un a;
  if (path == NULL) return connect_sysfs();
  if (strlen(path) >= sizeof a.sun_path) return CUDA_ERROR_NO_DEVICE;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return CUDA_ERROR_NO_DEVICE;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strcpy(a.sun_path, path);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    close(fd);
    return CUDA_ERROR_NO_DEVICE;
  }
  shim.fd = fd;
  struct vfu_version v = {VFU_VERSION_MAJOR, VFU_VERSION_MINOR};
  const char caps[] = "{}";
  char reply[256];
  if (transact(VFU_CMD_VERSION, &v, sizeof v, caps, sizeof caps, reply, sizeof reply, NULL) != 0) {
    lost();
    return CUDA_ERROR_NO_DEVICE;
  }
  struct vfu_region_info info = {sizeof info, 0, CXL2_BAR4_INDEX, 0, 0, 0};
  int mem_fd = -1;
  if (transact(VFU_CMD_DEVICE_GET_REGION_INFO, &info, sizeof info, NULL, 0, &info, sizeof info,
               &mem_fd) != 0 ||
      info.size == 0) {
    if (mem_fd >= 0) close(mem_fd);
    lost();
    return CUDA_ERROR_NO_DEVICE;
  }
  shim.memory_size = info.size;
  if (mem_fd < 0 || !(info.flags & VFU_REGION_INFO_FLAG_MMAP)) return CUDA_SUCCESS; /* via DATA */
  void* m = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, (off_t)info.offset);
  close(mem_fd);
  if (m == MAP_FAILED) {
    lost();
    return CUDA_ERROR_NO_DEVICE;
  }
  shim.memory = m;
  return CUDA_SUCCESS;
}

#define LOCKED(expr)                  \
  do {                                \
    pthread_mutex_lock(&shim.lock);   \
    CUresult locked_r_ = (expr);      \
    pthread_mutex_unlock(&shim.lock); \
    return locked_r_;                 \
  } while (0)

static CUresult ready(void) {
  if (!shim.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (!connected()) return CUDA_ERROR_DEVICE_UNAVAILABLE;
  return CUDA_SUCCESS;
}

/* ---- initialization and devices --------------------------------------------------------- */

static CUresult init_locked(void) {
  if (shim.initialized) return !connected() ? CUDA_ERROR_DEVICE_UNAVAILABLE : CUDA_SUCCESS;
  CUresult r = connect_server();
  if (r != CUDA_SUCCESS) return r;
  r = command(CXL2_CMD_INIT, NULL, 0, NULL);
  if (r == CUDA_SUCCESS) shim.initialized = 1;
  return r;
}

EXPORT CUresult cuInit(unsigned int flags) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  LOCKED(init_locked());
}

EXPORT CUresult cuDriverGetVersion(int* version) {
  if (version == NULL) return CUDA_ERROR_INVALID_VALUE;
  *version = CUDA_VERSION;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int* count) {
  if (count == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  *count = 1;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (device == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  if (name == NULL || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  snprintf(name, (size_t)len, "cxlsim CXL Type 2 accelerator");
  return ready();
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  if (bytes == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  CUresult r = ready();
  if (r == CUDA_SUCCESS) *bytes = shim.memory_size;
  return r;
}

EXPORT CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attrib, CUdevice dev) {
  if (value == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  switch (attrib) {
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X:
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y:
      *value = 1024;
      break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z:
      *value = 64;
      break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X:
      *value = 2147483647;
      break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y:
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z:
      *value = 65535;
      break;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK:
      *value = 48 * 1024;
      break;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE:
      *value = 32;
      break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
      *value = 1;
      break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
      *value = CXL2_DEVICE_SM_ARCH / 10;
      break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
      *value = CXL2_DEVICE_SM_ARCH % 10;
      break;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
  return ready();
}

EXPORT CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice dev) {
  if (major == NULL || minor == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  *major = CXL2_DEVICE_SM_ARCH / 10;
  *minor = CXL2_DEVICE_SM_ARCH % 10;
  return ready();
}

/* ---- contexts --------------------------------------------------------------------------- */

static CUresult ctx_create_locked(CUcontext* ctx) {
  uint64_t res[CXL2_RESULTS];
  CUresult r = command(CXL2_CMD_CTX_CREATE, NULL, 0, res);
  /* NOLINTNEXTLINE(performance-no-int-to-ptr): a device handle, never dereferenced */
  if (r == CUDA_SUCCESS) *ctx = (CUcontext)(uintptr_t)res[0];
  return r;
}

static CUresult push(CUcontext ctx) {
  if (ctx_depth == MAX_CONTEXT_DEPTH) return CUDA_ERROR_INVALID_VALUE;
  ctx_stack[ctx_depth++] = ctx;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxCreate_v2(CUcontext* ctx, unsigned int flags, CUdevice dev) {
  (void)flags;
  if (ctx == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  pthread_mutex_lock(&shim.lock);
  r = ctx_create_locked(ctx);
  pthread_mutex_unlock(&shim.lock);
  return r == CUDA_SUCCESS ? push(*ctx) : r;
}

EXPORT CUresult cuCtxDestroy_v2(CUcontext ctx) {
  if (ctx == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  uint64_t p = (uint64_t)(uintptr_t)ctx;
  pthread_mutex_lock(&shim.lock);
  r = command(CXL2_CMD_CTX_DESTROY, &p, 1, NULL);
  pthread_mutex_unlock(&shim.lock);
  if (r == CUDA_SUCCESS) {
    for (int i = 0; i < ctx_depth; ++i) {
      if (ctx_stack[i] == ctx) {
        memmove(&ctx_stack[i], &ctx_stack[i + 1], sizeof(CUcontext) * (size_t)(ctx_depth - i - 1));
        --ctx_depth;
        break;
      }
    }
  }
  return r;
}

EXPORT CUresult cuCtxSynchronize(void) {
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  if (ctx_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  LOCKED(command(CXL2_CMD_CTX_SYNC, NULL, 0, NULL));
}

EXPORT CUresult cuCtxGetCurrent(CUcontext* ctx) {
  if (ctx == NULL) return CUDA_ERROR_INVALID_VALUE;
  *ctx = ctx_depth > 0 ? ctx_stack[ctx_depth - 1] : NULL;
  return shim.initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

EXPORT CUresult cuCtxSetCurrent(CUcontext ctx) {
  if (!shim.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (ctx == NULL) {
    if (ctx_depth > 0) --ctx_depth;
    return CUDA_SUCCESS;
  }
  if (ctx_depth == 0) return push(ctx);
  ctx_stack[ctx_depth - 1] = ctx;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if (ctx == NULL) return CUDA_ERROR_INVALID_CONTEXT;
  if (!shim.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  return push(ctx);
}

EXPORT CUresult cuCtxPopCurrent_v2(CUcontext* ctx) {
  if (!shim.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (ctx_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  --ctx_depth;
  if (ctx != NULL) *ctx = ctx_stack[ctx_depth];
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetDevice(CUdevice* device) {
  if (device == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (ctx_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  *device = 0;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
  if (ctx == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  pthread_mutex_lock(&shim.lock);
  if (shim.primary == NULL) r = ctx_create_locked(&shim.primary);
  if (r == CUDA_SUCCESS) {
    ++shim.primary_refs;
    *ctx = shim.primary;
  }
  pthread_mutex_unlock(&shim.lock);
  return r;
}

EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
  pthread_mutex_lock(&shim.lock);
  CUresult r = shim.primary_refs > 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
  if (r == CUDA_SUCCESS) --shim.primary_refs;
  pthread_mutex_unlock(&shim.lock);
  return r;
}

/* ---- memory ----------------------------------------------------------------------------- */

static CUresult need_context(void) {
  CUresult r = ready();
  if (r != CUDA_SUCCESS) return r;
  return ctx_depth > 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) {
  if (dptr == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  uint64_t p = bytes, res[CXL2_RESULTS];
  pthread_mutex_lock(&shim.lock);
  r = command(CXL2_CMD_MEM_ALLOC, &p, 1, res);
  pthread_mutex_unlock(&shim.lock);
  if (r == CUDA_SUCCESS) *dptr = res[0];
  return r;
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) {
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  uint64_t p = dptr;
  LOCKED(command(CXL2_CMD_MEM_FREE, &p, 1, NULL));
}

EXPORT CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
  if (free_bytes == NULL || total == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  uint64_t res[CXL2_RESULTS];
  pthread_mutex_lock(&shim.lock);
  r = command(CXL2_CMD_MEM_GET_INFO, NULL, 0, res);
  pthread_mutex_unlock(&shim.lock);
  if (r == CUDA_SUCCESS) {
    *free_bytes = res[0];
    *total = res[1];
  }
  return r;
}

/* Has the device check [dptr, dptr + bytes) (COPY_HTOD / COPY_DTOH), then moves the data
 * through the mapped device memory. */
/* Reads n bytes of the DATA window. The lock is held. */
static int data_read(void* out, size_t n) {
  if (shim.regs != NULL) {
    mmio_read(CXL2_REG_DATA, out, (uint32_t)n);
    return 0;
  }
  struct vfu_region_access a = {CXL2_REG_DATA, CXL2_BAR2_INDEX, (uint32_t)n};
  unsigned char* reply = malloc(sizeof a + n);
  if (reply == NULL) return ENOMEM;
  int e = transact(VFU_CMD_REGION_READ, &a, sizeof a, NULL, 0, reply, sizeof a + n, NULL);
  if (e == 0) memcpy(out, reply + sizeof a, n);
  free(reply);
  return e;
}

/* A copy through the DATA window (device memory not mapped here), in chunks of the window. */
static CUresult copy_through_data(uint32_t cmd, CUdeviceptr dptr, unsigned char* host,
                                  size_t bytes) {
  const size_t window = CXL2_BAR2_SIZE - CXL2_REG_DATA;
  for (size_t done = 0; done < bytes;) {
    size_t n = bytes - done < window ? bytes - done : window;
    uint64_t p[3] = {dptr + done, n, 1};
    if (cmd == CXL2_CMD_COPY_HTOD && data_write(host + done, n) != 0) {
      return CUDA_ERROR_DEVICE_UNAVAILABLE;
    }
    CUresult r = command(cmd, p, 3, NULL);
    if (r != CUDA_SUCCESS) return r;
    if (cmd == CXL2_CMD_COPY_DTOH && data_read(host + done, n) != 0) {
      return CUDA_ERROR_DEVICE_UNAVAILABLE;
    }
    done += n;
  }
  return CUDA_SUCCESS;
}

/* Has the device check [dptr, dptr + bytes) (COPY_HTOD / COPY_DTOH), then moves the data
 * through the mapped device memory, or through DATA where the device's memory is not mappable
 * (a GPU behind the cuda backend). */
static CUresult copy(uint32_t cmd, CUdeviceptr dptr, void* host, size_t bytes) {
  if (host == NULL && bytes > 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS || bytes == 0) return r;
  pthread_mutex_lock(&shim.lock);
  if (shim.memory == NULL) {
    r = copy_through_data(cmd, dptr, host, bytes);
  } else {
    uint64_t p[3] = {dptr, bytes, 0};
    r = command(cmd, p, 3, NULL);
    if (r == CUDA_SUCCESS) {
      unsigned char* d = shim.memory + (dptr - CXL2_DEVICE_BASE);
      if (cmd == CXL2_CMD_COPY_HTOD) {
        memcpy(d, host, bytes);
      } else {
        memcpy(host, d, bytes);
      }
    }
  }
  pthread_mutex_unlock(&shim.lock);
  return r;
}

EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  return copy(CXL2_CMD_COPY_HTOD, dst, (void*)src, bytes);
}

EXPORT CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  return copy(CXL2_CMD_COPY_DTOH, src, dst, bytes);
}

EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  uint64_t p[3] = {dst, src, bytes};
  LOCKED(command(CXL2_CMD_COPY_DTOD, p, 3, NULL));
}

static CUresult memset_elems(CUdeviceptr dst, uint64_t value, uint64_t elem, size_t count) {
  CUresult r = need_context();
  if (r != CUDA_SUCCESS || count == 0) return r;
  uint64_t p[4] = {dst, value, elem, count};
  LOCKED(command(CXL2_CMD_MEMSET, p, 4, NULL));
}

EXPORT CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t count) {
  return memset_elems(dst, value, 1, count);
}

EXPORT CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t count) {
  return memset_elems(dst, value, 4, count);
}

/* ---- modules and functions -------------------------------------------------------------- */

/* Sends the image (module_image.h sizes it: PTX, cubin or fatbin) whole to
 * the device, which picks what its backend runs. `limit`: the bytes that may be read (a file's,
 * or the DATA window's for an image in memory); an image claiming more is refused. */
static CUresult load_image(CUmodule* module, const void* image, size_t limit, int in_memory) {
  if (module == NULL || image == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  struct module_image m;
  r = (CUresult)module_image_locate(image, limit, &m);
  if (r != CUDA_SUCCESS) return r;
  /* A file's buffer has one NUL past the file's bytes, for PTX text only. */
  const size_t room = !in_memory && m.kind != MODULE_IMAGE_PTX ? limit - 1 : limit;
  if (m.size > room) return in_memory ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_INVALID_IMAGE;
  uint64_t p = m.size, res[CXL2_RESULTS];
  pthread_mutex_lock(&shim.lock);
  r = data_write(m.data, m.size) == 0 ? command(CXL2_CMD_MODULE_LOAD, &p, 1, res)
                                      : CUDA_ERROR_DEVICE_UNAVAILABLE;
  pthread_mutex_unlock(&shim.lock);
  /* NOLINTNEXTLINE(performance-no-int-to-ptr): a device handle, never dereferenced */
  if (r == CUDA_SUCCESS) *module = (CUmodule)(uintptr_t)res[0];
  return r;
}

#define IMAGE_LIMIT (CXL2_BAR2_SIZE - CXL2_REG_DATA)

EXPORT CUresult cuModuleLoadData(CUmodule* module, const void* image) {
  return load_image(module, image, IMAGE_LIMIT, 1);
}

EXPORT CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned int num_options,
                                   CUjit_option* options, void** option_values) {
  (void)num_options, (void)options, (void)option_values; /* JIT options: nothing to tune */
  return load_image(module, image, IMAGE_LIMIT, 1);
}

EXPORT CUresult cuModuleLoadFatBinary(CUmodule* module, const void* fat_cubin) {
  return load_image(module, fat_cubin, IMAGE_LIMIT, 1);
}

EXPORT CUresult cuModuleLoad(CUmodule* module, const char* path) {
  if (path == NULL) return CUDA_ERROR_INVALID_VALUE;
  FILE* f = fopen(path, "rb");
  if (f == NULL) return CUDA_ERROR_FILE_NOT_FOUND;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  size_t got = text != NULL ? fread(text, 1, (size_t)n, f) : 0;
  fclose(f);
  if (text == NULL || got != (size_t)n) {
    free(text);
    return CUDA_ERROR_FILE_NOT_FOUND;
  }
  text[n] = '\0'; /* PTX text's terminator; a binary image is sized by its headers */
  CUresult r = load_image(module, text, (size_t)n + 1, 0);
  free(text);
  return r;
}

EXPORT CUresult cuModuleUnload(CUmodule module) {
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  uint64_t p = (uint64_t)(uintptr_t)module;
  LOCKED(command(CXL2_CMD_MODULE_UNLOAD, &p, 1, NULL));
}

EXPORT CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  if (function == NULL || name == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  struct function* f = calloc(1, sizeof *f);
  if (f == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
  uint64_t p[2] = {(uint64_t)(uintptr_t)module, strlen(name)}, res[CXL2_RESULTS];
  pthread_mutex_lock(&shim.lock);
  r = data_write(name, p[1]) == 0 ? command(CXL2_CMD_FUNC_GET, p, 2, res)
                                  : CUDA_ERROR_DEVICE_UNAVAILABLE;
  if (r == CUDA_SUCCESS) {
    f->handle = res[0];
    f->params = (uint32_t)res[1];
    f->param_bytes = res[2];
    f->offset = calloc(f->params + 1, sizeof(uint64_t));
    f->size = calloc(f->params + 1, sizeof(uint64_t));
    if (f->offset == NULL || f->size == NULL) r = CUDA_ERROR_OUT_OF_MEMORY;
    for (uint32_t i = 0; r == CUDA_SUCCESS && i < f->params; ++i) {
      uint64_t q[2] = {f->handle, i};
      r = command(CXL2_CMD_FUNC_PARAM, q, 2, res);
      f->offset[i] = res[0];
      f->size[i] = res[1];
    }
  }
  pthread_mutex_unlock(&shim.lock);
  if (r != CUDA_SUCCESS) {
    free(f->offset);
    free(f->size);
    free(f);
    return r;
  }
  *function = (CUfunction)f;
  return CUDA_SUCCESS;
}

/* CUDA 12.4's parameter layout query: the offset and size of parameter `index` in the buffer,
 * CUDA_ERROR_INVALID_VALUE past the last one. */
EXPORT CUresult cuFuncGetParamInfo(CUfunction function, size_t index, size_t* offset,
                                   size_t* size) {
  const struct function* f = (const struct function*)function;
  if (f == NULL) return CUDA_ERROR_INVALID_HANDLE;
  if (index >= f->params || offset == NULL || size == NULL) return CUDA_ERROR_INVALID_VALUE;
  *offset = f->offset[index];
  *size = f->size[index];
  return CUDA_SUCCESS;
}

/* The parameter buffer: from kernel_params (one pointer per .entry parameter, copied with the
 * parameter's size to its offset) or from extra's CU_LAUNCH_PARAM_BUFFER_POINTER. */
static CUresult param_buffer(const struct function* f, void** kernel_params, void** extra,
                             unsigned char* buf) {
  memset(buf, 0, f->param_bytes);
  if (kernel_params != NULL) {
    for (uint32_t i = 0; i < f->params; ++i) {
      if (kernel_params[i] == NULL) return CUDA_ERROR_INVALID_VALUE;
      memcpy(buf + f->offset[i], kernel_params[i], f->size[i]);
    }
    return CUDA_SUCCESS;
  }
  if (extra == NULL) return f->params == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  const void* src = NULL;
  size_t size = 0;
  for (size_t i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
    if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) {
      src = extra[i + 1];
    } else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) {
      memcpy(&size, extra[i + 1], sizeof size);
    } else {
      return CUDA_ERROR_INVALID_VALUE;
    }
  }
  if (src == NULL || size != f->param_bytes) return CUDA_ERROR_INVALID_VALUE;
  memcpy(buf, src, size);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuLaunchKernel(CUfunction fn, unsigned int grid_x, unsigned int grid_y,
                               unsigned int grid_z, unsigned int block_x, unsigned int block_y,
                               unsigned int block_z, unsigned int shared_bytes, CUstream stream,
                               void** kernel_params, void** extra) {
  (void)stream; /* launches are synchronous: every stream is in order with the host */
  const struct function* f = (const struct function*)fn;
  if (f == NULL) return CUDA_ERROR_INVALID_HANDLE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  unsigned char* buf = malloc(f->param_bytes + 1);
  if (buf == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
  r = param_buffer(f, kernel_params, extra, buf);
  if (r == CUDA_SUCCESS) {
    uint64_t p[6] = {f->handle, grid_x | (uint64_t)grid_y << 32,
                     grid_z,    block_x | (uint64_t)block_y << 32,
                     block_z,   shared_bytes};
    pthread_mutex_lock(&shim.lock);
    r = (f->param_bytes == 0 || data_write(buf, f->param_bytes) == 0)
            ? command(CXL2_CMD_LAUNCH_KERNEL, p, 6, NULL)
            : CUDA_ERROR_DEVICE_UNAVAILABLE;
    pthread_mutex_unlock(&shim.lock);
  }
  free(buf);
  return r;
}

/* ---- streams and events ----------------------------------------------------------------- */

EXPORT CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  (void)flags;
  if (stream == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  *stream = (CUstream)malloc(1);
  return *stream != NULL ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

EXPORT CUresult cuStreamDestroy_v2(CUstream stream) {
  free(stream);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  (void)stream;
  return need_context();
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

EXPORT CUresult cuEventCreate(CUevent* event, unsigned int flags) {
  (void)flags;
  if (event == NULL) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = need_context();
  if (r != CUDA_SUCCESS) return r;
  struct event* e = malloc(sizeof *e);
  if (e == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
  e->ms = -1;
  *event = (CUevent)e;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventRecord(CUevent event, CUstream stream) {
  (void)stream;
  if (event == NULL) return CUDA_ERROR_INVALID_HANDLE;
  ((struct event*)event)->ms = now_ms();
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventSynchronize(CUevent event) {
  return event == NULL ? CUDA_ERROR_INVALID_HANDLE : CUDA_SUCCESS;
}

EXPORT CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
  if (ms == NULL) return CUDA_ERROR_INVALID_VALUE;
  if (start == NULL || end == NULL) return CUDA_ERROR_INVALID_HANDLE;
  const struct event *a = (const struct event*)start, *b = (const struct event*)end;
  if (a->ms < 0 || b->ms < 0) return CUDA_ERROR_NOT_READY;
  *ms = (float)(b->ms - a->ms);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventDestroy_v2(CUevent event) {
  free(event);
  return CUDA_SUCCESS;
}

/* ---- errors and entry points ------------------------------------------------------------ */

static const struct {
  CUresult code;
  const char* name;
  const char* text;
} errors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_DEINITIALIZED, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {CUDA_ERROR_DEVICE_UNAVAILABLE, "CUDA_ERROR_DEVICE_UNAVAILABLE",
     "CUDA-capable device(s) is/are busy or unavailable"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {CUDA_ERROR_FILE_NOT_FOUND, "CUDA_ERROR_FILE_NOT_FOUND", "file not found"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
     "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_TIMEOUT, "CUDA_ERROR_LAUNCH_TIMEOUT",
     "the launch timed out and was terminated"},
    {CUDA_ERROR_ASSERT, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {CUDA_ERROR_ILLEGAL_INSTRUCTION, "CUDA_ERROR_ILLEGAL_INSTRUCTION",
     "an illegal instruction was encountered"},
    {CUDA_ERROR_MISALIGNED_ADDRESS, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

/* The entry of `error` in the table above, or NULL. */
static const char* const* error_entry(CUresult error, int text) {
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; ++i) {
    if (errors[i].code == error) return text ? &errors[i].text : &errors[i].name;
  }
  return NULL;
}

EXPORT CUresult cuGetErrorName(CUresult error, const char** name) {
  if (name == NULL) return CUDA_ERROR_INVALID_VALUE;
  const char* const* e = error_entry(error, 0);
  *name = e != NULL ? *e : NULL;
  return e != NULL ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuGetErrorString(CUresult error, const char** text) {
  if (text == NULL) return CUDA_ERROR_INVALID_VALUE;
  const char* const* e = error_entry(error, 1);
  *text = e != NULL ? *e : NULL;
  return e != NULL ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* cuGetProcAddress: a symbol's base name (as the CUDA runtime asks for it) to the entry point
 * that CUDA `cuda_version` would bind it to (the _v2 variants since CUDA 3.2 / 4.0). */
static const struct {
  const char* name;
  void* fn;
} entry_points[] = {
#define ENTRY(name, fn) \
  { (name), (void*)(fn) }
    ENTRY("cuInit", cuInit),
    ENTRY("cuDriverGetVersion", cuDriverGetVersion),
    ENTRY("cuDeviceGet", cuDeviceGet),
    ENTRY("cuDeviceGetCount", cuDeviceGetCount),
    ENTRY("cuDeviceGetName", cuDeviceGetName),
    ENTRY("cuDeviceTotalMem", cuDeviceTotalMem_v2),
    ENTRY("cuDeviceGetAttribute", cuDeviceGetAttribute),
    ENTRY("cuDeviceComputeCapability", cuDeviceComputeCapability),
    ENTRY("cuCtxCreate", cuCtxCreate_v2),
    ENTRY("cuCtxDestroy", cuCtxDestroy_v2),
    ENTRY("cuCtxSynchronize", cuCtxSynchronize),
    ENTRY("cuCtxGetCurrent", cuCtxGetCurrent),
    ENTRY("cuCtxSetCurrent", cuCtxSetCurrent),
    ENTRY("cuCtxPushCurrent", cuCtxPushCurrent_v2),
    ENTRY("cuCtxPopCurrent", cuCtxPopCurrent_v2),
    ENTRY("cuCtxGetDevice", cuCtxGetDevice),
    ENTRY("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain),
    ENTRY("cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease_v2),
    ENTRY("cuMemAlloc", cuMemAlloc_v2),
    ENTRY("cuMemFree", cuMemFree_v2),
    ENTRY("cuMemGetInfo", cuMemGetInfo_v2),
    ENTRY("cuMemcpyHtoD", cuMemcpyHtoD_v2),
    ENTRY("cuMemcpyDtoH", cuMemcpyDtoH_v2),
    ENTRY("cuMemcpyDtoD", cuMemcpyDtoD_v2),
    ENTRY("cuMemsetD8", cuMemsetD8_v2),
    ENTRY("cuMemsetD32", cuMemsetD32_v2),
    ENTRY("cuModuleLoad", cuModuleLoad),
    ENTRY("cuModuleLoadData", cuModuleLoadData),
    ENTRY("cuModuleLoadDataEx", cuModuleLoadDataEx),
    ENTRY("cuModuleLoadFatBinary", cuModuleLoadFatBinary),
    ENTRY("cuModuleUnload", cuModuleUnload),
    ENTRY("cuModuleGetFunction", cuModuleGetFunction),
    ENTRY("cuFuncGetParamInfo", cuFuncGetParamInfo),
    ENTRY("cuLaunchKernel", cuLaunchKernel),
    ENTRY("cuStreamCreate", cuStreamCreate),
    ENTRY("cuStreamDestroy", cuStreamDestroy_v2),
    ENTRY("cuStreamSynchronize", cuStreamSynchronize),
    ENTRY("cuEventCreate", cuEventCreate),
    ENTRY("cuEventRecord", cuEventRecord),
    ENTRY("cuEventSynchronize", cuEventSynchronize),
    ENTRY("cuEventElapsedTime", cuEventElapsedTime),
    ENTRY("cuEventDestroy", cuEventDestroy_v2),
    ENTRY("cuGetErrorName", cuGetErrorName),
    ENTRY("cuGetErrorString", cuGetErrorString),
    ENTRY("cuGetProcAddress", cuGetProcAddress_v2),
#undef ENTRY
};

EXPORT CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cuda_version,
                                    cuuint64_t flags, CUdriverProcAddressQueryResult* status) {
  (void)cuda_version, (void)flags;
  if (symbol == NULL || pfn == NULL) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; ++i) {
    if (strcmp(entry_points[i].name, symbol) == 0) {
      *pfn = entry_points[i].fn;
      if (status != NULL) *status = CU_GET_PROC_ADDRESS_SUCCESS;
      return CUDA_SUCCESS;
    }
  }
  *pfn = NULL;
  if (status != NULL) *status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  return CUDA_ERROR_NOT_FOUND;
}

#undef cuGetProcAddress
EXPORT CUresult cuGetProcAddress(const char* symbol, void** pfn, int cuda_version,
                                 cuuint64_t flags) {
  return cuGetProcAddress_v2(symbol, pfn, cuda_version, flags, NULL);
}
