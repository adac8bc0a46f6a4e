/* Touches some memory, then dies of SIGSEGV (or exits with status ARGV[1] when given). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  char* b = malloc(1 << 20);
  memset(b, 1, 1 << 20);
  if (argc > 1) return atoi(argv[1]);
  volatile uintptr_t bad = 8;        /* an unmapped address, hidden from the compiler */
  return *(volatile int*)bad + b[5]; /* NOLINT(performance-no-int-to-ptr): crashes on purpose */
}
