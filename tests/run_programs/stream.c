/* Multi-threaded read stream for `cxlsim run` checks: STREAM THREADS MIB_PER_THREAD PASSES.
 * Each thread fills its own buffer, then sums it PASSES times. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static size_t words;
static long passes;

static void* worker(void* arg) {
  uint64_t* a = aligned_alloc(64, words * 8);
  for (size_t i = 0; i < words; ++i) a[i] = i;
  uint64_t sum = 0;
  for (long p = 0; p < passes; ++p) {
    for (size_t i = 0; i < words; ++i) sum += a[i];
  }
  *(uint64_t*)arg = sum;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: stream THREADS MIB_PER_THREAD PASSES\n");
    return 2;
  }
  const int n = atoi(argv[1]);
  words = (size_t)atol(argv[2]) * 1024 * 1024 / 8;
  passes = atol(argv[3]);
  pthread_t t[256];
  uint64_t sums[256];
  for (int i = 0; i < n && i < 256; ++i) pthread_create(&t[i], NULL, worker, &sums[i]);
  uint64_t total = 0;
  for (int i = 0; i < n && i < 256; ++i) pthread_join(t[i], NULL), total += sums[i];
  printf("%llu\n", (unsigned long long)total);
  return 0;
}
