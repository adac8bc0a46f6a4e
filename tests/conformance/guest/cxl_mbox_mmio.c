/* Drives a memory device's primary mailbox (CXL 3.1 §8.2.8.4) directly through its PCI BAR,
 * for commands no released kernel sends (Linux 6.12 without CONFIG_CXL_MEM_RAW_COMMANDS has no
 * ioctl for the Dynamic Capacity commands 4800h-4803h). The guest half of
 * tests/conformance/qemu10_dc_test.sh: the guest plays the host's DCD driver. cxl_pci must be
 * unbound from the function first (CONFIG_IO_STRICT_DEVMEM refuses to map a BAR a driver
 * claimed). Built on the host with `gcc -static -O2`, carried in with `cxlsim vm run --file`.
 *
 * Usage: cxl_mbox_mmio BDF raw OPCODE [HEXPAYLOAD]
 *          one command; prints {"opcode":"4801","rc":R,"output":"xx xx .."}
 *        cxl_mbox_mmio BDF dc-respond TIMEOUT_S LABEL
 *          waits (polling Get Event Records, 0100h, on the Dynamic Capacity Event Log) until the
 *          device has logged a complete group of DC event records (the last without the More
 *          flag), prints each as {"kind":"dc_event","label":..,"type":T,"region":N,"dpa":D,
 *          "length":L,"available_extents":A,"tag":"..","flags":F}, clears them (0101h) and
 *          answers as a host that accepts everything: Add Capacity records with one Add Dynamic
 * Capacity Response (4802h) naming all their extents, Release Capacity records with Release Dynamic
 *          Capacity (4803h) naming theirs; prints {"kind":"dc_response","label":..,
 *          "opcode":"4802","rc":R,"extents":N,"waited_ms":W,"payload":"xx .."} (payload: the
 *          response's input, for the host to send to cxlsim's device). Exit 1 on a timeout.
 * HEX in and out is as `cxlsim mbox ... raw` spells it: bytes as two hex digits (spaces are
 * allowed on input, printed between bytes on output). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DVSEC_CAP_ID 0x23
#define CXL_VENDOR 0x1e98
#define DVSEC_REGISTER_LOCATOR 8
#define BLOCK_MEMDEV 3
#define CAP_MAILBOX 0x0002
#define LOG_DC 4
#define RECORD_SIZE 128

static volatile uint8_t* mbox;
static size_t payload_max;

static uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static void put_le(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t rd32(size_t off) { return *(volatile uint32_t*)(mbox + off); }
static uint64_t rd64(size_t off) { return *(volatile uint64_t*)(mbox + off); }
static void wr32(size_t off, uint32_t v) { *(volatile uint32_t*)(mbox + off) = v; }
static void wr64(size_t off, uint64_t v) { *(volatile uint64_t*)(mbox + off) = v; }

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The memory device register block: Register Locator DVSEC (CXL 3.1 §8.1.9) in the extended
 * configuration space -> BAR and offset -> Device Capabilities Array (§8.2.8.2) -> mailbox. */
static int map_mailbox(const char* bdf) {
  char path[256];
  uint8_t cfg[4096];
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
  int fd = open(path, O_RDONLY);
  if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != (ssize_t)sizeof(cfg)) {
    fprintf(stderr, "cannot read %s (root? extended config space?)\n", path);
    return -1;
  }
  close(fd);
  int bar = -1;
  uint64_t block = 0;
  for (unsigned at = 0x100; at && at + 12 <= sizeof(cfg);) {
    uint32_t h = (uint32_t)le(cfg + at, 4);
    if ((h & 0xffff) == DVSEC_CAP_ID && le(cfg + at + 4, 2) == CXL_VENDOR &&
        le(cfg + at + 8, 2) == DVSEC_REGISTER_LOCATOR) {
      unsigned len = (unsigned)(le(cfg + at + 4, 4) >> 20);
      for (unsigned e = at + 0x0c; e + 8 <= at + len; e += 8) {
        uint32_t lo = (uint32_t)le(cfg + e, 4);
        if (((lo >> 8) & 0xff) == BLOCK_MEMDEV) {
          bar = (int)(lo & 7);
          block = (lo & 0xffff0000u) | le(cfg + e + 4, 4) << 32;
        }
      }
    }
    at = h >> 20;
  }
  if (bar < 0) {
    fprintf(stderr, "%s: no memory device register block in a Register Locator DVSEC\n", bdf);
    return -1;
  }
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
  fd = open(path, O_RDWR | O_SYNC);
  if (fd < 0) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  size_t span = (size_t)lseek(fd, 0, SEEK_END);
  volatile uint8_t* base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    fprintf(stderr, "cannot map %s (is cxl_pci still bound?)\n", path);
    return -1;
  }
  volatile uint8_t* caps = base + block;
  unsigned count = (unsigned)((*(volatile uint64_t*)caps >> 32) & 0xffff);
  for (unsigned i = 0; i < count; i++) {
    volatile uint8_t* e = caps + 0x10 + 0x10 * i;
    if ((*(volatile uint32_t*)e & 0xffff) == CAP_MAILBOX) {
      mbox = caps + *(volatile uint32_t*)(e + 4);
      payload_max = (size_t)1 << (rd32(0x00) & 0x1f);
      return 0;
    }
  }
  fprintf(stderr, "%s: no mailbox capability\n", bdf);
  return -1;
}

/* One command (§8.2.8.4.4 steps): payload, command register, doorbell, wait for the doorbell to
 * clear, return code from the status register, output length from the command register. */
static int run(uint16_t opcode, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len) {
  if (in_len > payload_max) return -1;
  while (rd32(0x04) & 1) usleep(100);
  for (size_t i = 0; i < in_len; i++) mbox[0x20 + i] = in[i];
  wr64(0x08, opcode | (uint64_t)in_len << 16);
  wr32(0x04, 1);
  while (rd32(0x04) & 1) usleep(100);
  int rc = (int)((rd64(0x10) >> 32) & 0xffff);
  size_t n = (size_t)((rd64(0x08) >> 16) & 0x1fffff);
  if (n > payload_max) n = payload_max;
  for (size_t i = 0; i < n; i++) out[i] = mbox[0x20 + i];
  *out_len = n;
  return rc;
}

static size_t parse_hex(const char* s, uint8_t* out) {
  size_t n = 0;
  while (*s) {
    if (*s == ' ') {
      s++;
      continue;
    }
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1) break;
    out[n++] = (uint8_t)v;
    s += 2;
  }
  return n;
}

static int cmd_raw(uint16_t opcode, const char* hex) {
  static uint8_t in[1 << 20], out[1 << 20];
  size_t in_len = hex ? parse_hex(hex, in) : 0, out_len = 0;
  int rc = run(opcode, in, in_len, out, &out_len);
  printf("{\"opcode\":\"%04x\",\"rc\":%d,\"output\":\"", opcode, rc);
  for (size_t i = 0; i < out_len; i++) printf(i ? " %02x" : "%02x", out[i]);
  printf("\"}\n");
  return rc == 0 ? 0 : 1;
}

/* Answers one group of DC events; see the usage above. */
static int cmd_dc_respond(long timeout_ms, const char* label) {
  static uint8_t out[1 << 20], rsp[1 << 20], clear[256];
  static uint8_t records[256][RECORD_SIZE];
  size_t got = 0, out_len = 0;
  long start = now_ms();
  for (;;) {
    uint8_t log = LOG_DC;
    int rc = run(0x0100, &log, 1, out, &out_len);
    unsigned n = rc == 0 && out_len >= 0x20 ? (unsigned)le(out + 0x14, 2) : 0;
    for (unsigned i = 0; i < n && got < 256; i++) {
      memcpy(records[got++], out + 0x20 + RECORD_SIZE * i, RECORD_SIZE);
    }
    if (n) {  // clear what was read, by handle
      memset(clear, 0, sizeof(clear));
      clear[0] = LOG_DC;
      clear[2] = (uint8_t)n;
      for (unsigned i = 0; i < n; i++)
        put_le(clear + 6 + 2 * i, le(out + 0x20 + RECORD_SIZE * i + 0x14, 2), 2);
      run(0x0101, clear, 6 + 2 * n, out, &out_len);
    }
    if (got && !(records[got - 1][0x35] & 1)) break;  // the group's last record: no More flag
    if (now_ms() - start > timeout_ms) {
      printf("{\"kind\":\"dc_response\",\"label\":\"%s\",\"timeout\":true,\"events\":%zu}\n", label,
             got);
      return 1;
    }
    usleep(50000);
  }
  size_t adds = 0, releases = 0;
  for (size_t i = 0; i < got; i++) {
    const uint8_t* r = records[i];
    printf(
        "{\"kind\":\"dc_event\",\"label\":\"%s\",\"type\":%u,\"region\":%u,\"flags\":%u,"
        "\"dpa\":%llu,\"length\":%llu,\"available_extents\":%llu,\"tag\":\"",
        label, r[0x30], r[0x34], r[0x35], (unsigned long long)le(r + 0x38, 8),
        (unsigned long long)le(r + 0x40, 8), (unsigned long long)le(r + 0x78, 4));
    for (int b = 0; b < 16; b++) printf("%02x", r[0x48 + b]);
    printf("\"}\n");
    if (r[0x30] == 0) adds++;
    if (r[0x30] == 1 || r[0x30] == 2) releases++;
  }
  uint16_t opcode = adds ? 0x4802 : 0x4803;
  uint8_t want = adds ? 0 : 1;
  size_t k = 0;
  memset(rsp, 0, 8);
  for (size_t i = 0; i < got; i++) {
    const uint8_t* r = records[i];
    if (!(r[0x30] == want || (!adds && r[0x30] == 2))) continue;
    memset(rsp + 8 + 24 * k, 0, 24);
    put_le(rsp + 8 + 24 * k, le(r + 0x38, 8), 8);
    put_le(rsp + 16 + 24 * k, le(r + 0x40, 8), 8);
    k++;
  }
  put_le(rsp, k, 4);
  int rc = run(opcode, rsp, 8 + 24 * k, out, &out_len);
  printf(
      "{\"kind\":\"dc_response\",\"label\":\"%s\",\"opcode\":\"%04x\",\"rc\":%d,\"extents\":%zu,"
      "\"adds\":%zu,\"releases\":%zu,\"waited_ms\":%ld,\"payload\":\"",
      label, opcode, rc, k, adds, releases, now_ms() - start);
  for (size_t i = 0; i < 8 + 24 * k; i++) printf(i ? " %02x" : "%02x", rsp[i]);
  printf("\"}\n");
  return rc == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cxl_mbox_mmio BDF raw OPCODE [HEX] | dc-respond TIMEOUT_S LABEL\n");
    return 2;
  }
  if (map_mailbox(argv[1]) != 0) return 1;
  if (!strcmp(argv[2], "raw") && argc >= 4) {
    return cmd_raw((uint16_t)strtoul(argv[3], NULL, 16), argc > 4 ? argv[4] : NULL);
  }
  if (!strcmp(argv[2], "dc-respond") && argc == 5) {
    return cmd_dc_respond(atol(argv[3]) * 1000L, argv[4]);
  }
  fprintf(stderr, "cxl_mbox_mmio: unknown command %s\n", argv[2]);
  return 2;
}
