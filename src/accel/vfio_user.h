/* The subset of the vfio-user protocol (QEMU docs/interop/vfio-user.rst, version 0.1) that the
 * accelerator's device server speaks over its Unix socket, defined once here in C for the server
 * (device_server.h) and the libcuda shim. Every message is a header and a payload; all numbers
 * are little-endian (the socket never leaves the machine: host order on x86-64). A region that
 * can be mapped comes with a file descriptor (SCM_RIGHTS) on the GET_REGION_INFO reply.
 *
 *   header (16 bytes): u16 msg_id, u16 command, u32 size (header + payload), u32 flags
 *                      (bits 0-3: 0 command, 1 reply; bit 4: no reply wanted; bit 5: error),
 *                      u32 error (an errno, when the error flag is set)
 *   VERSION            u16 major, u16 minor, then a JSON capabilities string
 *   DEVICE_GET_INFO    u32 argsz, u32 flags, u32 num_regions, u32 num_irqs
 *   DEVICE_GET_REGION_INFO  u32 argsz, u32 flags, u32 index, u32 cap_offset, u64 size,
 *                      u64 offset (in the passed file descriptor)
 *   REGION_READ        u64 offset, u32 region, u32 count; the reply adds count bytes of data
 *   REGION_WRITE       u64 offset, u32 region, u32 count, then count bytes; the reply has no data
 *                      (none at all under No_reply, even when the write was refused)
 *   DEVICE_RESET       - */
#ifndef CXLSIM_ACCEL_VFIO_USER_H
#define CXLSIM_ACCEL_VFIO_USER_H

#include <stdint.h>  // NOLINT(modernize-deprecated-headers): a C header too

#define VFU_VERSION_MAJOR 0
#define VFU_VERSION_MINOR 1

enum vfu_command {
  VFU_CMD_VERSION = 1,
  VFU_CMD_DEVICE_GET_INFO = 4,
  VFU_CMD_DEVICE_GET_REGION_INFO = 5,
  VFU_CMD_REGION_READ = 9,
  VFU_CMD_REGION_WRITE = 10,
  VFU_CMD_DEVICE_RESET = 13
};

#define VFU_FLAG_TYPE_MASK 0xfu
#define VFU_FLAG_COMMAND 0x0u
#define VFU_FLAG_REPLY 0x1u
#define VFU_FLAG_NO_REPLY 0x10u
#define VFU_FLAG_ERROR 0x20u

/* VFIO's region indexes for a PCI device (linux/vfio.h) */
#define VFU_PCI_BAR0_REGION_INDEX 0u
#define VFU_PCI_CONFIG_REGION_INDEX 7u
#define VFU_PCI_NUM_REGIONS 9u

#define VFU_DEVICE_FLAGS_RESET 0x1u
#define VFU_DEVICE_FLAGS_PCI 0x2u
#define VFU_REGION_INFO_FLAG_READ 0x1u
#define VFU_REGION_INFO_FLAG_WRITE 0x2u
#define VFU_REGION_INFO_FLAG_MMAP 0x4u

/* The largest message either side sends: a REGION_WRITE of the whole DATA window. */
#define VFU_MAX_MESSAGE ((16u << 20) + 64u)

struct vfu_header {  // NOLINT(readability-identifier-naming): vfio-user's C name
  uint16_t msg_id;
  uint16_t command;
  uint32_t size;
  uint32_t flags;
  uint32_t error;
};

struct vfu_version {  // NOLINT(readability-identifier-naming): vfio-user's C name
  uint16_t major;
  uint16_t minor;
};

struct vfu_device_info {  // NOLINT(readability-identifier-naming): vfio-user's C name
  uint32_t argsz;
  uint32_t flags;
  uint32_t num_regions;
  uint32_t num_irqs;
};

struct vfu_region_info {  // NOLINT(readability-identifier-naming): vfio-user's C name
  uint32_t argsz;
  uint32_t flags;
  uint32_t index;
  uint32_t cap_offset;
  uint64_t size;
  uint64_t offset;
};

struct vfu_region_access {  // NOLINT(readability-identifier-naming): vfio-user's C name
  uint64_t offset;
  uint32_t region;
  uint32_t count;
};

#ifdef __cplusplus
static_assert(sizeof(struct vfu_header) == 16, "vfio-user header");
static_assert(sizeof(struct vfu_device_info) == 16, "vfio-user device info");
static_assert(sizeof(struct vfu_region_info) == 32, "vfio-user region info");
static_assert(sizeof(struct vfu_region_access) == 16, "vfio-user region access");
#else
_Static_assert(sizeof(struct vfu_header) == 16, "vfio-user header");
_Static_assert(sizeof(struct vfu_region_info) == 32, "vfio-user region info");
_Static_assert(sizeof(struct vfu_region_access) == 16, "vfio-user region access");
#endif

#endif
