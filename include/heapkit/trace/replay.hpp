// SPDX-License-Identifier: MIT
// heapkit::trace::replay: runs a trace on an offset allocator and measures what fragmentation
// cost: peak live units, peak footprint (the highest end any block reached), Johnstone and
// Wilson's measures #3 (footprint at the moment of peak live / peak live) and #4 (peak
// footprint / peak live), external fragmentation below the footprint at peak live, and
// allocations that failed. O(events x the allocator's cost), plus a second pass up to the peak.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

#include "heapkit/offset/error.hpp"
#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

struct replay_metrics {
    std::size_t operations = 0;             // events replayed
    std::size_t failed_allocations = 0;     // allocations (and resizes) that found no room
    Size peak_live = 0;                     // most units asked for and live at once
    Size peak_footprint = 0;                // highest end of any block
    Size footprint_at_peak_live = 0;        // highest end reached when live units first peaked
    double fragmentation_at_peak_live = 0;  // 1 - largest hole / free units, below that footprint
    double seconds = 0;                     // time of the first pass

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

// Replays events [0, stop) on `allocator`; calls at_step(step, live units, footprint) after each.
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
        if (block.live) metrics.peak_footprint = std::max(metrics.peak_footprint, block.address + block.size);
        if (live > metrics.peak_live) {
            metrics.peak_live = live;
            metrics.footprint_at_peak_live = metrics.peak_footprint;
        }
        at_step(step, live, metrics.peak_footprint);
        ++metrics.operations;
    }
    return metrics;
}

}  // namespace detail

// Replays `events` on allocators made by make() (twice: the second pass stops at the peak to
// look at the free space there).
template <class MakeAllocator>
replay_metrics replay(const trace& events, MakeAllocator make) {
    auto allocator = make();
    std::size_t peak_step = 0;
    Size peak = 0;
    const auto start = std::chrono::steady_clock::now();
    replay_metrics metrics = detail::run(events, allocator, events.events.size(), [&](std::size_t step, Size live, Size) {
        if (live > peak) {
            peak = live;
            peak_step = step + 1;
        }
    });
    metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto at_peak = make();
    detail::run(events, at_peak, peak_step, [](std::size_t, Size, Size) {});
    Size free_below = 0;
    Size largest_below = 0;
    for (const free_block block : at_peak.free_blocks()) {
        if (block.start >= metrics.footprint_at_peak_live) break;
        const Size below = std::min(block.size, metrics.footprint_at_peak_live - block.start);
        free_below += below;
        largest_below = std::max(largest_below, below);
    }
    if (free_below > 0)
        metrics.fragmentation_at_peak_live = 1.0 - static_cast<double>(largest_below) / static_cast<double>(free_below);
    return metrics;
}

}  // namespace heapkit::trace
