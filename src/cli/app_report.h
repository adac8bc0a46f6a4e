// The report of a prediction on `cxlsim run`'s front end (docs/app_mode.md#report), shared by
// `cxlsim run` (a program) and `cxlsim replay` (a trace): predicted and all-DRAM baseline time,
// slowdown, instructions, accesses, LLC, pages, load latency, threads, memory and epochs, as text
// and as JSON. Each command adds its own keys (exit status, trace records, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "frontend/app_model.h"

namespace cxlsim::cli {

struct AppReport {
  const frontend::AppResult& predicted;
  const frontend::AppResult& baseline;

  [[nodiscard]] uint64_t instructions() const;
  [[nodiscard]] uint64_t accesses() const;
  [[nodiscard]] double slowdown() const;
  // predicted_ns, baseline_ns, slowdown, instructions, memory_accesses, llc_*, pages,
  // latency_ns, prefetches, threads, dram, memdevs, epoch_us, epochs.
  [[nodiscard]] nlohmann::json json() const;
  // From the "Predicted ..." line on: times, LLC, pages, latency, threads and memory tables.
  [[nodiscard]] std::string text() const;
  // A PNG of bandwidth per memdev and DRAM over simulated time (gnuplot).
  void plot(const std::string& png, const std::string& title) const;

 private:
  [[nodiscard]] const frontend::AppThreadResult* baseline_of(uint32_t thread) const;
  [[nodiscard]] double gbps(size_t epoch, size_t target) const;
};

}  // namespace cxlsim::cli
