// What `cxlsim list|decode|map` share: loading a topology into a live fabric, region requests
// from --region SPEC, and creating them the way Linux 6.1 would.
//
// SPEC (version 1):
// window=N,ways=W,granularity=G[,targets=ID:ID:...][,size=S][,mode=pmem|ram|dc]
// with G and S as sizes ("256", "4K", "1G"), N a window as resolve_window names it (index,
// decoder0.N or its id) and IDs memdevs as resolve_memdev names them (topology id or memN), in
// position order (fabric/linux_names.h). Omitted targets: the order `cxl create-region` would
// pick.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "fabric/fabric.h"
#include "fabric/region.h"

namespace cxlsim::cli {

// Throws ParseError naming the offending key, ValidationError for a window `t` does not have.
RegionRequest parse_region_spec(const std::string& spec, const Topology& t);
std::vector<RegionRequest> parse_region_specs(const std::vector<std::string>& specs,
                                              const Topology& t);

// A fabric with regions created in order. Region rejections are reported through
// `rejected` (Linux's reason) rather than thrown, so commands can exit 1 for them.
struct Session {
  std::unique_ptr<Fabric> fabric;
  std::unique_ptr<RegionManager> regions;
  std::string rejected;  // non-empty: the first region Linux would refuse, and why
};

// Loads and validates `topology` (load_valid_topology), then creates the regions of
// `region_specs` (parse_region_spec) in order. Memdevs without a persistent backing
// path are backed by "<backing_dir>/<id>-pmem.raw" when `backing_dir` is not empty (the files
// `cxlsim vm run --backing-dir` gives QEMU).
Session open_session(const std::string& topology, const std::vector<std::string>& region_specs,
                     const std::string& backing_dir = "", const FabricOptions& options = {});

// Adds --hdm-decoders N (decoders per port and per memdev) and --state-dir DIR (where the
// memdevs' command state is kept: poison, partition, DC extents) to `cmd`, writing `options`.
void add_fabric_options(CLI::App* cmd, FabricOptions& options);

}  // namespace cxlsim::cli
