/* Sends one named memory-device command through Linux's CXL_MEM_SEND_COMMAND ioctl
 * (include/uapi/linux/cxl_mem.h, Linux 6.1) and prints what came back, for the guest side of
 * tests/conformance/mbox_test.sh. Built on the host with `gcc -static -O2` and carried into the
 * guest with `cxlsim vm run --file`.
 *
 * Usage: cxl_mbox_send /dev/cxl/memN identify|partition|health|logs
 *        cxl_mbox_send /dev/cxl/memN lsa OFFSET LENGTH
 *        cxl_mbox_send /dev/cxl/memN cel    (Get Log: the whole Command Effects Log, its size
 *                                            taken from the device's Get Supported Logs)
 * Output, one line: "ioctl=RC errno=E retval=R size=N hex=XX.." (hex: the output payload,
 * N bytes, as the kernel copied it out). Exit status 0 when the ioctl succeeded. */
#include <errno.h>
#include <fcntl.h>
#include <linux/cxl_mem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* CXL 3.1 Table 8-73: the Command Effects Log's UUID, in payload byte order. */
static const uint8_t kCelUuid[16] = {0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
                                     0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17};

static void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int usage(void) {
  fprintf(stderr, "usage: cxl_mbox_send DEV identify|partition|health|logs|cel | lsa OFF LEN\n");
  return 2;
}

/* The CEL's size from Get Supported Logs (CXL 3.1 Table 8-71: entries at 0, then 20-byte
 * entries from 8: UUID, le32 size); 0 when the device does not list it. */
static uint32_t cel_size(int fd) {
  static uint8_t out[2048];
  struct cxl_send_command c;
  memset(&c, 0, sizeof(c));
  c.id = CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS;
  c.out.size = (uint32_t)sizeof(out);
  c.out.payload = (uint64_t)(uintptr_t)out;
  if (ioctl(fd, CXL_MEM_SEND_COMMAND, &c) < 0 || c.retval != 0 || c.out.size < 8) return 0;
  uint32_t entries = (uint32_t)(out[0] | out[1] << 8);
  for (uint32_t i = 0; i < entries && 8 + 20 * (i + 1) <= c.out.size; i++) {
    const uint8_t* e = out + 8 + 20 * i;
    if (!memcmp(e, kCelUuid, sizeof(kCelUuid))) {
      return (uint32_t)e[16] | (uint32_t)e[17] << 8 | (uint32_t)e[18] << 16 | (uint32_t)e[19] << 24;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  static uint8_t in[64];
  static uint8_t out[1 << 20];
  struct cxl_send_command c;
  memset(&c, 0, sizeof(c));
  const char* what = argv[2];
  if (!strcmp(what, "identify")) {
    c.id = CXL_MEM_COMMAND_ID_IDENTIFY;
  } else if (!strcmp(what, "partition")) {
    c.id = CXL_MEM_COMMAND_ID_GET_PARTITION_INFO;
  } else if (!strcmp(what, "health")) {
    c.id = CXL_MEM_COMMAND_ID_GET_HEALTH_INFO;
  } else if (!strcmp(what, "logs")) {
    c.id = CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS;
  } else if (!strcmp(what, "lsa") && argc == 5) {
    c.id = CXL_MEM_COMMAND_ID_GET_LSA;
    put_le32(in, (uint32_t)strtoul(argv[3], NULL, 0));
    put_le32(in + 4, (uint32_t)strtoul(argv[4], NULL, 0));
    c.in.size = 8;
  } else if (!strcmp(what, "cel") && argc == 3) {
    c.id = CXL_MEM_COMMAND_ID_GET_LOG;
    memcpy(in, kCelUuid, sizeof(kCelUuid));
    put_le32(in + 16, 0); /* offset; the length is filled in once the device is open */
    c.in.size = 24;
  } else {
    return usage();
  }
  c.in.payload = (uint64_t)(uintptr_t)in;
  /* The driver copies min(out.size, the device's payload size, the returned length). */
  c.out.size = (uint32_t)sizeof(out);
  c.out.payload = (uint64_t)(uintptr_t)out;
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) {
    printf("ioctl=-1 errno=%d retval=0 size=0 hex=\n", errno);
    return 1;
  }
  if (c.id == CXL_MEM_COMMAND_ID_GET_LOG) put_le32(in + 20, cel_size(fd));
  int rc = ioctl(fd, CXL_MEM_SEND_COMMAND, &c);
  int err = rc < 0 ? errno : 0;
  close(fd);
  uint32_t n = rc < 0 ? 0 : c.out.size;
  printf("ioctl=%d errno=%d retval=%u size=%u hex=", rc, err, c.retval, n);
  for (uint32_t i = 0; i < n; i++) printf("%02x", out[i]);
  printf("\n");
  return rc < 0 ? 1 : 0;
}
