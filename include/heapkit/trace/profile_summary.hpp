// SPDX-License-Identifier: MIT
// What a profile says about a program's heap: totals, the peak, live bytes over time, and per
// allocation site (a site is a whole call stack) the bytes it held at the peak, its own peak,
// its allocations, its temporary allocations and what it leaked. Two passes over the events
// (the second stops at the peak); O(events + sites).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heapkit/trace/profile.hpp"

namespace heapkit::trace {

struct site_totals {
    std::uint32_t node = 0;             // the site's stack node (0: events recorded without a stack)
    std::uint64_t allocations = 0;      // allocations and reallocs made here
    std::uint64_t bytes_allocated = 0;  // their sizes summed
    std::uint64_t live_at_peak = 0;     // bytes live at the program's peak
    std::uint64_t own_peak = 0;         // the most bytes live at once from here
    std::uint64_t temporary = 0;        // allocations freed before any other allocation was made
    std::uint64_t leaked_bytes = 0;     // live at the end of the recording
    std::uint64_t leaked_blocks = 0;
};

// Live bytes at one moment of the recording.
struct live_point {
    std::size_t event;  // events [0, event) have happened
    std::uint64_t time_us;
    std::uint64_t live;  // the most live bytes reached in the interval this point closes
};

struct profile_summary {
    std::uint64_t allocations = 0;
    std::uint64_t frees = 0;
    std::uint64_t resizes = 0;
    std::uint64_t temporary = 0;
    std::uint64_t peak_live = 0;
    std::size_t peak_event = 0;  // events [0, peak_event) make the peak
    std::uint64_t peak_time_us = 0;
    std::uint64_t leaked_bytes = 0;
    std::uint64_t leaked_blocks = 0;
    std::vector<site_totals> sites;  // every site that allocated, in no particular order
    std::vector<live_point> timeline;

    // The sites ordered by `key` (most first), at most `count` of them.
    template <class Key>
    std::vector<site_totals> top(Key key, std::size_t count) const;
};

// Summarizes `recording`; the timeline has at most `points` points, evenly spaced in time (in
// events when the recording has no times).
profile_summary summarize(const profile& recording, std::size_t points = 400);

// Live bytes of each site at `time_us` (events up to and including that time), by node.
std::vector<std::uint64_t> live_by_site_at(const profile& recording, std::uint64_t time_us);

// A site's stack as text: its innermost `depth` frames, innermost first, joined by " < ".
std::string site_text(const profile& recording, std::uint32_t node, std::size_t depth = 3);

template <class Key>
std::vector<site_totals> profile_summary::top(Key key, std::size_t count) const {
    std::vector<site_totals> ordered;
    for (const site_totals& site : sites)
        if (key(site) > 0) ordered.push_back(site);
    std::stable_sort(ordered.begin(), ordered.end(), [&](const site_totals& a, const site_totals& b) { return key(a) > key(b); });
    if (ordered.size() > count) ordered.resize(count);
    return ordered;
}

}  // namespace heapkit::trace
