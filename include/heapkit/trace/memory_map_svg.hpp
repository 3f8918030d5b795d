// SPDX-License-Identifier: MIT
// The defragmenter's picture of a replay, as SVG: address across, time down, each row the live
// share of every column of addresses (aggregated, so a million-operation trace draws in a few
// thousand rectangles), and the final state as one bar of exact blocks. memory_map_canvas does
// the drawing (O(live blocks + columns) per row, or O(columns) from a column_coverage);
// draw_memory_map replays a trace into it (two replays: one to find the peak footprint, one to
// sample rows).
#pragma once

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/units.hpp"
#include "heapkit/trace/replay.hpp"

namespace heapkit::trace {

struct map_options {
    std::size_t columns = 1000;              // pixels across: the address range in equal slices
    std::size_t rows = 400;                  // moments sampled, evenly spaced by operation count
    std::size_t row_pixels = 1;              // height of one row
    std::size_t exact_final_blocks = 20000;  // above this, the final bar is aggregated too
};

struct live_range {
    Offset start;
    Size size;
};

// Runs of columns of one shade: 1..4, the live share of its columns in quarters (0 is not drawn).
struct shade_run {
    std::size_t first_column;
    std::size_t columns;
    unsigned shade;
};

// The live units of each column of [0, extent), kept as blocks come and go: O(1) a change,
// O(columns) to read the runs.
class column_coverage {
public:
    column_coverage(Size extent, std::size_t columns);
    void add(Offset start, Size size) { change(start, size, 1.0); }
    void remove(Offset start, Size size) { change(start, size, -1.0); }
    std::vector<shade_run> runs() const;

private:
    void change(Offset start, Size size, double sign);
    std::size_t columns_;
    double width_;
    std::vector<double> covered_;    // units of a column live in blocks that start or end inside it
    std::vector<double> full_from_;  // a difference array of the columns wholly live
};

class memory_map_canvas {
public:
    // A picture of addresses [0, extent) (extent > 0).
    memory_map_canvas(Size extent, const map_options& options);

    // Adds the next row from the live blocks at that moment (any order), or from their coverage.
    void add_row(const std::vector<live_range>& live);
    void add_row(const column_coverage& coverage);
    // Sets the final bar from the live blocks at the end (address order).
    void set_final(const std::vector<live_range>& live);
    // Writes the SVG document; `title` and `caption` are escaped.
    void write_svg(std::ostream& out, const std::string& title, const std::string& caption) const;

    std::size_t row_count() const noexcept { return rows_.size(); }

private:
    std::vector<shade_run> shade_runs(const std::vector<live_range>& live) const;

    Size extent_;
    map_options options_;
    std::vector<std::vector<shade_run>> rows_;
    std::vector<live_range> final_blocks_;  // exact, when few enough
    std::vector<shade_run> final_runs_;     // aggregated otherwise
};

namespace detail {

// An allocator that keeps a column_coverage of its live blocks as run() places and frees them.
template <class Allocator>
struct covering_allocator {
    Allocator inner;
    column_coverage& coverage;
    std::unordered_map<Offset, Size> sizes;  // live block -> its size, for a resize

    result<Offset> try_allocate(Size size, Size alignment) {
        const result<Offset> placed = inner.try_allocate(size, alignment);
        if (placed) {
            coverage.add(*placed, size);
            sizes[*placed] = size;
        }
        return placed;
    }
    void free(Offset address, Size size) {
        inner.free(address, size);
        coverage.remove(address, size);
        sizes.erase(address);
    }
    result<Offset> try_reallocate(Offset address, Size size) {
        const result<Offset> moved = inner.try_reallocate(address, size);
        if (moved) {
            coverage.remove(address, sizes[address]);
            sizes.erase(address);
            coverage.add(*moved, size);
            sizes[*moved] = size;
        }
        return moved;
    }
};

}  // namespace detail

// Replays `events` on allocators from make() and draws it on `out` (the rows from a coverage kept
// as the replay goes: O(1) an event, O(columns) a row).
template <class MakeAllocator>
void draw_memory_map(std::ostream& out, const trace& events, MakeAllocator make, const map_options& options,
                     const std::string& title) {
    const std::size_t operations = events.events.size();
    auto sizing = make();
    const replay_metrics metrics = detail::run(events, sizing, operations, [](std::size_t, Size, Size) {});
    memory_map_canvas canvas(std::max<Size>(metrics.peak_footprint, 1), options);
    const auto live_now = [](const auto& allocator) {
        std::vector<live_range> live;
        allocator.for_each_block([&](block_state state, Offset start, Size size) {
            if (state == block_state::allocated) live.push_back({start, size});
        });
        return live;
    };
    column_coverage coverage(std::max<Size>(metrics.peak_footprint, 1), options.columns);
    detail::covering_allocator<decltype(make())> drawing{make(), coverage, {}};
    const std::size_t rows = std::min(options.rows, operations);
    detail::run(events, drawing, operations, [&](std::size_t step, Size, Size) {
        if (rows != 0 && (step + 1) * rows / operations != step * rows / operations) canvas.add_row(coverage);
    });
    canvas.set_final(live_now(drawing.inner));
    canvas.write_svg(out, title,
                     std::to_string(operations) + " operations, peak live " + std::to_string(metrics.peak_live) +
                         " units, peak footprint " + std::to_string(metrics.peak_footprint) + " units (JW #4 " +
                         std::to_string(metrics.measure_4()).substr(0, 5) + ")");
}

}  // namespace heapkit::trace
