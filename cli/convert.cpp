// SPDX-License-Identifier: MIT
// `heapkit convert LOG -o FILE`: any trace replay reads (heapkit's format, an mtrace log, a
// valgrind --trace-malloc log; gzip or not) written in heapkit's format, compressed when FILE
// ends in .gz. This is how the real traces in traces/ were made.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct convert_options {
    std::string input;
    std::string output;
    std::string comment;
};

void run_convert(const convert_options& options) {
    const trace::trace events = load_trace(options.input, "convert");
    try {
        trace::write_trace_file(options.output, events,
                                options.comment.empty() ? "converted from " + options.input : options.comment);
    } catch (const trace::trace_error& error) {
        throw failure(error.what());
    }
    std::fprintf(stderr, "heapkit convert: %zu operation%s, at most %zu block%s live\n", events.events.size(),
                 events.events.size() == 1 ? "" : "s", events.slot_count, events.slot_count == 1 ? "" : "s");
}

}  // namespace

void add_convert_command(CLI::App& app) {
    auto options = std::make_shared<convert_options>();
    CLI::App* convert = app.add_subcommand("convert", "Rewrite an mtrace, valgrind or heapkit trace in heapkit's format");
    convert->add_option("log", options->input, "Trace or log to read")->required()->check(CLI::ExistingFile);
    convert->add_option("-o,--output", options->output, "File to write (gzip-compressed if it ends in .gz)")->required();
    convert->add_option("--comment", options->comment, "First line of the file, after #");
    convert->callback([options] { run_convert(*options); });
}

}  // namespace heapkit::cli
