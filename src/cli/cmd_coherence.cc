// cxlsim coherence: CXL.cache and back-invalidation measurements on the timing model, and the
// exhaustive protocol check (docs/coherence.md).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/profile_options.h"
#include "coherence/explorer.h"
#include "frontend/coherence_scenarios.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

struct CoherenceOptions {
  std::string scenario;
  std::string topology = "builtin:type2-accel";
  std::string accel;
  ProfileOptions profiles;
  unsigned hosts = 2, accesses = 1024, window = 16, passes = 1;
  bool json = false, quiet = false;
};

int run_check(const CoherenceOptions& o) {
  nlohmann::json j = nlohmann::json::array();
  int status = 0;
  if (!o.json) {
    std::cout << fmt::format("{:<50} {:>10} {:>12} {:>8} {:>8}  {}\n", "System", "States",
                             "Transitions", "Final", "Seconds", "Result");
  }
  for (const coherence::NamedWorkload& c : coherence::check_systems()) {
    const coherence::ExploreResult r = coherence::explore(c.workload);
    const bool ok = !r.violation && r.complete;
    if (!ok) status = 1;
    nlohmann::json e = {{"system", c.name},
                        {"states", r.states},
                        {"transitions", r.transitions},
                        {"final_states", r.final_states},
                        {"seconds", r.seconds},
                        {"ok", ok}};
    if (r.violation) e["violation"] = {{"what", r.violation->what}, {"trace", r.violation->trace}};
    j.push_back(e);
    if (!o.json) {
      std::cout << fmt::format("{:<50} {:>10} {:>12} {:>8} {:>8.2f}  {}\n", c.name, r.states,
                               r.transitions, r.final_states, r.seconds,
                               ok            ? "ok"
                               : r.violation ? r.violation->what
                                             : "incomplete");
      if (r.violation) {
        for (const std::string& s : r.violation->trace) std::cout << "    " << s << "\n";
      }
    }
  }
  if (o.json) std::cout << j.dump(2) << "\n";
  return status;
}

int run(const CoherenceOptions& o) {
  if (o.scenario == "check") return run_check(o);
  const auto names = frontend::coherence_scenarios();
  if (std::find(names.begin(), names.end(), o.scenario) == names.end()) {
    return fail(
        fmt::format("unknown scenario '{}'; choose check, {}", o.scenario, fmt::join(names, ", ")));
  }
  auto loaded = o.profiles.load();
  frontend::CoherenceSetup s;
  s.host = loaded.host;
  s.local = loaded.local;
  s.topology = frontend::resolve_topology(o.topology);
  s.accel = o.accel;
  // The accelerator's (or the shared device's) profile; the others' do not enter the costs.
  const std::string id = !o.accel.empty()            ? o.accel
                         : !s.topology.type2.empty() ? s.topology.type2.front().id
                                                     : std::string();
  s.device =
      id.empty() ? loaded.device : o.profiles.single_device(loaded, s.topology, id, "coherence");
  if (!s.device.cxl) {
    return fail(
        fmt::format("--device '{}' is local DRAM; use a CXL device profile", s.device.name));
  }
  s.hosts = o.hosts;
  s.accesses = o.accesses;
  s.window = o.window;
  if (o.passes == 0 || o.passes > 1000) return fail("--passes must be 1..1000");
  s.passes = o.passes;
  const frontend::CoherenceReport r = frontend::run_coherence(o.scenario, s);
  if (o.json) {
    nlohmann::json j = {{"scenario", r.scenario},
                        {"path", r.path},
                        {"host", s.host.name},
                        {"device", s.device.name}};
    for (const auto& row : r.rows) {
      j["rows"].push_back({{"name", row.name},
                           {"latency_ns", row.latency_ns},
                           {"count", row.count},
                           {"messages_per_access", row.per_access_messages},
                           {"note", row.note}});
    }
    for (const auto& [k, v] : r.ratios) j["ratios"][k] = v;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("Coherence: {} ({}; host {}, device {})\n", r.scenario, r.path,
                           s.host.name, s.device.name);
  std::cout << fmt::format("{:<72} {:>10} {:>8} {:>9}\n", "Access", "Latency ns", "Count",
                           "Msgs/acc");
  std::cout << std::string(102, '=') << "\n";
  for (const auto& row : r.rows) {
    std::cout << fmt::format("{:<72} {:>10.1f} {:>8} {:>9.2f}{}\n", row.name, row.latency_ns,
                             row.count, row.per_access_messages,
                             row.note.empty() ? "" : "  (" + row.note + ")");
  }
  for (const auto& [k, v] : r.ratios) std::cout << fmt::format("{}: {:.3f}\n", k, v);
  return 0;
}

}  // namespace

void register_coherence(CLI::App& app) {
  auto o = std::make_shared<CoherenceOptions>();
  auto* cmd = app.add_subcommand(
      "coherence",
      "CXL.cache / back-invalidation coherence on the timing model, and its exhaustive check");
  cmd->add_option("scenario", o->scenario,
                  "check (exhaustive protocol check), d2h-read, hdm-host-bias, hdm-device-bias, "
                  "pingpong, shared-write, weather")
      ->required();
  cmd->add_option("--topology", o->topology,
                  "Topology with a Type 2 device (default builtin:type2-accel)");
  cmd->add_option("--accel", o->accel, "The Type 2 device (default: the topology's first)");
  o->profiles.add_to(*cmd);
  cmd->add_option("--hosts", o->hosts, "shared-write: hosts writing the line (default 2)");
  cmd->add_option("--accesses", o->accesses,
                  "Accesses (lines) per measurement, 1..16384 (default 1024)");
  cmd->add_option("--window", o->window,
                  "weather: accesses a requester keeps in flight (default 16)");
  cmd->add_option("--passes", o->passes,
                  "weather: passes of the compute phase over the data (default 1)");
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--quiet", o->quiet,
                "No progress output (there is none: runs take well under a second)");
  // Errors reach main(), which gives them their exit status (cli/exit_status.h).
  cmd->callback([o] { finish(run(*o)); });
}

}  // namespace cxlsim::cli
