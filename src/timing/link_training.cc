#include "timing/link_training.h"

#include <fmt/format.h>

namespace cxlsim::timing {

LinkConfig trained_link_config(const LinkConfig& profile, const LinkCaps& trained) {
  LinkConfig c = profile;
  if (trained.width) c.lanes = *trained.width;
  if (trained.speed) {
    c.gt_per_s = gt_per_s(*trained.speed);
    c.encoding = encoding_efficiency(*trained.speed);
    if (*trained.speed == LinkSpeed::k64GT) c.flit.mode = FlitMode::k256B;
  }
  return c;
}

std::string link_width_speed(const LinkConfig& cfg) {
  if (auto s = link_speed_of(cfg.gt_per_s)) {
    return fmt::format("x{} {}", cfg.lanes, format_link_speed(*s));
  }
  return fmt::format("x{} {}GT/s", cfg.lanes, cfg.gt_per_s);
}

}  // namespace cxlsim::timing
