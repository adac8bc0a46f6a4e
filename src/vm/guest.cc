#include "vm/guest.h"

#include <fmt/format.h>

#include <charconv>

namespace cxlsim::vm {

std::string guest_init_script() {
  return fmt::format(R"(#!/bin/busybox sh
# cxlsim guest init, protocol v{version}
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mode=run; memdevs=0
for a in $(cat /proc/cmdline); do
  case "$a" in
    cxlsim.mode=*) mode=${{a#cxlsim.mode=}} ;;
    cxlsim.memdevs=*) memdevs=${{a#cxlsim.memdevs=}} ;;
  esac
done
for m in {modules}; do modprobe "$m" 2>/dev/null; done
# Memory devices probe asynchronously: wait for every endpoint and its nvdimm (pmemN).
n=0
while [ "$n" -lt 300 ]; do
  e=$(ls -d /sys/bus/cxl/devices/endpoint* 2>/dev/null | wc -l)
  p=$(ls -d /sys/bus/cxl/devices/pmem* 2>/dev/null | wc -l)
  [ "$e" -ge "$memdevs" ] && [ "$p" -ge "$memdevs" ] && break
  sleep 0.1; n=$((n + 1))
done
[ "$n" -ge 300 ] && echo "cxlsim: only $e of $memdevs CXL endpoints appeared" > /dev/ttyS0
if [ "$mode" = shell ]; then
  echo "cxlsim: guest shell; exit or Ctrl-D powers off"
  setsid cttyhack sh -l
else
  stty -F /dev/ttyS1 raw -echo 2>/dev/null
  {{
    echo "{begin}"
    sh /{cmd} 2>&1
    echo "{end}$?@@"
  }} > /dev/ttyS1
fi
sync
poweroff -f
)",
                     fmt::arg("version", kGuestProtocolVersion), fmt::arg("modules", kGuestModules),
                     fmt::arg("begin", kBeginMarker), fmt::arg("end", kEndMarker),
                     fmt::arg("cmd", kCommandPath));
}

std::string guest_kernel_cmdline(GuestMode mode, unsigned memdevs) {
  return fmt::format("console=ttyS0 panic=-1 quiet no_timer_check cxlsim.mode={} cxlsim.memdevs={}",
                     mode == GuestMode::shell ? "shell" : "run", memdevs);
}

std::string GuestStream::take() {
  std::string out;
  if (status_) {
    buffer_.clear();
    return out;
  }
  if (!began_) {
    auto pos = buffer_.find(kBeginMarker);
    if (pos == std::string::npos) {
      // Keep a tail that might be the start of the marker.
      if (buffer_.size() > kBeginMarker.size()) {
        buffer_.erase(0, buffer_.size() - kBeginMarker.size());
      }
      return out;
    }
    began_ = true;
    buffer_.erase(0, pos + kBeginMarker.size());
    if (!buffer_.empty() && buffer_.front() == '\r') buffer_.erase(0, 1);
    if (!buffer_.empty() && buffer_.front() == '\n') buffer_.erase(0, 1);
  }
  auto end = buffer_.find(kEndMarker);
  if (end != std::string::npos) {
    auto close = buffer_.find("@@", end + kEndMarker.size());
    if (close == std::string::npos) {
      out = buffer_.substr(0, end);
      buffer_.erase(0, end);
      return out;
    }
    int value = 0;
    const char* first = buffer_.data() + end + kEndMarker.size();
    auto [ptr, ec] = std::from_chars(first, buffer_.data() + close, value);
    status_ = (ec == std::errc() && ptr == buffer_.data() + close) ? value : 255;
    out = buffer_.substr(0, end);
    buffer_.clear();
    return out;
  }
  // Pass on everything except a tail that might begin the end marker.
  std::size_t keep = 0;
  for (std::size_t k = std::min(buffer_.size(), kEndMarker.size() - 1); k > 0; --k) {
    if (kEndMarker.starts_with(std::string_view(buffer_).substr(buffer_.size() - k))) {
      keep = k;
      break;
    }
  }
  out = buffer_.substr(0, buffer_.size() - keep);
  buffer_.erase(0, buffer_.size() - keep);
  return out;
}

}  // namespace cxlsim::vm
