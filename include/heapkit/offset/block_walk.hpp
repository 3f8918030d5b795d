// SPDX-License-Identifier: MIT
// Walking a whole range in address order: the extents allocations hold and the free blocks,
// merged into one sequence (what memory_map draws), and the check that such a sequence tiles
// [0, capacity), or the spans of an allocator with gaps, exactly (what every allocator's validate() asks of it). O(n).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit {

enum class block_state : unsigned char { allocated, free };

// Calls visit(state, start, size) for `held` (extents of allocations, sorted by start) and
// `free` (a range of free_block in address order), merged in address order.
template <class FreeBlocks, class Visitor>
void walk_blocks(const std::vector<free_block>& held, const FreeBlocks& free, Visitor visit) {
    auto next_held = held.begin();
    auto visit_held_below = [&](Offset limit, bool to_the_end) {
        for (; next_held != held.end() && (to_the_end || next_held->start < limit); ++next_held) {
            visit(block_state::allocated, next_held->start, next_held->size);
        }
    };
    for (const free_block block : free) {
        visit_held_below(block.start, false);
        visit(block_state::free, block.start, block.size);
    }
    visit_held_below(0, true);
}

// Feed it the blocks of a walk; it throws std::logic_error ("<owner> invariant <id> broken")
// unless they are non-empty and tile the spans exactly: each starts where the one before ended,
// or at the start of the next span when the one before ended its span, and none passes the end
// of its span; finish() checks that the last one ended the last span.
class tiling_check {
public:
    tiling_check(Size capacity, const char* owner, const char* invariant)
        : tiling_check(std::vector<free_block>{{0, capacity}}, owner, invariant) {}
    // `spans`: disjoint ranges that do not touch, in address order.
    tiling_check(std::vector<free_block> spans, const char* owner, const char* invariant)
        : spans_(std::move(spans)),
          owner_(owner),
          invariant_(invariant),
          covered_until_(spans_.empty() ? 0 : spans_.front().start) {}

    void operator()(block_state state, Offset start, Size size) {
        if (run_ + 1 < spans_.size() && covered_until_ == span_end(run_)) covered_until_ = spans_[++run_].start;
        if (run_ >= spans_.size() || size == 0 || start != covered_until_ || size > span_end(run_) - start) {
            broken(std::string(state == block_state::free ? "free block" : "allocation") + " at " + std::to_string(start) +
                   " overlaps, leaves a hole or passes the end of its span");
        }
        covered_until_ = start + size;
    }
    void finish() const {
        if (!spans_.empty() && (run_ + 1 != spans_.size() || covered_until_ != span_end(run_)))
            broken("the blocks stop at " + std::to_string(covered_until_));
    }

private:
    Offset span_end(std::size_t run) const noexcept { return spans_[run].start + spans_[run].size; }
    [[noreturn]] void broken(const std::string& detail) const {
        throw std::logic_error(std::string("heapkit::") + owner_ + " invariant " + invariant_ + " broken: " + detail);
    }

    std::vector<free_block> spans_;
    const char* owner_;
    const char* invariant_;
    std::size_t run_ = 0;   // the span the walk is in
    Offset covered_until_;  // every unit of the spans below this is accounted for
};

}  // namespace heapkit
