// SPDX-License-Identifier: MIT
// `heapkit diff A B` / `heapkit diff A --at T1 --at T2` [--html FILE.html]: the sites whose live
// bytes grew, between the ends of two recordings or two moments of one (heaptrack --diff's and
// jeprof --base's use), as text and, with --html, as a page with both recordings' live bytes.
// Sites are matched by their frames as text (names where known, else module+offset), so two runs
// of one program compare even when its modules load elsewhere.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "heapkit/trace/page_text.hpp"
#include "heapkit/trace/profile_html.hpp"
#include "heapkit/trace/profile_summary.hpp"
#include "trace_commands.hpp"

namespace heapkit::cli {
namespace {

struct diff_options {
    std::vector<std::string> recordings;
    std::vector<double> at;  // seconds; two of them with one recording
    std::size_t top = 20;
    std::string html;  // empty: text only
};

// Live bytes by site text at `time_us` (the end when it is past the last event).
std::map<std::string, std::uint64_t> live_sites(const trace::profile& recording, std::uint64_t time_us) {
    const std::vector<std::uint64_t> live = trace::live_by_site_at(recording, time_us);
    std::map<std::string, std::uint64_t> by_text;
    for (std::uint32_t node = 0; node < live.size(); ++node)
        if (live[node] != 0) by_text[trace::site_text(recording, node, 8)] += live[node];
    return by_text;
}

void run_diff(const diff_options& options) {
    if (options.recordings.size() == 1 && options.at.size() != 2)
        throw failure("with one recording, give two moments: --at T1 --at T2 (seconds)");
    if (options.recordings.size() == 2 && !options.at.empty()) throw failure("--at compares two moments of one recording");
    const auto microseconds = [](double seconds) { return static_cast<std::uint64_t>(seconds * 1e6); };
    std::map<std::string, std::uint64_t> before, after;
    const trace::profile first = load_profile(options.recordings[0], "diff");
    trace::profile second;
    trace::diff_page page;
    if (options.recordings.size() == 2) {
        second = load_profile(options.recordings[1], "diff");
        before = live_sites(first, UINT64_MAX);
        after = live_sites(second, UINT64_MAX);
        page.compared =
            "Live bytes at the end of " + options.recordings[0] + " (before) and of " + options.recordings[1] + " (after)";
    } else {
        before = live_sites(first, microseconds(options.at[0]));
        after = live_sites(first, microseconds(options.at[1]));
        page.compared = "Live bytes of " + options.recordings[0] + " at " + trace::seconds_text(microseconds(options.at[0])) +
                        " (before) and at " + trace::seconds_text(microseconds(options.at[1])) + " (after)";
    }
    using growth = trace::site_growth;
    std::vector<growth> grown;
    for (const auto& [site, bytes] : after) {
        const auto found = before.find(site);
        const std::uint64_t earlier = found == before.end() ? 0 : found->second;
        if (bytes > earlier) grown.push_back({site, earlier, bytes});
    }
    std::stable_sort(grown.begin(), grown.end(),
                     [](const growth& a, const growth& b) { return a.after - a.before > b.after - b.before; });
    if (grown.size() > options.top) grown.resize(options.top);
    std::printf("%zu %s whose live bytes grew:\n", grown.size(), grown.size() == 1 ? "site" : "sites");
    for (const growth& row : grown)
        std::printf("  +%llu bytes (%llu -> %llu): %s\n", static_cast<unsigned long long>(row.after - row.before),
                    static_cast<unsigned long long>(row.before), static_cast<unsigned long long>(row.after), row.site.c_str());
    if (options.html.empty()) return;
    page.title =
        "heapkit diff: " + options.recordings[0] + (options.recordings.size() == 2 ? " -> " + options.recordings[1] : "");
    page.grown = std::move(grown);
    const trace::profile_summary first_summary = trace::summarize(first);
    page.timelines.push_back({options.recordings[0], &first_summary, first.seconds() > 0});
    trace::profile_summary second_summary;
    if (options.recordings.size() == 2) {
        second_summary = trace::summarize(second);
        page.timelines.push_back({options.recordings[1], &second_summary, second.seconds() > 0});
    }
    std::ostringstream html;
    trace::write_diff_html(html, page);
    save_output(options.html, html.str());
}

}  // namespace

void add_diff_command(CLI::App& app) {
    auto options = std::make_shared<diff_options>();
    CLI::App* diff = app.add_subcommand("diff", "Sites whose live bytes grew between two recordings, or two moments of one");
    diff->add_option("recordings", options->recordings, "Profile A and profile B, or one profile with --at T1 --at T2")
        ->required()
        ->expected(1, 2)
        ->check(CLI::ExistingFile);
    diff->add_option("--at", options->at, "A moment of the recording, in seconds from its start (twice)")
        ->check(CLI::NonNegativeNumber);
    diff->add_option("--top", options->top, "Sites listed")->check(CLI::Range(1, 1000));
    diff->add_option("--html", options->html, "Also write the diff as one HTML page to FILE.html")
        ->check(file_name_ending({".html", ".htm"}, "the diff page is HTML"));
    diff->callback([options] { run_diff(*options); });
}

}  // namespace heapkit::cli
