/* Arithmetic-only loop for `cxlsim run` checks: COMPUTE ITERATIONS (registers only). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: compute ITERATIONS\n");
    return 2;
  }
  const long n = atol(argv[1]);
  uint64_t x = (uint64_t)argc, y = 1;
  for (long i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    y ^= x >> 17;
  }
  printf("%llu\n", (unsigned long long)y);
  return 0;
}
