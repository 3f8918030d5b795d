// SPDX-License-Identifier: MIT
// The heapkit command: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "heapkit/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"heapkit: a toolkit for managing a contiguous resource", "heapkit"};
    app.set_version_flag("--version", heapkit::version);
    app.require_subcommand(1);
    heapkit::cli::add_bench_command(app);
    heapkit::cli::add_demo_command(app);
    heapkit::cli::add_gen_command(app);
    heapkit::cli::add_map_command(app);
    heapkit::cli::add_convert_command(app);
    heapkit::cli::add_run_command(app);
    heapkit::cli::add_replay_command(app);
    heapkit::cli::add_shell_command(app);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
