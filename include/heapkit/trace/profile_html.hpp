// SPDX-License-Identifier: MIT
// The profile report as one self-contained HTML page (no network: inline SVG, no script): the
// totals, live bytes over time with the peak marked, the top sites by bytes at the peak, by
// allocations and by leaked bytes (tables and icicle graphs of the stacks), temporary
// allocations, the fragmentation table of each policy the trace was replayed under (its terms
// explained on the page), and the memory map.
#pragma once

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

}  // namespace heapkit::trace
