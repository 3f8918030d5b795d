// SPDX-License-Identifier: MIT
// heapkit::buddy_index: the binary buddy system. Every block holds 2^order units and starts at a
// multiple of its size; a request takes the smallest order that holds its size and alignment,
// splitting a larger free block in halves on the way down, and a freed block merges with its
// buddy (its address with bit `order` flipped) while the buddy is free at the same order. The
// capacity need not be a power of two: it starts as the largest aligned blocks that tile it.
// Free blocks sit in one list per order and in a hash map by address: find, take, release are
// O(log capacity); largest_free_block is O(1). Rounding up is internal fragmentation, reported
// by the facade through reserved(). The Fit given to the constructor is not used.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/offset_map.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class buddy_index {
public:
    using link = std::uint32_t;
    using handle = std::uint8_t;                  // the order of an allocated block: it holds 2^order units
    static constexpr bool places_by_fit = false;  // the buddy rule: the lowest free block of the order
    static constexpr link nil = 0xFFFFFFFFu;
    static constexpr unsigned no_order = 64;  // the order of a request no block can hold

    // A free block in the list of its order.
    struct node {
        Offset start;        // a multiple of 2^order
        link previous;       // in its order's list, or nil
        link next;           // in its order's list, or nil; chains spare nodes
        std::uint8_t order;  // the block holds 2^order units
    };

    explicit buddy_index(Size capacity, Fit unused_fit = Fit::first);

    // The smallest order whose blocks hold `size` units aligned to `alignment`, or no_order.
    static unsigned order_for(Size size, Size alignment) noexcept;

    // The head of the lowest non-empty order that holds the request. O(1).
    std::optional<placement> find(const fit_request& request) const noexcept;
    // Splits the chosen block down to the request's order. O(log capacity); may throw std::bad_alloc.
    handle take(const placement& chosen, Size size);
    // Merges with free buddies upward. O(log capacity); may throw std::bad_alloc.
    void release(handle order, Offset address, Size size);
    // Shrinks by freeing upper halves; grows only within the block it already holds.
    bool resize_in_place(handle& order, Offset address, Size old_size, Size new_size);
    Size reserved(handle order, Size) const noexcept { return Size{1} << order; }
    Size largest_free_block() const noexcept;                         // O(1)
    std::size_t free_block_count() const noexcept { return count_; }  // O(1)
    std::vector<free_block> blocks() const;                           // address order, O(n log n)
    std::size_t metadata_bytes() const noexcept { return nodes_.capacity() * sizeof(node) + free_at_.metadata_bytes(); }

    // BD1 each free block is aligned to its size, inside the capacity, in the list of its order
    // and in the map; BD2 no free block has a free buddy of its order (merging is complete);
    // BD3 free blocks do not overlap; BD4 counts, bitmap and spare nodes agree. O(n log n);
    // throws std::logic_error.
    void validate() const;

private:
    link acquire(Offset start, unsigned order);  // may throw; files nothing
    void file(link at) noexcept;                 // into its list and the map (room reserved)
    void unfile(link at) noexcept;               // out of both, onto the spare chain
    void reserve_for(std::size_t more_blocks);   // nodes and map room, so that filing cannot throw

    std::vector<node> nodes_;           // filed and spare nodes
    std::array<link, 64> heads_;        // first free block of each order, or nil
    std::uint64_t non_empty_ = 0;       // bit k: some free block of order k
    detail::offset_map<link> free_at_;  // free block start -> node
    link spare_ = nil;                  // unfiled nodes, through next
    std::size_t spare_count_ = 0;       // nodes on the spare chain
    std::size_t count_ = 0;             // free blocks
    Size capacity_;                     // units managed, [0, capacity_)
};

static_assert(free_space_index<buddy_index>);

}  // namespace heapkit
