#include "cli/back_invalidation_report.h"

#include <fmt/format.h>

namespace cxlsim::cli {

nlohmann::json back_invalidation_json(const timing::BackInvalidationStats& s) {
  return {{"requests", s.requests},
          {"bisnp_received", s.bisnp_received},
          {"bisnp_inv_received", s.bisnp_inv_received},
          {"birsp_sent", s.birsp_sent},
          {"writebacks", s.writebacks},
          {"bisnp_caused", s.bisnp_caused},
          {"bi_evictions", s.bi_evictions}};
}

std::string back_invalidation_line(const std::string& host,
                                   const timing::BackInvalidationStats& s) {
  return fmt::format(
      "{}: {} requests to shared memory; received {} BISnp ({} BISnpInv), answered {} BIRsp, "
      "{} write-backs; its requests caused {} BISnp and {} snoop filter evictions",
      host, s.requests, s.bisnp_received, s.bisnp_inv_received, s.birsp_sent, s.writebacks,
      s.bisnp_caused, s.bi_evictions);
}

}  // namespace cxlsim::cli
