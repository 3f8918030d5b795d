// SPDX-License-Identifier: MIT
// The concept every free-space index satisfies: it decides *where* a request goes and keeps the
// free blocks coalesced. The facade (memory_allocator.hpp) decides *whether* a call is legal, so
// an index may assume its inputs are valid: a range it takes is inside one free block, a range
// it releases is a live allocation it handed out.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <ranges>

#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// What the facade asks an index for.
struct fit_request {
    Size size;       // > 0
    Size alignment;  // a power of two
    Offset rover;    // next fit only: the end of the previous successful placement
    // When set, the placement must satisfy these (their alignment is `alignment`); only indexes
    // whose honours_constraints is true (list, tree, tlsf) are asked so.
    const constraints* wanted = nullptr;
};

// Where `request` would start inside `block`, or nothing when the block cannot hold it: the
// lowest satisfying address under constraints, else the aligned start.
inline std::optional<Offset> start_in(const free_block& block, const fit_request& request) noexcept {
    if (request.wanted != nullptr) return lowest_placement(block, request.size, *request.wanted).address;
    return aligned_start_in(block, request.size, request.alignment);
}

// The free block an index chose and the aligned address inside it.
struct placement {
    free_block block;  // the chosen free block, as it is now
    Offset address;    // aligned start of the request, block.start <= address
    std::size_t node;  // the index's own name for the block; opaque to the facade
    friend bool operator==(const placement&, const placement&) = default;
};

// The handle of an index that needs nothing per allocation.
struct no_handle {
    friend bool operator==(no_handle, no_handle) = default;
};

// places_by_fit: whether the index places by the Fit it is constructed with (list, tree) or by a
// rule of its own that ignores it (tlsf, buddy).
// clang-format 14 misreads requires-expressions (their bodies and noexcept):
// clang-format off
template <class Index>
concept free_space_index = std::constructible_from<Index, Size, Fit> && std::copyable<typename Index::handle> &&
    std::same_as<decltype(Index::places_by_fit), const bool> &&
    requires(Index index, const Index& view, const fit_request& request, const placement& chosen, typename Index::handle& held,
             Offset address, Size size) {
    // The block the index's policy picks, or nothing when no free block can hold the request.
    { view.find(request) } -> std::same_as<std::optional<placement>>;
    // Removes [chosen.address, +size) from chosen.block; the parts before and after stay
    // free. Returns what the index wants back when the block is released or resized.
    // Strong guarantee if it throws std::bad_alloc.
    { index.take(chosen, size) } -> std::same_as<typename Index::handle>;
    // Frees the allocation [address, +size) it handed out, merging with free neighbours.
    index.release(held, address, size);
    // Shrinks (always possible) or grows (only into a free block right after it) the
    // allocation [address, +old size) to the new size without moving it; false when it
    // cannot grow, and then nothing changed.
    { index.resize_in_place(held, address, size, size) } -> std::same_as<bool>;
    { view.largest_free_block() } -> std::same_as<Size>;
    { view.free_block_count() } -> std::same_as<std::size_t>;
    // The free blocks in address order, as free_block values.
    { view.blocks() } -> std::ranges::input_range;
    // Bytes of memory its bookkeeping holds (the capacity of its storage, not only what is in use).
    { view.metadata_bytes() } -> std::same_as<std::size_t>;
    // Checks every invariant of the index; throws std::logic_error naming the broken one.
    view.validate();
};
// clang-format on

// resize_in_place for an index that tracks only free blocks: shrinking releases the tail,
// growing takes the front of the free block that starts where the allocation ends.
template <class Index>
bool resize_through_next_block(Index& index, Offset address, Size old_size, Size new_size) {
    if (new_size <= old_size) {
        typename Index::handle none{};
        if (new_size < old_size) index.release(none, address + new_size, old_size - new_size);
        return true;
    }
    const std::optional<placement> following = index.block_starting_at(address + old_size);
    if (!following || following->block.size < new_size - old_size) return false;
    index.take(*following, new_size - old_size);
    return true;
}

}  // namespace heapkit
