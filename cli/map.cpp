// SPDX-License-Identifier: MIT
// `heapkit map TRACE [--policy P] -o FILE.svg`: replays a trace under one policy and draws the
// memory map (trace/memory_map_svg.hpp): address across, time down, the final state as a bar.
#include <CLI/CLI.hpp>

#include <fstream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "heapkit/trace/memory_map_svg.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct map_command_options {
    std::string trace;
    std::string policy = "first";
    std::string output;
    std::size_t columns = 1000;
    std::size_t rows = 400;
};

void run_map(const map_command_options& options) {
    const trace::trace events = load_trace(options.trace, "map");
    std::ofstream out(options.output);
    if (!out) throw CLI::ValidationError("-o", "cannot write " + options.output);
    trace::map_options drawing;
    drawing.columns = options.columns;
    drawing.rows = options.rows;
    const std::string title = "heapkit map: " + options.trace + " under " + options.policy;
    with_policy_allocator(options.policy, Size{1} << 63,
                          [&](auto make) { trace::draw_memory_map(out, events, make, drawing, title); });
    if (!out.flush()) throw CLI::ValidationError("-o", "cannot write " + options.output);
}

}  // namespace

void add_map_command(CLI::App& app) {
    auto options = std::make_shared<map_command_options>();
    CLI::App* map = app.add_subcommand("map", "Draw the memory map of a trace replayed under one policy, as SVG");
    map->add_option("trace", options->trace, "Trace file")->required()->check(CLI::ExistingFile);
    map->add_option("--policy", options->policy, policy_help())->check(CLI::IsMember(policy_names));
    map->add_option("-o,--output", options->output, "SVG file to write")->required();
    map->add_option("--columns", options->columns, "Pixels across (address slices)")->check(CLI::Range(10, 10000));
    map->add_option("--rows", options->rows, "Moments drawn, evenly spaced in the trace")->check(CLI::Range(1, 10000));
    map->callback([options] { run_map(*options); });
}

}  // namespace heapkit::cli
