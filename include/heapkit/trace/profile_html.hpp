// SPDX-License-Identifier: MIT
// The profile report as one self-contained HTML page (no network: inline SVG, no script): the
// totals, live bytes over time with the peak marked, the top sites by bytes at the peak, by
// allocations and by leaked bytes (tables and icicle graphs of the stacks), temporary
// allocations, the fragmentation table of each policy the trace was replayed under (its terms
// explained on the page), and the memory map. And the page of a diff between two recordings.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "heapkit/trace/profile_summary.hpp"
#include "heapkit/trace/replay.hpp"

namespace heapkit::trace {

struct policy_result {
    std::string policy;
    replay_metrics metrics;
};

struct report_page {
    std::string title;
    const profile* recording = nullptr;
    const profile_summary* summary = nullptr;
    std::vector<policy_result> policies;
    std::string map_svg;  // an SVG document (memory_map_svg.hpp), drawn inline; empty: none
};

void write_profile_html(std::ostream& out, const report_page& page);

// A site whose live bytes grew between two moments (heapkit diff).
struct site_growth {
    std::string site;  // its frames as text, innermost first
    std::uint64_t before = 0;
    std::uint64_t after = 0;
};

// One recording's live bytes over time, drawn on the diff page.
struct named_timeline {
    std::string name;
    const profile_summary* summary = nullptr;
    bool timed = false;
};

struct diff_page {
    std::string title;
    std::string compared;                   // what was compared, in words
    std::vector<named_timeline> timelines;  // drawn on one chart
    std::vector<site_growth> grown;         // most growth first
};

// The diff as one self-contained page: what was compared, the recordings' live bytes over time,
// and the table of sites that grew.
void write_diff_html(std::ostream& out, const diff_page& page);

}  // namespace heapkit::trace
