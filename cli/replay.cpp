// SPDX-License-Identifier: MIT
// `heapkit replay TRACE... [--policy P,...] [--capacity N] [--csv | --json]`: replays each trace
// under each policy (first, next, best, worst on the tree index; tlsf; buddy) and prints the
// fragmentation figures of trace/replay.hpp as a table, CSV or JSON.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "heapkit/trace/replay.hpp"
#include "numbers.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct replay_options {
    std::vector<std::string> traces;
    std::vector<std::string> policies = policy_names;
    Size capacity = 0;  // 0: unbounded (2^63 units)
    bool csv = false;
    bool json = false;
};

struct replay_row {
    std::string trace;
    std::string policy;
    trace::replay_metrics metrics;
};

trace::replay_metrics replay_with(const trace::trace& events, const std::string& policy, Size capacity) {
    return with_policy_allocator(policy, capacity, [&](auto make) { return trace::replay(events, make); });
}

// The failed column is shown with --capacity, and whenever an allocation failed.
void print_table(const std::vector<replay_row>& rows, bool bounded) {
    for (const replay_row& row : rows) bounded = bounded || row.metrics.failed_allocations > 0;
    int trace_width = 5;
    for (const replay_row& row : rows) trace_width = std::max(trace_width, static_cast<int>(row.trace.size()));
    std::printf("%-*s %-6s %14s %16s %8s %8s %8s %12s%s\n", trace_width, "trace", "policy", "peak live", "peak footprint",
                "JW #3", "JW #4", "frag", "ops/s", bounded ? "       failed" : "");
    for (const replay_row& row : rows) {
        const trace::replay_metrics& m = row.metrics;
        std::printf("%-*s %-6s %14llu %16llu %8.3f %8.3f %8.3f %12.0f", trace_width, row.trace.c_str(), row.policy.c_str(),
                    static_cast<unsigned long long>(m.peak_live), static_cast<unsigned long long>(m.peak_footprint),
                    m.measure_3(), m.measure_4(), m.fragmentation_at_peak_live,
                    m.seconds > 0 ? static_cast<double>(m.operations) / m.seconds : 0.0);
        if (bounded) std::printf(" %12zu", m.failed_allocations);
        std::printf("\n");
    }
}

// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

void print_csv(const std::vector<replay_row>& rows) {
    std::printf(
        "trace,policy,operations,peak_live,peak_footprint,footprint_at_peak_live,jw3,jw4,fragmentation_at_peak_live,"
        "failed_allocations,seconds\n");
    for (const replay_row& row : rows) {
        const trace::replay_metrics& m = row.metrics;
        std::printf("%s,%s,%zu,%llu,%llu,%llu,%.6f,%.6f,%.6f,%zu,%.6f\n", csv_field(row.trace).c_str(), row.policy.c_str(),
                    m.operations, static_cast<unsigned long long>(m.peak_live), static_cast<unsigned long long>(m.peak_footprint),
                    static_cast<unsigned long long>(m.footprint_at_peak_live), m.measure_3(), m.measure_4(),
                    m.fragmentation_at_peak_live, m.failed_allocations, m.seconds);
    }
}

std::string json_string(const std::string& text) {
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            quoted += escaped;
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

void print_json(const std::vector<replay_row>& rows) {
    std::printf("[\n");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const trace::replay_metrics& m = rows[i].metrics;
        std::printf(
            "  {\"trace\": %s, \"policy\": %s, \"operations\": %zu, \"peak_live\": %llu, \"peak_footprint\": %llu, "
            "\"footprint_at_peak_live\": %llu, \"jw3\": %.6f, \"jw4\": %.6f, \"fragmentation_at_peak_live\": %.6f, "
            "\"failed_allocations\": %zu, \"seconds\": %.6f}%s\n",
            json_string(rows[i].trace).c_str(), json_string(rows[i].policy).c_str(), m.operations,
            static_cast<unsigned long long>(m.peak_live), static_cast<unsigned long long>(m.peak_footprint),
            static_cast<unsigned long long>(m.footprint_at_peak_live), m.measure_3(), m.measure_4(), m.fragmentation_at_peak_live,
            m.failed_allocations, m.seconds, i + 1 < rows.size() ? "," : "");
    }
    std::printf("]\n");
}

void run_replay(const replay_options& options) {
    // "Unbounded" is 2^63 units: a power of two, so that the buddy system starts from one block at 0.
    const Size capacity = options.capacity == 0 ? Size{1} << 63 : options.capacity;
    const bool show_progress = isatty(STDERR_FILENO) != 0;
    std::vector<replay_row> rows;
    for (const std::string& path : options.traces) {
        const trace::trace events = load_trace(path, "replay");
        for (const std::string& policy : options.policies) {
            if (show_progress)
                std::fprintf(stderr, "\rreplaying %s (%zu operations) with %s...   ", path.c_str(), events.events.size(),
                             policy.c_str());
            rows.push_back({path, policy, replay_with(events, policy, capacity)});
        }
    }
    if (show_progress) std::fprintf(stderr, "\r%60s\r", "");
    if (options.json) {
        print_json(rows);
    } else if (options.csv) {
        print_csv(rows);
    } else {
        print_table(rows, options.capacity != 0);
    }
}

}  // namespace

void add_replay_command(CLI::App& app) {
    auto options = std::make_shared<replay_options>();
    CLI::App* replay = app.add_subcommand("replay", "Replay allocation traces under each policy and report fragmentation");
    replay->add_option("traces", options->traces, "Trace files (a ID SIZE [ALIGNMENT] / f ID / r ID SIZE)")
        ->required()
        ->check(CLI::ExistingFile);
    replay->add_option("--policy", options->policies, "Policies: " + policy_help())
        ->delimiter(',')
        ->check(CLI::IsMember(policy_names));
    add_number_option(replay, "--capacity", options->capacity, "Units available; failed allocations are counted", 1)
        ->default_str("unbounded");
    auto* csv = replay->add_flag("--csv", options->csv, "Print CSV");
    replay->add_flag("--json", options->json, "Print JSON")->excludes(csv);
    replay->callback([options] { run_replay(*options); });
}

}  // namespace heapkit::cli
