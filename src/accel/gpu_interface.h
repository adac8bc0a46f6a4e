/* The GPU command interface of cxlsim's Type 2 accelerator: the register layout of its BAR2 and
 * the commands a write of CMD runs. Defined once here, in C, so that the device server (C++,
 * gpu_device.h) and the libcuda shim (C, src/accel_shim) use the same numbers.
 *
 * Layout (the seed design's): MAGIC 0x0 reads "CXL2" (0x43584C32), VERSION 0x4, STATUS 0x8,
 * CMD 0x10 (a 4-byte write runs the command), CMD_STATUS 0x14 (the command's result as a CUresult
 * value: 0 success), CMD_RESULT 0x18, PARAM0-7 at 0x40-0x78 and RESULT0-3 at 0x80-0x98 (8 bytes
 * each), TOTAL_MEM 0x140 (device memory in bytes), DATA from 0x1000 to the end of the BAR: a
 * buffer for command operands that are not numbers (PTX text, kernel names, kernel parameters).
 *
 * Commands and their operands (P = PARAM, R = RESULT; addresses are device addresses):
 *   INIT 0x01             -
 *   GET_DEVICE_COUNT 0x02 R0 = devices (1)
 *   CTX_CREATE 0x10       R0 = context handle
 *   CTX_DESTROY 0x11      P0 = context handle
 *   CTX_SYNC 0x12         - (launches run to completion: nothing is pending)
 *   MEM_ALLOC 0x20        P0 = bytes; R0 = address
 *   MEM_FREE 0x21         P0 = address returned by MEM_ALLOC
 *   COPY_HTOD 0x22        P0 = address, P1 = bytes: checks the range lies in one allocation; the
 *   COPY_DTOH 0x23          data then moves through the mapped device memory (BAR4), or through
 *                           DATA when P2 = 1 (HTOD: DATA holds it; DTOH: DATA receives it)
 *   MEM_GET_INFO 0x24     R0 = free bytes, R1 = total bytes
 *   MEMSET 0x25           P0 = address, P1 = value, P2 = element bytes (1, 2, 4), P3 = count
 *   COPY_DTOD 0x26        P0 = destination, P1 = source, P2 = bytes
 *   MODULE_LOAD 0x30      DATA = a module image, P0 = its bytes; R0 = module handle. The image
 *                         is PTX text, a cubin or a fatbin (fatbin.h); the backend picks what
 *                         it runs (ptx: a fatbin's PTX for the highest arch <= the device's)
 *   MODULE_UNLOAD 0x31    P0 = module handle
 *   FUNC_GET 0x32         DATA = kernel name, P0 = module, P1 = name length;
 *                         R0 = function handle, R1 = parameters, R2 = parameter buffer bytes
 *   FUNC_PARAM 0x33       P0 = function, P1 = parameter index; R0 = offset, R1 = bytes
 *   LAUNCH_KERNEL 0x40    P0 = function, P1 = grid x | y << 32, P2 = grid z,
 *                         P3 = block x | y << 32, P4 = block z, P5 = dynamic shared bytes;
 *                         DATA = the parameter buffer (FUNC_GET's R2 bytes, laid out by
 *                         FUNC_PARAM); R0 = thread instructions issued
 * On failure CMD_STATUS holds the CUresult and DATA a NUL-terminated message. */
#ifndef CXLSIM_ACCEL_GPU_INTERFACE_H
#define CXLSIM_ACCEL_GPU_INTERFACE_H

#define CXL2_MAGIC_VALUE 0x43584C32u
#define CXL2_VERSION_VALUE 1u

enum cxl2_reg {
  CXL2_REG_MAGIC = 0x0,
  CXL2_REG_VERSION = 0x4,
  CXL2_REG_STATUS = 0x8,
  CXL2_REG_CMD = 0x10,
  CXL2_REG_CMD_STATUS = 0x14,
  CXL2_REG_CMD_RESULT = 0x18,
  CXL2_REG_PARAM0 = 0x40,  /* PARAMn at 0x40 + 8n, n < 8 */
  CXL2_REG_RESULT0 = 0x80, /* RESULTn at 0x80 + 8n, n < 4 */
  CXL2_REG_TOTAL_MEM = 0x140,
  CXL2_REG_DATA = 0x1000
};

#define CXL2_PARAMS 8
#define CXL2_RESULTS 4
/* STATUS bits */
#define CXL2_STATUS_READY 0x1u
#define CXL2_STATUS_BUSY 0x2u

enum cxl2_cmd {
  CXL2_CMD_INIT = 0x01,
  CXL2_CMD_GET_DEVICE_COUNT = 0x02,
  CXL2_CMD_CTX_CREATE = 0x10,
  CXL2_CMD_CTX_DESTROY = 0x11,
  CXL2_CMD_CTX_SYNC = 0x12,
  CXL2_CMD_MEM_ALLOC = 0x20,
  CXL2_CMD_MEM_FREE = 0x21,
  CXL2_CMD_COPY_HTOD = 0x22,
  CXL2_CMD_COPY_DTOH = 0x23,
  CXL2_CMD_MEM_GET_INFO = 0x24,
  CXL2_CMD_MEMSET = 0x25,
  CXL2_CMD_COPY_DTOD = 0x26,
  CXL2_CMD_MODULE_LOAD = 0x30,
  CXL2_CMD_MODULE_LOAD_PTX = CXL2_CMD_MODULE_LOAD, /* the name for it */
  CXL2_CMD_MODULE_UNLOAD = 0x31,
  CXL2_CMD_FUNC_GET = 0x32,
  CXL2_CMD_FUNC_PARAM = 0x33,
  CXL2_CMD_LAUNCH_KERNEL = 0x40
};

/* CMD_STATUS values: the CUresult a CUDA driver returns for the same failure (cuda.h's values). */
enum cxl2_result {
  CXL2_OK = 0,
  CXL2_ERR_INVALID_VALUE = 1,
  CXL2_ERR_OUT_OF_MEMORY = 2,
  CXL2_ERR_INVALID_IMAGE = 200,
  CXL2_ERR_NO_BINARY_FOR_GPU = 209,
  CXL2_ERR_INVALID_PTX = 218,
  CXL2_ERR_INVALID_HANDLE = 400,
  CXL2_ERR_NOT_FOUND = 500,
  CXL2_ERR_ILLEGAL_ADDRESS = 700,
  CXL2_ERR_MISALIGNED_ADDRESS = 716,
  CXL2_ERR_LAUNCH_FAILED = 719,
  CXL2_ERR_NOT_SUPPORTED = 801,
  CXL2_ERR_UNKNOWN = 999
};

/* The BAR sizes the device server exposes; BAR4 is device memory (size from the topology). */
#define CXL2_BAR2_SIZE (16u << 20)
#define CXL2_BAR2_INDEX 2u
#define CXL2_BAR4_INDEX 4u
/* The device's compute capability (sm_75: 7.5): what cuDeviceComputeCapability reports and the
 * highest PTX arch the ptx backend takes from a fatbin. sm_75 is the lowest arch CUDA 13's nvcc
 * targets (its fatbins carry compute_75 PTX at the least), and the PTX executor runs nvcc's
 * sm_75 PTX (src/ptx/testdata/kernels.nvcc.*). */
#define CXL2_DEVICE_SM_ARCH 75
/* Device addresses of device memory start here (a CUdeviceptr is never 0). */
#define CXL2_DEVICE_BASE 0x100000000ull

#endif
