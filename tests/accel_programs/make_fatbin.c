/* A test-side writer of module images (tests/cli/accel_test.sh), written from the layout in
 * src/accel/fatbin.h, so that the shim and the device server are checked on fatbins made from
 * clang 14's PTX without a CUDA SDK.
 *
 *   make_fatbin OUT ENTRY...     a fatbin container; ENTRY is KIND:ARCH:PACK:FILE, KIND ptx or
 *                                elf, ARCH e.g. 70, PACK none, lz4 (LZ4 block) or zstd
 *   make_fatbin --cubin OUT ARCH a minimal cubin: an ELF64 of machine EM_CUDA with a .text
 *                                section and its section header table last
 *
 * PTX entries get a 72-byte header: an (empty) options offset/size pair after the 64 bytes, which
 * CUDA 13's driver needs (it crashes on a bare 64-byte PTX header; nvcc writes 80 bytes). ELF
 * entries get the 64-byte one; payloads are padded to 8 bytes. Exit 2 on bad usage. */
#include <elf.h>
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "accel/fatbin.h"

static unsigned char* slurp(const char* path, size_t* n) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* p = len >= 0 ? malloc((size_t)len + 1) : NULL;
  if (p != NULL && fread(p, 1, (size_t)len, f) != (size_t)len) {
    free(p);
    p = NULL;
  }
  fclose(f);
  if (p != NULL) p[len] = 0; /* PTX payloads carry their NUL */
  *n = (size_t)len;
  return p;
}

static int cubin(const char* out, unsigned arch) {
  static const char text[] = "\x01\x02\x03\x04\x05\x06\x07\x08"; /* stand-in machine code */
  static const char names[] = "\0.text\0.shstrtab";
  Elf64_Ehdr h;
  memset(&h, 0, sizeof h);
  memcpy(h.e_ident, ELFMAG, SELFMAG);
  h.e_ident[EI_CLASS] = ELFCLASS64;
  h.e_ident[EI_DATA] = ELFDATA2LSB;
  h.e_ident[EI_VERSION] = EV_CURRENT;
  h.e_type = ET_EXEC;
  h.e_machine = EM_CUDA;
  h.e_version = EV_CURRENT;
  h.e_flags = arch; /* nvcc keeps the sm arch in e_flags' low bits */
  h.e_ehsize = sizeof h;
  h.e_shentsize = sizeof(Elf64_Shdr);
  h.e_shnum = 3;
  h.e_shstrndx = 2;
  const uint64_t text_at = sizeof h, names_at = text_at + sizeof text;
  h.e_shoff = (names_at + sizeof names + 7) & ~7ull;
  Elf64_Shdr s[3];
  memset(s, 0, sizeof s);
  s[1].sh_name = 1;
  s[1].sh_type = SHT_PROGBITS;
  s[1].sh_offset = text_at;
  s[1].sh_size = sizeof text;
  s[2].sh_name = 7;
  s[2].sh_type = SHT_STRTAB;
  s[2].sh_offset = names_at;
  s[2].sh_size = sizeof names;
  FILE* f = fopen(out, "wb");
  if (f == NULL) return 1;
  static const char zeros[8] = {0};
  fwrite(&h, sizeof h, 1, f);
  fwrite(text, sizeof text, 1, f);
  fwrite(names, sizeof names, 1, f);
  fwrite(zeros, h.e_shoff - (names_at + sizeof names), 1, f);
  fwrite(s, sizeof s, 1, f);
  return fclose(f) == 0 ? 0 : 1;
}

struct entry {
  struct cuda_fatbin_entry h;
  uint32_t options[2]; /* PTX: ptxas options offset and size (none) */
  unsigned char* payload;
  size_t stored;
};

/* Parses KIND:ARCH:PACK:FILE into e; 0 on success. */
static int make_entry(char* spec, struct entry* e) {
  char* kind = strtok(spec, ":");
  char* arch = strtok(NULL, ":");
  char* pack = strtok(NULL, ":");
  char* file = strtok(NULL, "");
  if (kind == NULL || arch == NULL || pack == NULL || file == NULL) return 2;
  const int ptx = strcmp(kind, "ptx") == 0;
  if (!ptx && strcmp(kind, "elf") != 0) return 2;
  size_t n = 0;
  unsigned char* raw = slurp(file, &n);
  if (raw == NULL) return perror(file), 1;
  if (ptx) ++n; /* the NUL */
  memset(e, 0, sizeof *e);
  e->h.kind = ptx ? CUDA_FATBIN_KIND_PTX : CUDA_FATBIN_KIND_ELF;
  e->h.version = 0x0101;
  e->h.header_size = ptx ? sizeof e->h + sizeof e->options : sizeof e->h;
  e->h.options_offset = ptx ? sizeof e->h : 0;
  e->h.arch = (uint32_t)strtoul(arch, NULL, 10);
  e->h.flags = CUDA_FATBIN_FLAG_64BIT | CUDA_FATBIN_FLAG_HOST_LINUX;
  if (strcmp(pack, "none") == 0) {
    e->payload = raw;
    e->stored = n;
    return 0;
  }
  size_t cap = strcmp(pack, "lz4") == 0 ? (size_t)LZ4_compressBound((int)n) : ZSTD_compressBound(n);
  e->payload = malloc(cap);
  if (strcmp(pack, "lz4") == 0) {
    e->stored = (size_t)LZ4_compress_default((const char*)raw, (char*)e->payload, (int)n, (int)cap);
    e->h.flags |= CUDA_FATBIN_FLAG_COMPRESSED_LZ4;
  } else if (strcmp(pack, "zstd") == 0) {
    e->stored = ZSTD_compress(e->payload, cap, raw, n, 3);
    if (ZSTD_isError(e->stored)) return 1;
    e->h.flags |= CUDA_FATBIN_FLAG_COMPRESSED_ZSTD;
  } else {
    return 2;
  }
  free(raw);
  e->h.compressed_size = (uint32_t)e->stored;
  e->h.uncompressed_size = n;
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--cubin") == 0) return cubin(argv[2], (unsigned)atoi(argv[3]));
  if (argc < 3) {
    fprintf(stderr,
            "usage: make_fatbin OUT KIND:ARCH:PACK:FILE... | make_fatbin --cubin OUT ARCH\n");
    return 2;
  }
  const int count = argc - 2;
  struct entry* e = calloc((size_t)count, sizeof *e);
  struct cuda_fatbin_header h = {CUDA_FATBIN_MAGIC, CUDA_FATBIN_VERSION, sizeof h, 0};
  for (int i = 0; i < count; ++i) {
    const int r = make_entry(argv[i + 2], &e[i]);
    if (r != 0) return fprintf(stderr, "make_fatbin: bad entry %s\n", argv[i + 2]), r;
    e[i].h.payload_size = (e[i].stored + 7) & ~(uint64_t)7;
    h.fat_size += e[i].h.header_size + e[i].h.payload_size;
  }
  FILE* f = fopen(argv[1], "wb");
  if (f == NULL) return perror(argv[1]), 1;
  static const char zeros[8] = {0};
  fwrite(&h, sizeof h, 1, f);
  for (int i = 0; i < count; ++i) {
    fwrite(&e[i].h, sizeof e[i].h, 1, f);
    if (e[i].h.header_size > sizeof e[i].h) fwrite(e[i].options, sizeof e[i].options, 1, f);
    fwrite(e[i].payload, e[i].stored, 1, f);
    fwrite(zeros, e[i].h.payload_size - e[i].stored, 1, f);
  }
  return fclose(f) == 0 ? 0 : 1;
}
