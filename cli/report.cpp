// SPDX-License-Identifier: MIT
// `heapkit report RECORDING [-o FILE.html] [--policy P,...] [--top N]`: reads a profile (heapkit's,
// or heaptrack's recording) or a trace, names its frames, and prints the totals, the peak and the
// top sites; with -o, writes the HTML page of trace/profile_html.hpp (the sites, live bytes over
// time, the fragmentation of each policy, the memory map).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "heapkit/trace/memory_map_svg.hpp"
#include "heapkit/trace/profile_html.hpp"
#include "numbers.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct report_options {
    std::string recording;
    std::string output;  // empty: text on standard output
    std::vector<std::string> policies = policy_names;
    std::size_t top = 10;
};

template <class Key>
void print_sites(const trace::profile& recording, const trace::profile_summary& summary, std::size_t top, const char* heading,
                 Key key) {
    const std::vector<trace::site_totals> sites = summary.top(key, top);
    if (sites.empty()) return;
    std::printf("top sites by %s:\n", heading);
    for (const trace::site_totals& site : sites) {
        std::printf("  %llu bytes at peak, %llu allocations, %llu temporary, %llu bytes leaked in %llu blocks: %s\n",
                    static_cast<unsigned long long>(site.live_at_peak), static_cast<unsigned long long>(site.allocations),
                    static_cast<unsigned long long>(site.temporary), static_cast<unsigned long long>(site.leaked_bytes),
                    static_cast<unsigned long long>(site.leaked_blocks), trace::site_text(recording, site.node).c_str());
    }
}

void print_text(const trace::profile& recording, const trace::profile_summary& summary, std::size_t top) {
    std::printf("%s%s%s: %llu allocations, %llu frees, %llu reallocs in %.3f s, %zu %s\n", recording.format.c_str(),
                recording.command.empty() ? "" : " of ", recording.command.c_str(),
                static_cast<unsigned long long>(summary.allocations), static_cast<unsigned long long>(summary.frees),
                static_cast<unsigned long long>(summary.resizes), recording.seconds(), recording.threads,
                recording.threads == 1 ? "thread" : "threads");
    std::printf(
        "peak live: %llu bytes after event %zu at %.3f s; at the end %llu bytes in %llu blocks live; %llu temporary "
        "allocations\n",
        static_cast<unsigned long long>(summary.peak_live), summary.peak_event, static_cast<double>(summary.peak_time_us) / 1e6,
        static_cast<unsigned long long>(summary.leaked_bytes), static_cast<unsigned long long>(summary.leaked_blocks),
        static_cast<unsigned long long>(summary.temporary));
    if (recording.sample_bytes != 0)
        std::printf("sampled: one allocation per %llu bytes allocated\n",
                    static_cast<unsigned long long>(recording.sample_bytes));
    print_sites(recording, summary, top, "bytes live at the peak", [](const trace::site_totals& s) { return s.live_at_peak; });
    print_sites(recording, summary, top, "allocations", [](const trace::site_totals& s) { return s.allocations; });
    print_sites(recording, summary, top, "bytes leaked", [](const trace::site_totals& s) { return s.leaked_bytes; });
}

void run_report(const report_options& options) {
    const trace::profile recording = load_profile(options.recording, "report");
    const trace::profile_summary summary = trace::summarize(recording);
    if (options.output.empty()) return print_text(recording, summary, options.top);
    const bool show_progress = isatty(STDERR_FILENO) != 0;
    trace::report_page page;
    page.title = "heapkit report: " + options.recording;
    page.recording = &recording;
    page.summary = &summary;
    for (const std::string& policy : options.policies) {
        if (show_progress) std::fprintf(stderr, "\rreplaying under %s...   ", policy.c_str());
        page.policies.push_back({policy, with_policy_allocator(policy, Size{1} << 63,
                                                               [&](auto make) { return trace::replay(recording.sizes, make); })});
    }
    if (show_progress) std::fprintf(stderr, "\rdrawing the memory map...   ");
    std::ostringstream svg;
    with_policy_allocator(options.policies.front(), Size{1} << 63, [&](auto make) {
        trace::draw_memory_map(svg, recording.sizes, make, trace::map_options{}, "memory map under " + options.policies.front());
    });
    page.map_svg = svg.str();
    if (show_progress) std::fprintf(stderr, "\r%40s\r", "");
    std::ostringstream html;
    trace::write_profile_html(html, page);
    try {
        trace::write_text_file(options.output, html.str());
    } catch (const trace::trace_error& error) {
        throw failure(error.what());
    }
}

}  // namespace

void add_report_command(CLI::App& app) {
    auto options = std::make_shared<report_options>();
    CLI::App* report = app.add_subcommand(
        "report", "Summarize a profile (heapkit run --profile, or heaptrack's recording): peak, top sites, leaks; -o for HTML");
    report->add_option("recording", options->recording, "Profile, heaptrack recording (.zst, .gz) or trace")
        ->required()
        ->check(CLI::ExistingFile);
    report->add_option("-o,--output", options->output, "Write the report as one HTML page to FILE.html")
        ->check(file_name_ending({".html", ".htm"}, "the report is HTML"));
    report->add_option("--policy", options->policies, "Policies the page replays the recording under: " + policy_help())
        ->delimiter(',')
        ->check(CLI::IsMember(policy_names));
    add_number_option(report, "--top", options->top, "Sites listed per table", 1, 1000);
    report->callback([options] { run_report(*options); });
}

}  // namespace heapkit::cli
