/* Pointer chase for `cxlsim run` checks: CHASE MIB STEPS. Links every 64-byte line of a
 * MIB-MiB buffer into one random cycle, then follows STEPS dependent loads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: chase MIB STEPS\n");
    return 2;
  }
  const size_t lines = (size_t)atol(argv[1]) * 1024 * 1024 / 64;
  const long steps = atol(argv[2]);
  void** buf = aligned_alloc(64, lines * 64);
  size_t* order = malloc(lines * sizeof *order);
  for (size_t i = 0; i < lines; ++i) order[i] = i;
  uint64_t s = 88172645463325252ull;
  for (size_t i = lines - 1; i > 0; --i) { /* Fisher-Yates with xorshift64 */
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    const size_t j = s % (i + 1), t = order[i];
    order[i] = order[j], order[j] = t;
  }
  for (size_t i = 0; i < lines; ++i) buf[order[i] * 8] = &buf[order[(i + 1) % lines] * 8];
  free(order);
  void** p = &buf[0];
  for (long i = 0; i < steps; ++i) p = (void**)*p;
  printf("%p\n", (void*)p);
  return 0;
}
