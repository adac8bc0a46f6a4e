// How mlc --hosts and replay --host-trace report a host's back-invalidation traffic on shared
// HDM-DB memory (timing/dcoh.h): one JSON object and one human line, defined once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "timing/dcoh.h"

namespace cxlsim::cli {

// {"requests", "bisnp_received", "bisnp_inv_received", "birsp_sent", "writebacks",
//  "bisnp_caused", "bi_evictions"}
nlohmann::json back_invalidation_json(const timing::BackInvalidationStats& s);
// "h0: 120 requests to shared memory; received 40 BISnp (32 BISnpInv), ..."
std::string back_invalidation_line(const std::string& host, const timing::BackInvalidationStats& s);

}  // namespace cxlsim::cli
