// SPDX-License-Identifier: MIT
// `heapkit report RECORDING [-o FILE.html] [--policy P,...] [--top N]`: reads a profile (heapkit's,
// or heaptrack's recording) or a trace, names its frames, and prints the totals, the peak and the
// top sites; with -o, writes the HTML page of trace/profile_html.hpp (the sites, live bytes over
// time, the fragmentation of each policy, the memory map).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
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

// The memory map of the recording's sizes under `policy`, its rows spaced in time, as SVG.
std::string memory_map_of(const trace::profile& recording, const std::string& policy) {
    std::ostringstream svg;
    trace::map_options drawing;
    drawing.units_are_bytes = recording.format != "trace";
    with_policy_allocator(policy, Size{1} << 63, [&](auto make) {
        trace::draw_memory_map(svg, recording.sizes, make, drawing, "memory map under " + policy, recording.event_times_us());
    });
    return svg.str();
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
    trace::replay_samples samples;  // the footprints at the summary's points in time; its peak saves a pass
    for (const trace::live_point& point : summary.timeline) samples.moments.push_back(point.event);
    samples.peak_step = summary.peak_event;
    // The policies' replays and the map drawn side by side, one worker a core; a worker's failure
    // is thrown once all have stopped.
    page.policies.resize(options.policies.size());
    const std::size_t tasks = options.policies.size() + 1;  // the last draws the map
    std::atomic<std::size_t> next_task{0};
    std::mutex lock;
    std::size_t done = 0;
    std::exception_ptr failed;
    const auto work = [&] {
        for (std::size_t task; (task = next_task++) < tasks;) {
            try {
                if (task < options.policies.size()) {
                    const std::string& policy = options.policies[task];
                    page.policies[task] = {policy, with_policy_allocator(policy, Size{1} << 63, [&](auto make) {
                                               return trace::replay(recording.sizes, make, samples);
                                           })};
                } else {
                    page.map_svg = memory_map_of(recording, options.policies.front());
                }
            } catch (...) {
                const std::lock_guard<std::mutex> hold(lock);
                failed = std::current_exception();
            }
            const std::lock_guard<std::mutex> hold(lock);
            if (show_progress)
                std::fprintf(stderr, "\rheapkit report: %zu of %zu parts drawn (a replay per policy, and the map)...", ++done,
                             tasks);
        }
    };
    std::vector<std::thread> workers(std::min<std::size_t>(tasks, std::max(1u, std::thread::hardware_concurrency())) - 1);
    for (std::thread& worker : workers) worker = std::thread(work);
    work();
    for (std::thread& worker : workers) worker.join();
    if (failed) std::rethrow_exception(failed);
    if (show_progress) std::fprintf(stderr, "\r%80s\r", "");
    std::ostringstream html;
    trace::write_profile_html(html, page);
    save_output(options.output, html.str());
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
