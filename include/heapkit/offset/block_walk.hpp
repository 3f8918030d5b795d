// SPDX-License-Identifier: MIT
// Walking a whole range in address order: the extents allocations hold and the free blocks,
// merged into one sequence (what memory_map draws), and the check that such a sequence tiles
// [0, capacity) exactly (what every allocator's validate() asks of it). O(n).
#pragma once

#include <stdexcept>
#include <string>
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
// unless they are non-empty, inside the capacity, and each starts where the one before ended,
// ending at the capacity when finished.
class tiling_check {
public:
    tiling_check(Size capacity, const char* owner, const char* invariant)
        : capacity_(capacity), owner_(owner), invariant_(invariant) {}

    void operator()(block_state state, Offset start, Size size) {
        if (size == 0 || start != covered_until_ || size > capacity_ - start) {
            broken(std::string(state == block_state::free ? "free block" : "allocation") + " at " + std::to_string(start) +
                   " overlaps, leaves a hole or passes the end");
        }
        covered_until_ = start + size;
    }
    void finish() const {
        if (covered_until_ != capacity_) broken("the blocks stop at " + std::to_string(covered_until_));
    }

private:
    [[noreturn]] void broken(const std::string& detail) const {
        throw std::logic_error(std::string("heapkit::") + owner_ + " invariant " + invariant_ + " broken: " + detail);
    }

    Size capacity_;
    const char* owner_;
    const char* invariant_;
    Offset covered_until_ = 0;  // every unit below this is accounted for
};

}  // namespace heapkit
