#include "module_image.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "accel/fatbin.h"

_Static_assert(sizeof(struct cuda_fatbin_header) == 16, "fatbin header layout");
_Static_assert(sizeof(struct cuda_fatbin_wrapper) == 24, "fatbin wrapper layout");

/* *end = max(*end, offset + count * each); 0 on overflow. */
static int extend(uint64_t* end, uint64_t offset, uint64_t count, uint64_t each) {
  uint64_t bytes, last;
  if (__builtin_mul_overflow(count, each, &bytes) || __builtin_add_overflow(offset, bytes, &last)) {
    return 0;
  }
  if (last > *end) *end = last;
  return 1;
}

/* A cubin's extent: the furthest byte of its headers, its section and program header tables,
 * and the sections and segments that have bytes in the file (Elf64_Ehdr, <elf.h>). The tables
 * are read only when they lie within `limit`; otherwise their end is the size. */
static enum cxl2_result elf_size(const unsigned char* p, size_t limit, uint64_t* size) {
  Elf64_Ehdr h;
  if (limit < sizeof h) return CXL2_ERR_INVALID_IMAGE;
  memcpy(&h, p, sizeof h);
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB) {
    return CXL2_ERR_INVALID_IMAGE;
  }
  uint64_t end = sizeof h, tables = 0;
  if ((h.e_shnum > 0 && h.e_shentsize < sizeof(Elf64_Shdr)) ||
      (h.e_phnum > 0 && h.e_phentsize < sizeof(Elf64_Phdr)) ||
      !extend(&end, h.e_shoff, h.e_shnum, h.e_shentsize) ||
      !extend(&end, h.e_phoff, h.e_phnum, h.e_phentsize)) {
    return CXL2_ERR_INVALID_IMAGE;
  }
  *size = end;
  if (end > limit) return CXL2_OK; /* the caller refuses it */
  for (uint16_t i = 0; i < h.e_shnum; ++i) {
    Elf64_Shdr s;
    memcpy(&s, p + h.e_shoff + (uint64_t)i * h.e_shentsize, sizeof s);
    if (s.sh_type != SHT_NOBITS && !extend(&tables, s.sh_offset, 1, s.sh_size)) {
      return CXL2_ERR_INVALID_IMAGE;
    }
  }
  for (uint16_t i = 0; i < h.e_phnum; ++i) {
    Elf64_Phdr ph;
    memcpy(&ph, p + h.e_phoff + (uint64_t)i * h.e_phentsize, sizeof ph);
    if (!extend(&tables, ph.p_offset, 1, ph.p_filesz)) return CXL2_ERR_INVALID_IMAGE;
  }
  *size = tables > end ? tables : end;
  return CXL2_OK;
}

enum cxl2_result module_image_locate(const void* image, size_t limit, struct module_image* out) {
  const unsigned char* p = image;
  uint32_t magic = 0;
  if (limit >= 4) memcpy(&magic, p, 4);
  if (magic == CUDA_FATBIN_WRAPPER_MAGIC) return CXL2_ERR_INVALID_IMAGE;
  out->data = p;
  if (magic == CUDA_FATBIN_MAGIC) {
    struct cuda_fatbin_header h;
    if (limit < sizeof h) return CXL2_ERR_INVALID_IMAGE;
    memcpy(&h, p, sizeof h);
    uint64_t size = 0;
    if (h.header_size < sizeof h || !extend(&size, h.header_size, 1, h.fat_size)) {
      return CXL2_ERR_INVALID_IMAGE;
    }
    out->kind = MODULE_IMAGE_FATBIN;
    out->size = size;
    return CXL2_OK;
  }
  if (limit >= SELFMAG && memcmp(p, ELFMAG, SELFMAG) == 0) {
    uint64_t size = 0;
    const enum cxl2_result r = elf_size(p, limit, &size);
    out->kind = MODULE_IMAGE_CUBIN;
    out->size = size;
    return r;
  }
  /* PTX text, NUL-terminated; none within the limit: larger than the limit. */
  const size_t len = strnlen((const char*)p, limit);
  out->kind = MODULE_IMAGE_PTX;
  out->size = len < limit ? len + 1 : limit + 1;
  return CXL2_OK;
}
