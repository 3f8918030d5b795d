// SPDX-License-Identifier: MIT
// `heapkit map TRACE [--policy P] [--spacing time|operations] -o FILE.svg`: replays a trace (or a
// profile's sizes) under one policy and draws the memory map (trace/memory_map_svg.hpp): address
// across, time down (a profile's rows evenly spaced in time unless asked otherwise), the final
// state as a bar.
#include <CLI/CLI.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "heapkit/trace/memory_map_svg.hpp"
#include "numbers.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct map_command_options {
    std::string trace;
    std::string policy = "first";
    std::string output;
    std::size_t columns = 1000;
    std::size_t rows = 400;
    std::string spacing = "time";
    Size capacity = Size{1} << 63;  // unbounded, as replay's default
};

void run_map(const map_command_options& options) {
    const trace::profile recording = load_profile(options.trace, "map", frame_names::unnamed);
    trace::map_options drawing;
    drawing.columns = options.columns;
    drawing.rows = options.rows;
    drawing.units_are_bytes = recording.format != "trace";
    const std::vector<std::uint64_t> times_us =
        options.spacing == "time" ? recording.event_times_us() : std::vector<std::uint64_t>{};
    const std::string title = "heapkit map: " + options.trace + " under " + options.policy;
    std::ostringstream svg;
    with_policy_allocator(options.policy, options.capacity,
                          [&](auto make) { trace::draw_memory_map(svg, recording.sizes, make, drawing, title, times_us); });
    save_output(options.output, svg.str());
}

}  // namespace

void add_map_command(CLI::App& app) {
    auto options = std::make_shared<map_command_options>();
    CLI::App* map = app.add_subcommand("map", "Draw the memory map of a trace replayed under one policy, as SVG");
    map->add_option("trace", options->trace, "Trace file")->required()->check(CLI::ExistingFile);
    map->add_option("--policy", options->policy, policy_help())->check(CLI::IsMember(policy_names));
    map->add_option("-o,--output", options->output, "SVG file to write (gzip-compressed if it ends in .gz)")
        ->required()
        ->check(file_name_ending({".svg"}, "the map is SVG"));
    add_number_option(map, "--columns", options->columns, "Pixels across (address slices)", 10, 10000);
    add_number_option(map, "--rows", options->rows, "Moments drawn, evenly spaced in the trace", 1, 10000);
    map->add_option("--spacing", options->spacing,
                    "Rows evenly spaced in time (a profile's; a trace has no times) or in operations")
        ->check(CLI::IsMember({"time", "operations"}))
        ->capture_default_str();
    add_number_option(map, "--capacity", options->capacity, "Units available; allocations that find no room are left out", 1)
        ->default_str("unbounded");
    map->callback([options] { run_map(*options); });
}

}  // namespace heapkit::cli
