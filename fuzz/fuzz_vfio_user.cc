// libFuzzer harness: the accelerator's device server (vfio-user messages in, the GPU command
// interface and device memory behind). The input is the byte stream a client sends; the server
// reads it from one end of a socketpair (written whole, then shut), answering into a
// non-blocking socket nobody reads (a reply that does not fit closes the connection). A
// malformed message must close the connection, never crash or touch memory outside the device.
// The device has the vfio-cxl face (docs/vfio_cxl.md), its UAPI layout chosen by the input's
// length (v1, v2, v3 in turn; the third one firmware committed): COMP_REGS and DPA accesses of
// every size, offset and alignment, guest commits, resets and DVSEC writes are all reachable.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "accel/device_memory.h"
#include "accel/device_server.h"
#include "accel/gpu_device.h"
#include "accel/ptx_backend.h"
#include "accel/vfio_cxl_device.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cxlsim;
  if (size > 60000) return 0;  // the whole input must fit the socket's buffer
  // One device for the whole run (making its 16 MiB BAR dominates an input's cost), reset
  // before each input so inputs do not depend on each other.
  struct Device {
    Device(accel::VfioCxlLayout l, bool precommit)
        : cxl(memory, nullptr, nullptr, [&] {
            accel::VfioCxlOptions o;
            o.layout = l;
            o.precommit = precommit;
            return o;
          }()) {}
    accel::DeviceMemory memory{MiB(1)};
    accel::PtxBackend backend{memory, 1};
    accel::GpuDevice gpu{backend};
    accel::VfioCxlDevice cxl;
    accel::DeviceServer server{gpu, nullptr, &cxl};
  };
  static Device devices[] = {Device(accel::VfioCxlLayout::kV1, false),
                             Device(accel::VfioCxlLayout::kV2, false),
                             Device(accel::VfioCxlLayout::kV3, true)};
  Device& d = devices[size % 3];
  d.gpu.reset();
  d.cxl.reset();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
  int buf = 1 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (size > 0 && ::write(sv[0], data, size) != static_cast<ssize_t>(size)) {
    ::close(sv[0]);
    ::close(sv[1]);
    return 0;
  }
  ::shutdown(sv[0], SHUT_WR);
  fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
  d.server.serve_stream(sv[1]);  // closes sv[1]
  ::close(sv[0]);
  return 0;
}
