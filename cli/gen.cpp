// SPDX-License-Identifier: MIT
// `heapkit gen WORKLOAD [--ops N] [--seed S] [-o FILE]`: a synthetic trace (trace/generate.hpp)
// on standard output or in FILE (gzip-compressed when FILE ends in .gz).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "failure.hpp"
#include "heapkit/trace/generate.hpp"
#include "heapkit/trace/trace.hpp"
#include "numbers.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct gen_options {
    std::string workload;
    std::size_t operations = 100000;
    std::uint64_t seed = 1;
    std::string output;  // empty: standard output
};

void run_gen(const gen_options& options) {
    const trace::workload kind = *trace::workload_from_name(options.workload);  // CLI11 admits only known names
    if (options.output.empty()) return trace::generate(kind, options.operations, options.seed, std::cout);
    std::ostringstream text;
    trace::generate(kind, options.operations, options.seed, text);
    save_output(options.output, text.str());
}

}  // namespace

void add_gen_command(CLI::App& app) {
    auto options = std::make_shared<gen_options>();
    CLI::App* gen = app.add_subcommand("gen", "Write a synthetic allocation trace");
    gen->add_option("workload", options->workload, "ramp, peaks, plateau, random, lifo or vm")
        ->required()
        ->check(CLI::IsMember(std::vector<std::string>(trace::workload_names.begin(), trace::workload_names.end())));
    add_number_option(gen, "--ops", options->operations, "About how many operations", 1, std::size_t{1} << 32);
    add_number_option(gen, "--seed", options->seed, "Seed; the same seed writes the same trace", 0);
    gen->add_option("-o,--output", options->output,
                    "File to write, gzip-compressed if it ends in .gz (default: standard output)");
    gen->callback([options] { run_gen(*options); });
}

}  // namespace heapkit::cli
