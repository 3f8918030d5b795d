// SPDX-License-Identifier: MIT
// The concept every free-space index satisfies: it decides *where* a request goes and keeps the
// free blocks coalesced. The facade (memory_allocator.hpp) decides *whether* a call is legal, so
// an index may assume its inputs are valid: a range it takes is inside one free block, a range
// it releases overlaps no free unit.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <ranges>

#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// What the facade asks an index for.
struct fit_request {
    Size size;         // > 0
    Size alignment;    // a power of two
    Fit fit;           // the placement policy
    Offset rover;      // next fit only: the end of the previous successful placement
};

// The free block an index chose and the aligned address inside it.
struct placement {
    free_block block;  // the chosen free block, as it is now
    Offset address;    // aligned start of the request, block.start <= address
    friend bool operator==(const placement&, const placement&) = default;
};

template <class Index>
concept free_space_index =
    std::constructible_from<Index, Size> &&
    requires(Index index, const Index& view, const fit_request& request, const placement& chosen,
             Offset address, Size size) {
        // The block the policy picks for the request, or nothing when no free block can hold it.
        { view.find(request) } -> std::same_as<std::optional<placement>>;
        // Removes [chosen.address, chosen.address + size) from chosen.block; the parts before and
        // after stay free. Strong guarantee if it throws std::bad_alloc.
        index.take(chosen, size);
        // Adds [address, address + size) to the free space, merging with free neighbours.
        index.release(address, size);
        // The free block that starts exactly at `address`, if any (used to grow in place).
        { view.block_starting_at(address) } -> std::same_as<std::optional<free_block>>;
        { view.largest_free_block() } -> std::same_as<Size>;
        { view.free_block_count() } -> std::same_as<std::size_t>;
        // The free blocks in address order, as free_block values.
        { view.blocks() } -> std::ranges::input_range;
        // Checks every invariant of the index; throws std::logic_error naming the broken one.
        view.validate();
    };

}  // namespace heapkit
