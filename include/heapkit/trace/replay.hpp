// SPDX-License-Identifier: MIT
// heapkit::trace::replay: runs a trace on an offset allocator and measures what fragmentation
// cost: peak live units, peak footprint (the highest end any block reached), Johnstone and
// Wilson's measures #3 (footprint at the moment of peak live / peak live) and #4 (peak
// footprint / peak live), external fragmentation below the footprint at peak live, and
// allocations that failed; and, at moments asked for, the footprint and the largest hole below
// it. O(events x the allocator's cost), plus a second pass up to the peak unless it is known, and
// O(free blocks) a moment.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "heapkit/offset/error.hpp"
#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

// A policy's address range at one moment of a replay.
struct footprint_point {
    std::size_t event = 0;  // events [0, event) replayed
    Size footprint = 0;     // the highest end of a live block (the most since the moment before)
    Size largest_hole = 0;  // the largest run of free units below the footprint, at this moment
};

struct replay_metrics {
    std::size_t operations = 0;             // events replayed
    std::size_t failed_allocations = 0;     // allocations (and resizes) that found no room
    Size peak_live = 0;                     // most units asked for and live at once
    Size peak_footprint = 0;                // highest end of any block
    Size footprint_at_peak_live = 0;        // highest end reached when live units first peaked
    double fragmentation_at_peak_live = 0;  // 1 - largest hole / free units, below that footprint
    double seconds = 0;                     // time of the first pass
    std::vector<footprint_point> moments;   // one per moment asked of replay()

    double measure_3() const {
        return peak_live == 0 ? 0.0 : static_cast<double>(footprint_at_peak_live) / static_cast<double>(peak_live);
    }
    double measure_4() const {
        return peak_live == 0 ? 0.0 : static_cast<double>(peak_footprint) / static_cast<double>(peak_live);
    }
};

namespace detail {

struct placed_block {
    Offset address;
    Size size;
    bool live;  // false when its allocation failed: its free and resizes are skipped
};

// Replays events [0, stop) on `allocator`; calls at_step(step, live units, peak footprint, end of
// the block this event touched, or 0) after each.
template <class Allocator, class AtStep>
replay_metrics run(const trace& events, Allocator& allocator, std::size_t stop, AtStep at_step) {
    replay_metrics metrics;
    std::vector<placed_block> blocks(events.slot_count, placed_block{0, 0, false});
    Size live = 0;
    for (std::size_t step = 0; step < stop; ++step) {
        const event& next = events.events[step];
        placed_block& block = blocks[next.slot];
        if (next.op == operation::allocate) {
            const result<Offset> placed = allocator.try_allocate(next.size, next.alignment);
            block = {placed ? *placed : 0, next.size, static_cast<bool>(placed)};
            if (placed) live += next.size;
        } else if (next.op == operation::free) {
            if (block.live) {
                allocator.free(block.address, block.size);
                live -= block.size;
            }
            block.live = false;
        } else if (block.live) {
            const result<Offset> moved = allocator.try_reallocate(block.address, next.size);
            if (moved) {
                live = live - block.size + next.size;
                block = {*moved, next.size, true};
            } else {
                ++metrics.failed_allocations;
            }
        }
        if (next.op == operation::allocate && !block.live) ++metrics.failed_allocations;
        const Size end = block.live ? block.address + block.size : 0;  // a free leaves the block not live
        metrics.peak_footprint = std::max(metrics.peak_footprint, end);
        if (live > metrics.peak_live) {
            metrics.peak_live = live;
            metrics.footprint_at_peak_live = metrics.peak_footprint;
        }
        at_step(step, live, metrics.peak_footprint, end);
        ++metrics.operations;
    }
    return metrics;
}

// The footprint and largest hole of `allocator` now (adjacent free blocks taken as one run; the
// run that reaches the end of the range is the space above the footprint).
template <class Allocator>
footprint_point footprint_now(const Allocator& allocator, std::size_t event) {
    footprint_point point{event, allocator.capacity(), 0};
    Offset run_start = 0;
    Size run_size = 0;
    for (const free_block block : allocator.free_blocks()) {
        if (run_size != 0 && run_start + run_size == block.start) {
            run_size += block.size;
            continue;
        }
        point.largest_hole = std::max(point.largest_hole, run_size);
        run_start = block.start;
        run_size = block.size;
    }
    if (run_size != 0 && run_start + run_size == allocator.capacity()) {
        point.footprint = run_start;
    } else {
        point.largest_hole = std::max(point.largest_hole, run_size);
    }
    return point;
}

}  // namespace detail

namespace detail {

// 1 - largest hole / free units, counting only free units below `footprint`.
template <class Allocator>
double fragmentation_below(const Allocator& allocator, Size footprint) {
    Size free_below = 0;
    Size largest_below = 0;
    for (const free_block block : allocator.free_blocks()) {
        if (block.start >= footprint) break;
        const Size below = std::min(block.size, footprint - block.start);
        free_below += below;
        largest_below = std::max(largest_below, below);
    }
    return free_below == 0 ? 0.0 : 1.0 - static_cast<double>(largest_below) / static_cast<double>(free_below);
}

}  // namespace detail

// What replay() looks at besides its metrics.
struct replay_samples {
    std::vector<std::size_t> moments;  // footprints taken after these counts of events (increasing)
    std::size_t peak_step = 0;         // events done when live units first peak, if known: saves the second pass
};

// Replays `events` on allocators made by make(), and records the footprint at each of the
// moments asked for (those past the end are left out). The free space at the peak is looked at
// during the pass when `samples` names the peak rightly, else in a second pass that stops there.
template <class MakeAllocator>
replay_metrics replay(const trace& events, MakeAllocator make, const replay_samples& samples = {}) {
    auto allocator = make();
    std::size_t peak_step = 0;
    Size peak = 0;
    double fragmentation_at_expected_peak = 0;
    std::vector<footprint_point> footprints;
    auto next_moment = samples.moments.begin();
    for (; next_moment != samples.moments.end() && *next_moment == 0; ++next_moment)
        footprints.push_back(detail::footprint_now(allocator, 0));
    Size highest_since = 0;  // the highest footprint since the last moment: its own, or a block placed since
    const auto start = std::chrono::steady_clock::now();
    replay_metrics metrics =
        detail::run(events, allocator, events.events.size(), [&](std::size_t step, Size live, Size peak_footprint, Size end) {
            if (live > peak) {
                peak = live;
                peak_step = step + 1;
            }
            if (step + 1 == samples.peak_step)
                fragmentation_at_expected_peak = detail::fragmentation_below(allocator, peak_footprint);
            highest_since = std::max(highest_since, end);
            for (; next_moment != samples.moments.end() && *next_moment == step + 1; ++next_moment) {
                footprint_point now = detail::footprint_now(allocator, step + 1);
                const Size footprint_now = now.footprint;
                now.footprint = std::max(now.footprint, highest_since);
                highest_since = footprint_now;
                footprints.push_back(now);
            }
        });
    metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.moments = std::move(footprints);
    if (peak_step != 0 && peak_step == samples.peak_step) {
        metrics.fragmentation_at_peak_live = fragmentation_at_expected_peak;
        return metrics;
    }
    auto at_peak = make();
    detail::run(events, at_peak, peak_step, [](std::size_t, Size, Size, Size) {});
    metrics.fragmentation_at_peak_live = detail::fragmentation_below(at_peak, metrics.footprint_at_peak_live);
    return metrics;
}

}  // namespace heapkit::trace
