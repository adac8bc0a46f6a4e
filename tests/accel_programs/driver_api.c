/* CUDA Driver API programs for `cxlsim accel` (tests/cli/accel_test.sh): each test runs kernels of
 * src/ptx/testdata/kernels.cu through the libcuda shim and checks every result against the same
 * computation on the host, exactly. Usage: driver_api PTX_FILE TEST, TEST one of vector_add,
 * saxpy, reduce, matmul, errors, proc_address, info, image (the module file loaded again from
 * memory by every loader; nvcc's wrapper is refused, as by CUDA 13's driver), endless (launches
 * until an error: for the server-killed test), bench (bench/accel_bench.sh). PTX_FILE may be PTX
 * text, a cubin or a fatbin (cuModuleLoad sizes it). Exit 0 when the results match, 1 on a
 * mismatch, 2 on a CUDA error (its name is printed), 3 when `endless` ended with
 * CUDA_ERROR_DEVICE_UNAVAILABLE. */
#include <cuda.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check(CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return 0;
  const char* name = "?";
  cuGetErrorName(r, &name);
  fprintf(stderr, "%s: %s (%d)\n", what, name, (int)r);
  exit(2);
}

static CUmodule module;

static CUfunction function(const char* name) {
  CUfunction f;
  check(cuModuleGetFunction(&f, module, name), name);
  return f;
}

static CUdeviceptr upload(const void* p, size_t bytes) {
  CUdeviceptr d;
  check(cuMemAlloc(&d, bytes), "cuMemAlloc");
  if (p != NULL) check(cuMemcpyHtoD(d, p, bytes), "cuMemcpyHtoD");
  return d;
}

static unsigned next_random(unsigned* s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

static int vector_add(void) {
  enum { n = 100000 };
  static float a[n], b[n], c[n];
  unsigned s = 1;
  for (int i = 0; i < n; ++i) a[i] = (float)next_random(&s) / 7.0f, b[i] = (float)i * 0.5f;
  CUdeviceptr da = upload(a, sizeof a), db = upload(b, sizeof b), dc = upload(NULL, sizeof c);
  int count = n;
  void* args[] = {&da, &db, &dc, &count};
  check(
      cuLaunchKernel(function("vector_add"), (n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL),
      "cuLaunchKernel");
  check(cuMemcpyDtoH(c, dc, sizeof c), "cuMemcpyDtoH");
  for (int i = 0; i < n; ++i) {
    if (c[i] != a[i] + b[i]) return fprintf(stderr, "vector_add: c[%d] = %g\n", i, c[i]), 1;
  }
  check(cuMemFree(da), "cuMemFree");
  check(cuMemFree(db), "cuMemFree");
  check(cuMemFree(dc), "cuMemFree");
  printf("vector_add: %d elements exact\n", n);
  return 0;
}

/* saxpy through the `extra` parameter buffer (CU_LAUNCH_PARAM_BUFFER_POINTER). */
static int saxpy(void) {
  enum { n = 50000 };
  static float x[n], y[n], out[n];
  unsigned s = 2;
  for (int i = 0; i < n; ++i) x[i] = (float)next_random(&s) / 1000.0f, y[i] = (float)i;
  const float alpha = 1.75f;
  CUdeviceptr dx = upload(x, sizeof x), dy = upload(y, sizeof y);
  struct {
    int n;
    float a;
    CUdeviceptr x, y;
  } params = {n, alpha, dx, dy};
  size_t size = sizeof params;
  void* extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, &params, CU_LAUNCH_PARAM_BUFFER_SIZE, &size,
                   CU_LAUNCH_PARAM_END};
  check(cuLaunchKernel(function("saxpy"), 64, 1, 1, 128, 1, 1, 0, NULL, NULL, extra),
        "cuLaunchKernel");
  check(cuMemcpyDtoH(out, dy, sizeof out), "cuMemcpyDtoH");
  for (int i = 0; i < n; ++i) {
    if (out[i] != fmaf(alpha, x[i], y[i])) return fprintf(stderr, "saxpy: y[%d]\n", i), 1;
  }
  printf("saxpy: %d elements exact\n", n);
  return 0;
}

/* A reduction with shared memory and atomics; the output is zeroed with cuMemsetD32. */
static int reduce(void) {
  enum { n = 300000 };
  static int in[n];
  unsigned s = 3;
  long long want = 0;
  for (int i = 0; i < n; ++i) in[i] = (int)(next_random(&s) % 2001) - 1000, want += in[i];
  CUdeviceptr din = upload(in, sizeof in), dout = upload(NULL, sizeof(int));
  check(cuMemsetD32(dout, 0, 1), "cuMemsetD32");
  int count = n, got = 0;
  void* args[] = {&din, &dout, &count};
  check(cuLaunchKernel(function("reduce_shared"), 40, 1, 1, 256, 1, 1, 0, NULL, args, NULL),
        "cuLaunchKernel");
  check(cuCtxSynchronize(), "cuCtxSynchronize");
  check(cuMemcpyDtoH(&got, dout, sizeof got), "cuMemcpyDtoH");
  if (got != (int)want) return fprintf(stderr, "reduce: %d, want %lld\n", got, want), 1;
  printf("reduce: sum %d exact\n", got);
  return 0;
}

/* A tiled matrix multiply (shared memory tiles, 2-D grid and blocks), timed with events. */
static int matmul(void) {
  enum { n = 64 };
  static float A[n * n], B[n * n], C[n * n];
  unsigned s = 4;
  for (int i = 0; i < n * n; ++i) {
    A[i] = (float)(next_random(&s) % 17) / 4.0f;
    B[i] = (float)(next_random(&s) % 13) / 8.0f;
  }
  CUdeviceptr da = upload(A, sizeof A), db = upload(B, sizeof B), dc = upload(NULL, sizeof C);
  int size = n;
  void* args[] = {&da, &db, &dc, &size};
  CUevent start, stop;
  check(cuEventCreate(&start, 0), "cuEventCreate");
  check(cuEventCreate(&stop, 0), "cuEventCreate");
  check(cuEventRecord(start, NULL), "cuEventRecord");
  check(cuLaunchKernel(function("matmul_tiled"), n / 16, n / 16, 1, 16, 16, 1, 0, NULL, args, NULL),
        "cuLaunchKernel");
  check(cuEventRecord(stop, NULL), "cuEventRecord");
  check(cuEventSynchronize(stop), "cuEventSynchronize");
  float ms = -1;
  check(cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
  check(cuMemcpyDtoH(C, dc, sizeof C), "cuMemcpyDtoH");
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      float acc = 0;
      for (int k = 0; k < n; ++k) acc = fmaf(A[r * n + k], B[k * n + c], acc);
      if (C[r * n + c] != acc) return fprintf(stderr, "matmul: C[%d][%d]\n", r, c), 1;
    }
  }
  if (!(ms > 0)) return fprintf(stderr, "matmul: elapsed %g ms\n", ms), 1;
  printf("matmul: %dx%d exact in %.3f ms\n", n, n, ms);
  return 0;
}

static int expect(CUresult got, CUresult want, const char* what) {
  if (got == want) return 0;
  const char *g = "?", *w = "?";
  cuGetErrorName(got, &g);
  cuGetErrorName(want, &w);
  fprintf(stderr, "%s: got %s, want %s\n", what, g, w);
  return 1;
}

static int errors(void) {
  int bad = 0;
  CUmodule m;
  bad |= expect(cuModuleLoadData(&m,
                                 ".version 7.0\n.target sm_70\n.address_size 64\n"
                                 ".visible .entry k() { bogus.instruction; }\n"),
                CUDA_ERROR_INVALID_PTX, "bad PTX");
  CUfunction f;
  bad |= expect(cuModuleGetFunction(&f, module, "no_such_kernel"), CUDA_ERROR_NOT_FOUND,
                "unknown function");
  CUdeviceptr d;
  check(cuMemAlloc(&d, 1024), "cuMemAlloc");
  char buf[2048] = {0};
  bad |= expect(cuMemcpyHtoD(d, buf, 2048), CUDA_ERROR_INVALID_VALUE, "copy past the end");
  bad |= expect(cuMemcpyDtoH(buf, d + 512, 1024), CUDA_ERROR_INVALID_VALUE, "copy out past end");
  bad |= expect(cuMemFree(d), CUDA_SUCCESS, "free");
  bad |= expect(cuMemFree(d), CUDA_ERROR_INVALID_VALUE, "double free");
  size_t wrong = 8;
  char params[8] = {0};
  void* extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, params, CU_LAUNCH_PARAM_BUFFER_SIZE, &wrong,
                   CU_LAUNCH_PARAM_END};
  bad |= expect(cuLaunchKernel(function("vector_add"), 1, 1, 1, 32, 1, 1, 0, NULL, NULL, extra),
                CUDA_ERROR_INVALID_VALUE, "wrong parameter buffer size");
  void* missing[] = {NULL, NULL, NULL, NULL};
  bad |= expect(cuLaunchKernel(function("vector_add"), 1, 1, 1, 32, 1, 1, 0, NULL, missing, NULL),
                CUDA_ERROR_INVALID_VALUE, "missing kernel parameter");
  CUdeviceptr huge;
  bad |= expect(cuMemAlloc(&huge, (size_t)1 << 40), CUDA_ERROR_OUT_OF_MEMORY, "huge alloc");
  /* a kernel reading outside device memory faults the launch, as a GPU reports it (checked on
   * an H200 with CUDA 13's driver: bench/accel_gpu_check.sh) */
  CUdeviceptr out = upload(NULL, 64);
  CUdeviceptr wild = 0x10;
  int one = 1;
  void* args[] = {&wild, &wild, &out, &one};
  bad |= expect(cuLaunchKernel(function("vector_add"), 1, 1, 1, 32, 1, 1, 0, NULL, args, NULL),
                CUDA_ERROR_ILLEGAL_ADDRESS, "wild pointer");
  if (!bad) printf("errors: every failure has its CUresult\n");
  return bad;
}

/* What the CUDA runtime does: resolve entry points by name with cuGetProcAddress. */
static int proc_address(void) {
  CUresult (*alloc)(CUdeviceptr*, size_t) = NULL;
  CUdriverProcAddressQueryResult q;
  check(cuGetProcAddress("cuMemAlloc", (void**)&alloc, 12000, 0, &q), "cuGetProcAddress");
  if (alloc != cuMemAlloc_v2 || q != CU_GET_PROC_ADDRESS_SUCCESS) return 1;
  void* none = (void*)1;
  if (cuGetProcAddress("cuNoSuchCall", &none, 12000, 0, &q) != CUDA_ERROR_NOT_FOUND ||
      none != NULL || q != CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND) {
    return 1;
  }
  CUdeviceptr d;
  check(alloc(&d, 4096), "cuMemAlloc via cuGetProcAddress");
  printf("proc_address: resolved\n");
  return 0;
}

static int info(void) {
  char name[128];
  size_t total = 0, free_bytes = 0, total2 = 0;
  int warp = 0, major = 0, count = 0, version = 0;
  check(cuDeviceGetCount(&count), "cuDeviceGetCount");
  check(cuDeviceGetName(name, sizeof name, 0), "cuDeviceGetName");
  check(cuDeviceTotalMem(&total, 0), "cuDeviceTotalMem");
  check(cuMemGetInfo(&free_bytes, &total2), "cuMemGetInfo");
  check(cuDeviceGetAttribute(&warp, CU_DEVICE_ATTRIBUTE_WARP_SIZE, 0), "cuDeviceGetAttribute");
  check(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0), "attr");
  check(cuDriverGetVersion(&version), "cuDriverGetVersion");
  printf("info: devices %d name '%s' total %zu free %zu total2 %zu warp %d cc %d driver %d\n",
         count, name, total, free_bytes, total2, warp, major, version);
  return total == total2 && free_bytes <= total && warp == 32 ? 0 : 1;
}

/* The module file once more, from memory, through each loader; each module runs vector_add
 * exactly. nvcc's wrapper around the image (what __cudaRegisterFatBinary gets) is an invalid
 * image for the driver API, as CUDA 13's driver answers on an H200. */
static int image(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return 2;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* data = calloc((size_t)n + 1, 1);
  if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) return 2;
  fclose(f);
  const int fatbin = n >= 4 && memcmp(data, "\x50\xed\x55\xba", 4) == 0;
  struct {
    unsigned magic, version;
    const void* data;
    const void* unused;
  } wrapper = {0x466243b1u, 1, data, NULL};
  CUmodule loaded[3];
  check(cuModuleLoadData(&loaded[0], data), "cuModuleLoadData");
  check(cuModuleLoadDataEx(&loaded[1], data, 0, NULL, NULL), "cuModuleLoadDataEx");
  int count = 2;
  if (fatbin) check(cuModuleLoadFatBinary(&loaded[count++], data), "cuModuleLoadFatBinary");
  int bad = 0;
  const CUmodule file_module = module;
  for (int i = 0; i < count && !bad; ++i) {
    module = loaded[i];
    bad |= vector_add();
    check(cuModuleUnload(loaded[i]), "cuModuleUnload");
  }
  module = file_module;
  CUmodule m;
  bad |= expect(cuModuleLoadFatBinary(&m, &wrapper), CUDA_ERROR_INVALID_IMAGE, "wrapper");
  bad |= expect(cuModuleLoadData(&m, &wrapper), CUDA_ERROR_INVALID_IMAGE, "wrapper (LoadData)");
  free(data);
  if (!bad) printf("image: %d loaders exact\n", count);
  return bad;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* bench/accel_bench.sh: the round trip of a command that does nothing on the device
 * (cuCtxSynchronize), the cost of a kernel launch with 4 parameters and one CTA, and the
 * bandwidth of large copies each way. */
static int bench(void) {
  enum { rounds = 20000 };
  double t0 = seconds();
  for (int i = 0; i < rounds; ++i) check(cuCtxSynchronize(), "cuCtxSynchronize");
  const double sync_us = (seconds() - t0) / rounds * 1e6;
  CUdeviceptr d = upload(NULL, 1024);
  int zero = 0;
  void* args[] = {&d, &d, &d, &zero};
  CUfunction f = function("vector_add");
  t0 = seconds();
  for (int i = 0; i < rounds / 10; ++i) {
    check(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, args, NULL), "cuLaunchKernel");
  }
  const double launch_us = (seconds() - t0) / (rounds / 10.0) * 1e6;
  const size_t bytes = (size_t)64 << 20;
  char* host = malloc(bytes);
  if (host == NULL) return 2;
  memset(host, 1, bytes);
  CUdeviceptr big = upload(NULL, bytes);
  double best_in = 1e9, best_out = 1e9;
  for (int i = 0; i < 5; ++i) {
    t0 = seconds();
    check(cuMemcpyHtoD(big, host, bytes), "cuMemcpyHtoD");
    const double in = seconds() - t0;
    t0 = seconds();
    check(cuMemcpyDtoH(host, big, bytes), "cuMemcpyDtoH");
    const double out = seconds() - t0;
    best_in = in < best_in ? in : best_in;
    best_out = out < best_out ? out : best_out;
  }
  free(host);
  printf("command round trip (cuCtxSynchronize): %.2f us\n", sync_us);
  printf("kernel launch (1 CTA of 32 threads, 4 parameters): %.2f us\n", launch_us);
  printf("copy host to device, 64 MiB: %.2f GB/s\n", (double)bytes / best_in / 1e9);
  printf("copy device to host, 64 MiB: %.2f GB/s\n", (double)bytes / best_out / 1e9);
  return 0;
}

/* Launches until an error: the test kills the device server meanwhile. */
static int endless(void) {
  enum { n = 1 << 20 };
  CUdeviceptr dx = upload(NULL, n * sizeof(float)), dy = upload(NULL, n * sizeof(float));
  int count = n;
  float a = 1.0f;
  void* args[] = {&count, &a, &dx, &dy};
  /* Looked up once: every call in the loop is the one whose failure the test expects. */
  CUfunction saxpy = function("saxpy");
  printf("endless: running\n");
  fflush(stdout);
  for (;;) {
    CUresult r = cuLaunchKernel(saxpy, 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL);
    if (r != CUDA_SUCCESS) {
      const char* name = "?";
      cuGetErrorName(r, &name);
      printf("endless: %s\n", name);
      CUdeviceptr d;
      return r == CUDA_ERROR_DEVICE_UNAVAILABLE &&
                     cuMemAlloc(&d, 64) == CUDA_ERROR_DEVICE_UNAVAILABLE
                 ? 3
                 : 2;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: driver_api PTX_FILE TEST\n");
    return 2;
  }
  check(cuInit(0), "cuInit");
  CUdevice dev;
  check(cuDeviceGet(&dev, 0), "cuDeviceGet");
  CUcontext ctx;
  check(cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  check(cuModuleLoad(&module, argv[1]), "cuModuleLoad");
  const char* t = argv[2];
  int r = !strcmp(t, "vector_add")     ? vector_add()
          : !strcmp(t, "saxpy")        ? saxpy()
          : !strcmp(t, "reduce")       ? reduce()
          : !strcmp(t, "matmul")       ? matmul()
          : !strcmp(t, "errors")       ? errors()
          : !strcmp(t, "proc_address") ? proc_address()
          : !strcmp(t, "info")         ? info()
          : !strcmp(t, "image")        ? image(argv[1])
          : !strcmp(t, "endless")      ? endless()
          : !strcmp(t, "bench")        ? bench()
                                       : (fprintf(stderr, "unknown test %s\n", t), 2);
  if (r == 0) {
    check(cuModuleUnload(module), "cuModuleUnload");
    check(cuDevicePrimaryCtxRelease(dev), "cuDevicePrimaryCtxRelease");
  }
  return r;
}
