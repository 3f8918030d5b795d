// SPDX-License-Identifier: MIT
// `heapkit shell --capacity N [--fit F] [--index I]`: the seed's API as a line protocol (docs/PROTOCOL.md).
// Reads commands from standard input and prints exactly one line for each.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "choices.hpp"
#include "commands.hpp"
#include "heapkit/offset/index_registry.hpp"
#include "numbers.hpp"
#include "shell_session.hpp"

namespace heapkit::cli {
namespace {

struct shell_options {
    Size capacity = 0;  // required: 1 .. 2^64 - 1
    std::string fit = "first";
    std::string index = "list";
};

// Flushes after every line, so that a program can hold a conversation over pipes.
template <class Allocator>
void serve(Size capacity, Fit fit) {
    shell_session<Allocator> session(capacity, fit);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (const std::optional<std::string> reply = session.execute(line)) std::cout << *reply << std::endl;
    }
}

void run_shell(const shell_options& options) {
    const Fit fit = *fit_from_name(options.fit);  // CLI11 admits only the names of all_fits
    if (!index_accepts_fit(options.index, fit)) {
        throw CLI::ValidationError(
            "--fit", "applies to --index " + fit_index_names_text() + "; " + options.index + " places by its own rule");
    }
    with_index_named(options.index, [&](auto allocator) { serve<typename decltype(allocator)::type>(options.capacity, fit); });
}

}  // namespace

void add_shell_command(CLI::App& app) {
    auto options = std::make_shared<shell_options>();
    CLI::App* shell = app.add_subcommand("shell", "Run the seed's allocator API as a line protocol on standard input");
    add_number_option(shell, "--capacity", options->capacity, "Units to manage", 1)->required();
    shell->add_option("--fit", options->fit, "Placement policy (list and tree)")
        ->check(CLI::IsMember(fit_choices()))
        ->capture_default_str();
    shell->add_option("--index", options->index, "Free-space index: " + index_help())
        ->check(CLI::IsMember(index_choices()))
        ->capture_default_str();
    shell->callback([options] { run_shell(*options); });
}

}  // namespace heapkit::cli
