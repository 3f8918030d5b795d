// SPDX-License-Identifier: MIT
// Compaction, the disk defragmenter's and the hypervisor's answer to fragmentation: plans of
// moves over any offset allocator, and applying them. plan_full_compaction slides every
// allocation down in address order (O(a)); plan_room_for finds the window for one request whose
// occupants are cheapest to move elsewhere (O(a log a) plus a first-fit-decreasing check per
// window tried, O(a^2) at worst). Moves are safe to apply in order with memmove semantics. The
// planners read any allocator whose allocations hold exactly the units asked for (not buddy,
// which rounds up); apply_plan needs relocate() (list and tree).
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

struct move {
    Offset from;
    Offset to;
    Size size;
    friend bool operator==(const move&, const move&) = default;
};

struct compaction_plan {
    std::vector<move> moves;  // in the order to apply them
    Size units_moved = 0;     // sum of the moves' sizes
};

// Why `command` cannot plan or apply moves for `allocator` now, or nothing: the planners work
// in the one span [0, capacity) around live allocations, so not over a range with gaps, nor
// while a deferred free holds units they cannot see.
template <class Allocator>
std::optional<std::string> compaction_refusal(const Allocator& allocator, std::string_view command) {
    if constexpr (requires { allocator.has_gaps(); }) {
        if (allocator.has_gaps()) return std::string(command) + " needs the range to be one span from 0, without gaps";
    }
    if constexpr (requires { allocator.queued_memory(); }) {
        if (allocator.queued_memory() != 0)
            return std::string(command) + " cannot move blocks while " + std::to_string(allocator.queued_memory()) +
                   " units wait for a deferred free; complete their epochs first";
    }
    return std::nullopt;
}

namespace detail {
// Throws std::logic_error when compaction_refusal refuses.
template <class Allocator>
void require_compactable(const Allocator& allocator, std::string_view command) {
    if (const std::optional<std::string> refused = compaction_refusal(allocator, command)) throw std::logic_error(*refused);
}
}  // namespace detail

// "FROM->TO:SIZE" for each move, separated by one space: what the shell prints.
inline std::string describe_moves(const compaction_plan& plan) {
    std::string line;
    for (const move& step : plan.moves) {
        if (!line.empty()) line += ' ';
        line += std::to_string(step.from) + "->" + std::to_string(step.to) + ':' + std::to_string(step.size);
    }
    return line;
}

// Every allocation slid down in address order to the lowest address not taken by the ones before
// it that keeps its own alignment and `alignment` (a power of two), so that when nothing is
// aligned all free space ends as one block at the top. Each move goes down, so applying them in
// order never overwrites data still to be moved.
// Throws invalid_alignment when `alignment` is not a power of two, std::logic_error when
// compaction_refusal refuses.
template <class Allocator>
compaction_plan plan_full_compaction(const Allocator& allocator, Size alignment = 1) {
    detail::require_compactable(allocator, "compact");
    if (!is_power_of_two(alignment))
        throw_error(errc::invalid_alignment, "compaction: alignment " + std::to_string(alignment) + " is not a power of two");
    compaction_plan plan;
    Offset cursor = 0;
    for (const auto& live : allocator.allocations()) {
        Offset to = cursor + alignment_padding(cursor, std::max(alignment, live.alignment));
        if (to > live.address) to = live.address;  // it cannot go lower while keeping the alignment
        if (to != live.address) {
            plan.moves.push_back({live.address, to, live.size});
            plan.units_moved += live.size;
        }
        cursor = to + live.size;
    }
    return plan;
}

namespace detail {

struct window_candidate {
    Offset start;
    Size cost;  // units of the allocations overlapping [start, start + size)
};

// Where the allocations overlapping [window, +size) can go outside it: first fit, largest first,
// each at an address of its own alignment, into the free blocks clipped to outside the window.
// Nothing when they do not all fit.
template <class Allocation>
std::optional<compaction_plan> evacuate(std::vector<Allocation> displaced, const std::vector<free_block>& free_blocks,
                                        Offset window, Size size) {
    std::vector<free_block> holes;
    for (const free_block block : free_blocks) {
        const Offset end = block.start + block.size;
        if (block.start < window) holes.push_back({block.start, std::min(end, window) - block.start});
        if (end > window + size) {
            const Offset start = std::max(block.start, window + size);
            holes.push_back({start, end - start});
        }
    }
    std::stable_sort(displaced.begin(), displaced.end(),
                     [](const Allocation& a, const Allocation& b) { return a.size > b.size; });
    compaction_plan plan;
    for (const Allocation& occupant : displaced) {
        bool placed = false;
        for (free_block& hole : holes) {
            const std::optional<Offset> at = aligned_start_in(hole, occupant.size, occupant.alignment);
            if (!at) continue;
            plan.moves.push_back({occupant.address, *at, occupant.size});
            plan.units_moved += occupant.size;
            const Offset end = hole.start + hole.size;
            hole = {*at + occupant.size, end - (*at + occupant.size)};  // the gap before *at is given up
            placed = true;
            break;
        }
        if (!placed) return std::nullopt;
    }
    std::sort(plan.moves.begin(), plan.moves.end(), [](const move& a, const move& b) { return a.from < b.from; });
    return plan;
}

// Whether some free stretch holds the request once the full compaction `plan` (moves in address
// order, which it keeps) is applied to `allocations` (address order). Aligned blocks may leave
// room below them, not only at the top.
template <class Allocations>
bool room_after(const Allocations& allocations, const compaction_plan& plan, Size capacity, Size size, Size alignment) {
    std::size_t next_move = 0;
    Offset free_from = 0;
    for (const auto& live : allocations) {
        Offset at = live.address;
        if (next_move < plan.moves.size() && plan.moves[next_move].from == live.address) at = plan.moves[next_move++].to;
        if (aligned_start_in({free_from, at - free_from}, size, alignment)) return true;
        free_from = at + live.size;
    }
    return aligned_start_in({free_from, capacity - free_from}, size, alignment).has_value();
}

}  // namespace detail

// Moves that make room for one request of `size` units aligned to `alignment`, every moved
// allocation keeping its own alignment, moving as few units as this search can: every window
// starting at a block boundary (or ending at one) is priced by the units of the allocations
// overlapping it, and the cheapest whose occupants fit elsewhere (first fit, largest first) wins;
// if none is cheaper than a full compaction, the full compaction is the plan. So it never moves
// more than plan_full_compaction when that makes room. No moves when a free block already holds
// the request; nothing when neither the full compaction nor a window this search tries makes room
// (without aligned blocks: exactly when even a full compaction would not). Moves go from inside the window to outside it,
// so their order does not matter. Throws invalid_size (size 0) and invalid_alignment (not a power
// of two), as allocate does, and std::logic_error when compaction_refusal refuses.
template <class Allocator>
std::optional<compaction_plan> plan_room_for(const Allocator& allocator, Size size, Size alignment = 1) {
    detail::require_compactable(allocator, "make_room");
    if (size == 0) throw_error(errc::invalid_size, "make room: the size must be positive, got 0");
    if (!is_power_of_two(alignment))
        throw_error(errc::invalid_alignment, "make room: alignment " + std::to_string(alignment) + " is not a power of two");
    if (size > allocator.capacity()) return std::nullopt;
    const auto allocations = allocator.allocations();  // address order
    std::vector<free_block> free_blocks;
    for (const free_block block : allocator.free_blocks()) free_blocks.push_back(block);

    // prefix[i]: units of allocations [0, i); allocations are disjoint and sorted, so their ends
    // are sorted too.
    std::vector<Size> prefix(allocations.size() + 1, 0);
    for (std::size_t i = 0; i < allocations.size(); ++i) prefix[i + 1] = prefix[i] + allocations[i].size;
    const auto cost_of = [&](Offset window) {
        const auto first = std::partition_point(allocations.begin(), allocations.end(),
                                                [&](const auto& live) { return live.address + live.size <= window; });
        const auto last =
            std::partition_point(first, allocations.end(), [&](const auto& live) { return live.address < window + size; });
        return prefix[static_cast<std::size_t>(last - allocations.begin())] -
               prefix[static_cast<std::size_t>(first - allocations.begin())];
    };

    std::vector<detail::window_candidate> candidates;
    const auto consider = [&](Offset start) {
        start += alignment_padding(start, alignment);
        if (start <= allocator.capacity() - size) candidates.push_back({start, cost_of(start)});
    };
    const auto consider_ending_at = [&](Offset end) {
        if (end >= size) {
            const Offset start = end - size;
            consider(start - start % alignment);  // aligned down, so it still ends at or before `end`
        }
    };
    consider(0);
    consider_ending_at(allocator.capacity());
    for (const auto& live : allocations) {
        consider(live.address);
        consider(live.address + live.size);
        consider_ending_at(live.address);
        consider_ending_at(live.address + live.size);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const detail::window_candidate& a, const detail::window_candidate& b) { return a.cost < b.cost; });

    compaction_plan full = plan_full_compaction(allocator, alignment);
    // Without aligned blocks the full compaction leaves the most room there can be; aligned blocks
    // may keep it from making room that a targeted plan makes, so it bounds the search only when it works.
    const bool full_makes_room = detail::room_after(allocations, full, allocator.capacity(), size, alignment);
    for (const detail::window_candidate& candidate : candidates) {
        if (full_makes_room && candidate.cost > 0 && candidate.cost >= full.units_moved) break;
        std::vector<std::decay_t<decltype(allocations[0])>> displaced;
        for (const auto& live : allocations) {
            if (live.address < candidate.start + size && live.address + live.size > candidate.start) displaced.push_back(live);
        }
        if (auto plan = detail::evacuate(std::move(displaced), free_blocks, candidate.start, size)) return plan;
    }
    if (full_makes_room) return full;
    return std::nullopt;
}

// Applies `plan` in order: for each move, allocator.relocate(from, to) and then
// copy(from, to, size), which must move the contents with memmove semantics and not fail.
// Throws what relocate throws for a move that does not fit (a plan made for another state).
template <class Allocator, class Copy>
void apply_plan(Allocator& allocator, const compaction_plan& plan, Copy copy) {
    for (const move& step : plan.moves) {
        allocator.relocate(step.from, step.to);
        copy(step.from, step.to, step.size);
    }
}

}  // namespace heapkit
