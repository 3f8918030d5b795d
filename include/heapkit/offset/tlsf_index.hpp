// SPDX-License-Identifier: MIT
// heapkit::tlsf_index: two-level segregated fit over 64-bit units. Every block, free or
// allocated, is a node in an address-ordered chain of physical neighbours; free blocks are also
// filed in one list per size class (tlsf_classes.hpp). find, take, release and resize are O(1):
// a request is rounded up to a class whose every block holds it, so the head of the first
// non-empty class at or above it fits. When no such class is non-empty, the classes below it
// that may still hold the request are searched block by block before giving up, so tlsf never
// reports out of memory while some free block can hold the aligned request. Under constraints
// (fit_request::wanted) the head of that class is taken when it satisfies them, else every class
// that may hold the request is searched: tlsf never fails while a satisfying block exists.
// The placement is TLSF's own good fit; the Fit given to the constructor is not used.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/lean_growth.hpp"
#include "heapkit/offset/detail/node_walk.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/tlsf_classes.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class tlsf_index {
public:
    using link = std::uint32_t;
    using handle = link;                               // the node of an allocated block
    static constexpr bool places_by_fit = false;       // TLSF's good fit
    static constexpr bool honours_constraints = true;  // find() heeds fit_request::wanted
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
    // Node 0 is in no chain or list: the class lists' updates write to it where a neighbour is
    // nil, so that they need no branch on data the branch predictor cannot learn.
    static constexpr link scratch = 0;
    // `at`, or scratch where it is nil, by a mask: g++ turns a conditional select back into a branch.
    static link or_scratch(link at) noexcept { return at & (static_cast<link>(at == nil) - 1u); }
    static_assert(scratch == 0, "or_scratch masks a nil link down to the scratch node");

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
    // Where the allocation `allocated` starts and its units (what take or resize_in_place gave it),
    // so that the facade's ledger need not keep them. O(1).
    Offset allocated_address(handle allocated) const noexcept { return nodes_[allocated].start; }
    Size allocated_size(handle allocated) const noexcept { return nodes_[allocated].size; }
    // O(1): shrinks into or grows from the physical neighbour above.
    bool resize_in_place(handle& allocated, Offset address, Size old_size, Size new_size);
    // Scans the highest non-empty class: O(its blocks).
    Size largest_free_block() const noexcept;
    std::size_t free_block_count() const noexcept { return free_count_; }
    block_range blocks() const noexcept { return {&nodes_, first_}; }
    std::size_t metadata_bytes() const noexcept { return nodes_.capacity() * sizeof(node); }

    // TL1 the chain covers [0, capacity) without gaps, links symmetric; TL2 no two free blocks
    // touch; TL3 each free block is in the list of class_holding(size), lists symmetric, counts
    // agree; TL4 the bitmap marks exactly the non-empty classes; TL5 every node but the scratch
    // one is chained or spare, and the scratch one in no chain or list. O(n); throws std::logic_error.
    void validate() const;

private:
    bool is_free(link at) const noexcept { return nodes_[at].free_previous != allocated_mark; }
    // The request in the block of `at`, if it holds it (under the request's constraints, if any).
    std::optional<placement> placement_in(link at, const fit_request& request) const noexcept;
    // The first non-empty class whose every block holds the aligned request, if any. O(1).
    std::optional<size_class> promising_class(const fit_request& request) const noexcept;
    std::optional<placement> search_classes_from(size_class from, const fit_request& request) const noexcept;
    std::optional<placement> find_under_constraints(const fit_request& request) const noexcept;
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

// The hot path, inline: a free+allocate pair is a few dozen instructions of these.

[[gnu::always_inline]] inline std::optional<size_class> tlsf_index::promising_class(const fit_request& request) const noexcept {
    const Size slack = request.alignment - 1;  // any block of size + slack units holds the aligned request
    if (request.size > ~Size{0} - slack) return std::nullopt;
    const std::optional<size_class> promised = class_guaranteeing(request.size + slack);
    return promised ? non_empty_.first_at_or_above(*promised) : std::nullopt;
}

[[gnu::always_inline]] inline std::optional<placement> tlsf_index::find(const fit_request& request) const noexcept {
    if (request.wanted != nullptr) return find_under_constraints(request);
    if (const std::optional<size_class> found = promising_class(request)) {
        const link head = heads_[found->flat()];  // fast path: the head fits
        const free_block block{nodes_[head].start, nodes_[head].size};
        return placement{block, block.start + alignment_padding(block.start, request.alignment), head};
    }
    // Every class at or above the promised one is empty: search those below it that may hold
    // the request, starting with the one its size is filed under.
    return search_classes_from(class_holding(request.size), request);
}

[[gnu::always_inline]] inline tlsf_index::handle tlsf_index::take(const placement& chosen, Size size) {
    const link at = static_cast<link>(chosen.node);
    const Size gap = chosen.address - chosen.block.start;
    const Size tail = chosen.block.start + chosen.block.size - (chosen.address + size);
    link gap_node = nil;
    link tail_node = nil;
    if (gap > 0) gap_node = acquire();  // may throw: nothing changed yet
    if (tail > 0) {
        try {
            tail_node = acquire();
        } catch (...) {
            if (gap_node != nil) recycle(gap_node);
            throw;
        }
    }
    unfile(at);
    if (gap_node != nil) {
        nodes_[gap_node].start = chosen.block.start;
        nodes_[gap_node].size = gap;
        link_after(nodes_[at].previous, gap_node);
        file(gap_node);
    }
    if (tail_node != nil) {
        nodes_[tail_node].start = chosen.address + size;
        nodes_[tail_node].size = tail;
        link_after(at, tail_node);
        file(tail_node);
    }
    nodes_[at].start = chosen.address;
    nodes_[at].size = size;
    return at;
}

[[gnu::always_inline]] inline void tlsf_index::release(handle allocated, Offset, Size) noexcept {
    link at = allocated;
    const link below = nodes_[at].previous;
    if (below != nil && is_free(below)) {
        unfile(below);
        nodes_[below].size += nodes_[at].size;
        unchain(at);
        recycle(at);
        at = below;
    }
    const link above = nodes_[at].next;
    if (above != nil && is_free(above)) {
        unfile(above);
        nodes_[at].size += nodes_[above].size;
        unchain(above);
        recycle(above);
    }
    file(at);
}

[[gnu::always_inline]] inline void tlsf_index::file(link at) noexcept {
    const size_class klass = class_holding(nodes_[at].size);
    link& head = heads_[klass.flat()];
    nodes_[at].free_previous = nil;
    nodes_[at].free_next = head;
    nodes_[or_scratch(head)].free_previous = at;
    head = at;
    non_empty_.mark(klass);
    ++free_count_;
}

[[gnu::always_inline]] inline void tlsf_index::unfile(link at) noexcept {
    node& gone = nodes_[at];
    const link before = gone.free_previous;
    const link after = gone.free_next;
    nodes_[or_scratch(after)].free_previous = before;
    if (before == nil) {  // the class is needed only here: a branch is cheaper than computing it always
        const size_class klass = class_holding(gone.size);
        heads_[klass.flat()] = after;
        non_empty_.clear_if(klass, after == nil);
    } else {
        nodes_[before].free_next = after;
    }
    gone.free_previous = allocated_mark;
    gone.free_next = nil;
    --free_count_;
}

[[gnu::always_inline]] inline tlsf_index::link tlsf_index::acquire() {
    if (spare_ != nil) {
        const link reused = spare_;
        spare_ = nodes_[reused].next;
        return reused;
    }
    if (nodes_.size() >= allocated_mark) throw std::bad_alloc();  // 32-bit links are exhausted
    detail::room_for_one_more(nodes_);
    nodes_.push_back(node{0, 0, nil, nil, allocated_mark, nil});
    return static_cast<link>(nodes_.size() - 1);
}

[[gnu::always_inline]] inline void tlsf_index::unchain(link at) noexcept {
    const node& gone = nodes_[at];
    if (gone.previous != nil) nodes_[gone.previous].next = gone.next;
    if (gone.next != nil) nodes_[gone.next].previous = gone.previous;
    if (first_ == at) first_ = gone.next;
}

[[gnu::always_inline]] inline void tlsf_index::recycle(link at) noexcept {
    nodes_[at] = node{0, 0, nil, spare_, allocated_mark, nil};
    spare_ = at;
}

[[gnu::always_inline]] inline void tlsf_index::link_after(link previous, link fresh) noexcept {
    const link following = previous == nil ? first_ : nodes_[previous].next;
    nodes_[fresh].previous = previous;
    nodes_[fresh].next = following;
    if (following != nil) nodes_[following].previous = fresh;
    if (previous == nil) {
        first_ = fresh;
    } else {
        nodes_[previous].next = fresh;
    }
}

}  // namespace heapkit
