// SPDX-License-Identifier: MIT
// The heapkit subcommands: each file adds one to the application.
#pragma once

namespace CLI {
class App;
}

namespace heapkit::cli {

void add_bench_command(CLI::App& app);    // bench.cpp: steady-state cost of the offset allocators
void add_convert_command(CLI::App& app);  // convert.cpp: logs to heapkit's trace format
void add_demo_command(CLI::App& app);     // demo.cpp: the seed's examples, step by step
void add_diff_command(CLI::App& app);     // diff.cpp: sites whose live bytes grew between two profiles
void add_gen_command(CLI::App& app);      // gen.cpp: synthetic traces
void add_map_command(CLI::App& app);      // map.cpp: SVG memory map of a replay
void add_report_command(CLI::App& app);   // report.cpp: a profile's sites, peak and leaks, text or HTML
void add_replay_command(CLI::App& app);   // replay.cpp: fragmentation of traces under each policy
void add_run_command(CLI::App& app);      // run.cpp: a program on heapkit's malloc
void add_shell_command(CLI::App& app);    // shell.cpp: the seed's API as a line protocol

}  // namespace heapkit::cli
