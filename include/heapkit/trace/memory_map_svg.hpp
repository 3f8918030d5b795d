// SPDX-License-Identifier: MIT
// The defragmenter's picture of a replay, as SVG: address across, time down, each row the live
// share of every column of addresses (aggregated, so a million-operation trace draws in a few
// thousand rectangles), and the final state as one bar of exact blocks; axes in time (or
// operations) and addresses, a legend of the shades, the row of peak live marked, and a hover
// title on every row. memory_map_canvas does the drawing (O(live blocks + columns) per row, or
// O(columns) from a column_coverage); draw_memory_map replays a trace into it (two replays: one
// to find the peak footprint, one to sample rows).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/units.hpp"
#include "heapkit/trace/page_text.hpp"
#include "heapkit/trace/replay.hpp"

namespace heapkit::trace {

// An amount of the resource as the map writes it: bytes_text for bytes, else "N units" (or just
// "N" without `with_unit`, as on the address axis's inner ticks).
std::string quantity_text(std::uint64_t units, bool units_are_bytes, bool with_unit = true);

struct map_options {
    std::size_t columns = 1000;              // pixels across: the address range in equal slices
    std::size_t rows = 400;                  // moments sampled, evenly spaced in time (or operations)
    std::size_t row_pixels = 1;              // height of one row
    std::size_t exact_final_blocks = 20000;  // above this, the final bar is aggregated too
    bool units_are_bytes = false;            // address labels in bytes (a profile's), else in units
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

// A label on the time axis: the row it stands beside and its text.
struct row_label {
    std::size_t row;
    std::string text;
};

// What is written around the rows: the title, a caption, the time axis and the peak.
struct map_labels {
    std::string title;
    std::string caption;
    std::string time_axis = "operations";  // what the rows are spaced by
    std::vector<row_label> ticks;          // on the time axis
    std::optional<row_label> peak;         // the row where live units first peaked
};

class memory_map_canvas {
public:
    // A picture of addresses [0, extent) (extent > 0).
    memory_map_canvas(Size extent, const map_options& options);

    // Adds the next row from the live blocks at that moment (any order), or from their coverage;
    // `hover` is its title (what the moment was).
    void add_row(const std::vector<live_range>& live, std::string hover = {});
    void add_row(const column_coverage& coverage, std::string hover = {});
    // Sets the final bar from the live blocks at the end (address order).
    void set_final(const std::vector<live_range>& live);
    // Writes the SVG document (every text escaped).
    void write_svg(std::ostream& out, const map_labels& labels) const;

    std::size_t row_count() const noexcept { return rows_.size(); }

private:
    std::vector<shade_run> shade_runs(const std::vector<live_range>& live) const;

    Size extent_;
    map_options options_;
    std::vector<std::vector<shade_run>> rows_;
    std::vector<std::string> hovers_;       // one per row
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

// For each of `rows` rows, the number of events done when it is drawn: evenly spaced in time
// when `times_us` (one per event, not decreasing) spans any time, else in operations.
std::vector<std::size_t> row_ends(std::size_t operations, std::size_t rows, const std::vector<std::uint64_t>& times_us);

// Replays `events` on allocators from make() and draws it on `out` (the rows from a coverage kept
// as the replay goes: O(1) an event, O(columns) a row). `times_us`: each event's time, to space
// the rows in time (empty: by operations).
template <class MakeAllocator>
void draw_memory_map(std::ostream& out, const trace& events, MakeAllocator make, const map_options& options,
                     const std::string& title, const std::vector<std::uint64_t>& times_us = {}) {
    const std::size_t operations = events.events.size();
    auto sizing = make();
    std::size_t peak_step = 0;  // events done when live units first peaked
    Size peak = 0;
    const replay_metrics metrics = detail::run(events, sizing, operations, [&](std::size_t step, Size live, Size, Size) {
        if (live > peak) {
            peak = live;
            peak_step = step + 1;
        }
    });
    const Size extent = std::max<Size>(metrics.peak_footprint, 1);
    memory_map_canvas canvas(extent, options);
    const auto live_now = [](const auto& allocator) {
        std::vector<live_range> live;
        allocator.for_each_block([&](block_state state, Offset start, Size size) {
            if (state == block_state::allocated) live.push_back({start, size});
        });
        return live;
    };
    const auto amount = [&](Size units) { return quantity_text(units, options.units_are_bytes); };
    const bool timed = !times_us.empty() && times_us.back() > times_us.front();
    const auto moment = [&](std::size_t done) {
        std::string text = "after operation " + std::to_string(done);
        if (timed && done > 0) text += " at " + seconds_text(times_us[done - 1]);
        return text;
    };
    column_coverage coverage(extent, options.columns);
    detail::covering_allocator<decltype(make())> drawing{make(), coverage, {}};
    const std::vector<std::size_t> ends = row_ends(operations, std::min(options.rows, operations), times_us);
    map_labels labels;
    labels.title = title;
    labels.time_axis = timed ? "time" : "operations";
    std::size_t row = 0;
    detail::run(events, drawing, operations, [&](std::size_t step, Size live, Size footprint, Size) {
        for (; row < ends.size() && ends[row] == step + 1; ++row) {
            canvas.add_row(coverage, moment(step + 1) + ": " + amount(live) + " live, footprint so far " + amount(footprint));
            if (!labels.peak && step + 1 >= peak_step && peak_step != 0)
                labels.peak = row_label{row, "peak live " + amount(peak) + ", " + moment(peak_step)};
        }
    });
    for (std::size_t tick = 0; tick <= 4 && !ends.empty(); ++tick) {
        const std::size_t at = tick * (ends.size() - 1) / 4;
        labels.ticks.push_back({at, timed ? axis_time_text(times_us[ends[at] - 1], times_us.back()) : std::to_string(ends[at])});
    }
    canvas.set_final(live_now(drawing.inner));
    labels.caption = std::to_string(operations) + " operations, peak live " + amount(metrics.peak_live) + ", peak footprint " +
                     amount(metrics.peak_footprint) + " (JW #4 " + std::to_string(metrics.measure_4()).substr(0, 5) + ")";
    canvas.write_svg(out, labels);
}

}  // namespace heapkit::trace
