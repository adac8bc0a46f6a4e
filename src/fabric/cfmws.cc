#include "fabric/cfmws.h"

#include "spec/interleave.h"

namespace cxlsim {

unsigned Cfmws::position(Hpa hpa) const {
  return interleave_target((hpa - base_).value(), ways(), granularity());
}

}  // namespace cxlsim
