// SPDX-License-Identifier: MIT
// heapkit::tlsf_index: two-level segregated fit over 64-bit units. Every block, free or
// allocated, is a node in an address-ordered chain of physical neighbours; free blocks are also
// filed in one list per size class (tlsf_classes.hpp). find, take, release and resize are O(1):
// a request is rounded up to a class whose every block holds it, so the head of the first
// non-empty class at or above it fits. When no such class is non-empty, the classes below it
// that may still hold the request are searched block by block before giving up, so tlsf never
// reports out of memory while some free block can hold the aligned request.
// The placement is TLSF's own good fit; the Fit given to the constructor is not used.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/node_walk.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/tlsf_classes.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class tlsf_index {
public:
    using link = std::uint32_t;
    using handle = link;                          // the node of an allocated block
    static constexpr bool places_by_fit = false;  // TLSF's good fit
    static constexpr link nil = 0xFFFFFFFFu;

    // One block of the physical chain. Layout: 32 bytes, two to a cache line.
    struct node {
        Offset start;        // first unit
        Size size;           // > 0
        link previous;       // the block just below in address order, or nil
        link next;           // the block just above, or nil; chains spare nodes
        link free_previous;  // previous in its class list, nil at the head; allocated_mark when allocated
        link free_next;      // next in its class list, or nil
    };
    static constexpr link allocated_mark = 0xFFFFFFFEu;
    static_assert(sizeof(node) == 32);

    // Walks the physical chain, yielding the free blocks as free_block values.
    struct walk {
        static constexpr link end = nil;
        static free_block block(const std::vector<node>& nodes, link at) noexcept { return {nodes[at].start, nodes[at].size}; }
        static link settle(const std::vector<node>& nodes, link at) noexcept {
            while (at != nil && nodes[at].free_previous == allocated_mark) at = nodes[at].next;
            return at;
        }
        static link next(const std::vector<node>& nodes, link at) noexcept { return settle(nodes, nodes[at].next); }
    };
    using block_range = detail::node_walk<node, link, walk>;

    explicit tlsf_index(Size capacity, Fit unused_fit = Fit::first);

    // O(1) when a class at or above the rounded-up request is non-empty; otherwise a search of
    // the few classes below it that may hold the request, linear in their blocks.
    std::optional<placement> find(const fit_request& request) const noexcept;
    // O(1); may throw std::bad_alloc when a gap or tail node cannot be had.
    handle take(const placement& chosen, Size size);
    // O(1): merges with free physical neighbours.
    void release(handle allocated, Offset address, Size size) noexcept;
    // The units of the allocation `allocated` (what take or resize_in_place gave it), so that the
    // facade's ledger need not keep them. O(1).
    Size allocated_size(handle allocated) const noexcept { return nodes_[allocated].size; }
    // O(1): shrinks into or grows from the physical neighbour above.
    bool resize_in_place(handle& allocated, Offset address, Size old_size, Size new_size);
    // Scans the highest non-empty class: O(its blocks).
    Size largest_free_block() const noexcept;
    std::size_t free_block_count() const noexcept { return free_count_; }
    block_range blocks() const noexcept { return {&nodes_, first_}; }

    // TL1 the chain covers [0, capacity) without gaps, links symmetric; TL2 no two free blocks
    // touch; TL3 each free block is in the list of class_holding(size), lists symmetric, counts
    // agree; TL4 the bitmap marks exactly the non-empty classes; TL5 every node is chained or
    // spare. O(n); throws std::logic_error.
    void validate() const;

private:
    bool is_free(link at) const noexcept { return nodes_[at].free_previous != allocated_mark; }
    std::optional<placement> placement_in(link at, const fit_request& request) const noexcept;
    std::optional<placement> search_classes_from(size_class from, const fit_request& request) const noexcept;
    void file(link at) noexcept;                          // into its class list; marks it free
    void unfile(link at) noexcept;                        // out of its class list; marks it allocated
    link acquire();                                       // may throw; links nothing
    void unchain(link at) noexcept;                       // out of the physical chain
    void recycle(link at) noexcept;                       // onto the spare chain
    void link_after(link previous, link fresh) noexcept;  // into the chain; previous may be nil

    std::vector<node> nodes_;                   // chained and spare nodes
    std::array<link, tlsf_class_count> heads_;  // first free block of each class, or nil
    class_bitmap non_empty_;                    // which classes have free blocks
    link first_ = nil;                          // the block at address 0
    link spare_ = nil;                          // unchained nodes, through next
    std::size_t free_count_ = 0;                // free blocks
    Size capacity_;                             // units managed, [0, capacity_)
};

static_assert(free_space_index<tlsf_index>);

}  // namespace heapkit
