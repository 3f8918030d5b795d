// SPDX-License-Identifier: MIT
// heapkit::detail::span_set: the ranges of units an allocator manages, as maximal disjoint runs
// in address order (two spans that touch are one run). An allocator made with a capacity has the
// one run [0, capacity); add_span and remove_span (memory_allocator.hpp) add and take runs, so
// the range may have gaps. holding() is O(1) with one run, O(log runs) otherwise; add and remove
// are O(runs).
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

class span_set {
public:
    span_set() = default;
    explicit span_set(Size capacity) : runs_{{0, capacity}}, total_(capacity) {}

    // The run holding `address`, or nullptr.
    const free_block* holding(Offset address) const noexcept {
        if (runs_.size() == 1) return address - runs_[0].start < runs_[0].size ? runs_.data() : nullptr;
        auto after = std::upper_bound(runs_.begin(), runs_.end(), address,
                                      [](Offset unit, const free_block& run) { return unit < run.start; });
        if (after == runs_.begin()) return nullptr;
        --after;
        return address - after->start < after->size ? &*after : nullptr;
    }
    // The lowest run that shares a unit with [start, +size) (size > 0, no wrap), or nullptr.
    const free_block* overlapping(Offset start, Size size) const noexcept {
        for (const free_block& run : runs_) {
            if (run.start < start + size && start < run.start + run.size) return &run;
        }
        return nullptr;
    }
    // Makes room so that the next add or remove cannot throw. May throw std::bad_alloc.
    void reserve_change() { runs_.reserve(runs_.size() + 1); }
    // Adds [start, +size), which shares no unit with a run, merging with the runs it touches.
    // Strong guarantee (may throw std::bad_alloc unless reserve_change came first).
    void add(Offset start, Size size) {
        auto after = std::upper_bound(runs_.begin(), runs_.end(), start,
                                      [](Offset unit, const free_block& run) { return unit < run.start; });
        const bool joins_before = after != runs_.begin() && std::prev(after)->start + std::prev(after)->size == start;
        const bool joins_after = after != runs_.end() && start + size == after->start;
        if (joins_before && joins_after) {
            std::prev(after)->size += size + after->size;
            runs_.erase(after);
        } else if (joins_before) {
            std::prev(after)->size += size;
        } else if (joins_after) {
            after->start = start;
            after->size += size;
        } else {
            runs_.insert(after, {start, size});
        }
        total_ += size;
    }
    // Takes [start, +size), which lies inside one run, out of it. Strong guarantee, as add's.
    void remove(Offset start, Size size) {
        const auto at = static_cast<std::size_t>(holding(start) - runs_.data());
        const Offset end = start + size;
        const Offset run_end = runs_[at].start + runs_[at].size;
        if (runs_[at].start < start && end < run_end) {
            runs_.insert(runs_.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                         {end, run_end - end});  // may throw: nothing changed yet
            runs_[at].size = start - runs_[at].start;
        } else if (runs_[at].start < start) {
            runs_[at].size = start - runs_[at].start;
        } else if (end < run_end) {
            runs_[at] = {end, run_end - end};
        } else {
            runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(at));
        }
        total_ -= size;
    }

    // Units in all runs.
    Size total() const noexcept { return total_; }
    // One past the last unit of the last run; 0 when there is none.
    Offset end() const noexcept { return runs_.empty() ? 0 : runs_.back().start + runs_.back().size; }
    // Whether the runs are exactly [0, total()): no gap, nothing removed from the front.
    bool contiguous_from_zero() const noexcept { return runs_.empty() || (runs_.size() == 1 && runs_[0].start == 0); }
    const std::vector<free_block>& runs() const noexcept { return runs_; }

    // SP1 runs are non-empty, in increasing order, never touch and add up to total(). O(runs).
    void validate() const {
        Size units = 0;
        for (std::size_t i = 0; i < runs_.size(); ++i) {
            const free_block& run = runs_[i];
            const bool touches_previous = i > 0 && runs_[i - 1].start + runs_[i - 1].size >= run.start;
            if (run.size == 0 || run.size > ~Offset{0} - run.start || touches_previous)
                throw std::logic_error("heapkit::span_set invariant SP1 broken: span at " + std::to_string(run.start));
            units += run.size;
        }
        if (units != total_)
            throw std::logic_error("heapkit::span_set invariant SP1 broken: the spans hold " + std::to_string(units) + " units");
    }

private:
    std::vector<free_block> runs_;  // maximal runs, in address order
    Size total_ = 0;                // units in runs_
};

}  // namespace heapkit::detail
