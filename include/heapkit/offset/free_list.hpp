// SPDX-License-Identifier: MIT
// heapkit::free_list: the seed's index, an address-ordered doubly-linked list of free blocks
// (start, size, next, prev), searched by any Fit. find, release and block_starting_at walk the
// list: O(n) in the number of free blocks n; take is O(1). Nodes live in one vector and are
// reused, so the list allocates only when it holds more blocks than ever before.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/node_walk.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class free_list {
public:
    using handle = no_handle;
    static constexpr bool places_by_fit = true;        // first, next, best and worst
    static constexpr bool honours_constraints = true;  // find() heeds fit_request::wanted
    using node_index = std::size_t;
    static constexpr node_index none = static_cast<node_index>(-1);

    // One free block, the seed's FreeBlock. Links are indices into the node storage.
    struct node {
        Offset start;     // first free unit
        Size size;        // > 0
        node_index next;  // the next free block by address, or none
        node_index prev;  // the previous free block by address, or none
    };

    // Walks the list from the head, yielding free_block values in address order.
    struct walk {
        static constexpr node_index end = none;
        static free_block block(const std::vector<node>& nodes, node_index at) noexcept {
            return {nodes[at].start, nodes[at].size};
        }
        static node_index next(const std::vector<node>& nodes, node_index at) noexcept { return nodes[at].next; }
    };
    using block_range = detail::node_walk<node, node_index, walk>;

    // One free block covering [0, capacity), searched by `fit`.
    explicit free_list(Size capacity, Fit fit = Fit::first);

    // The policy's choice for the request, or nothing. O(n).
    std::optional<placement> find(const fit_request& request) const noexcept;
    // Carves [chosen.address, +size) out of chosen.block: unlinks the node when nothing is left,
    // otherwise shrinks it (the seed's split) and, when both an alignment gap and a tail remain,
    // links a second node. O(1). May throw bad_alloc.
    handle take(const placement& chosen, Size size);
    // Frees [address, +size): the seed's four cases (no merge, previous, next, both). O(n).
    void release(handle, Offset address, Size size);
    // O(n): resize_through_next_block.
    bool resize_in_place(handle&, Offset address, Size old_size, Size new_size) {
        return resize_through_next_block(*this, address, old_size, new_size);
    }
    // The free block that starts exactly at `address`, as a placement at its start. O(n).
    std::optional<placement> block_starting_at(Offset address) const noexcept;
    Size largest_free_block() const noexcept;                         // O(n)
    std::size_t free_block_count() const noexcept { return count_; }  // O(1)
    block_range blocks() const noexcept { return {&nodes_, head_}; }
    std::size_t metadata_bytes() const noexcept { return nodes_.capacity() * sizeof(node); }

    // The seed's view of the list, for bindings that expose free_list_head: the first node (or
    // none) and any node by index.
    node_index head() const noexcept { return head_; }
    const node& at(node_index index) const { return nodes_.at(index); }

    // FL1 links are symmetric, FL2 blocks are non-empty and inside the capacity, FL3 blocks are
    // in strictly increasing address order and never touch (fully coalesced), FL4 the count and
    // the spare chain account for every node. O(n); throws std::logic_error.
    void validate() const;

private:
    node_index acquire_node(Offset start, Size size);                 // may throw; links nothing
    void link_after(node_index previous, node_index fresh) noexcept;  // previous may be none
    void unlink(node_index index) noexcept;                           // and puts it on the spare chain

    std::vector<node> nodes_;  // storage of linked and spare nodes
    node_index head_ = none;   // the lowest-addressed free block
    node_index spare_ = none;  // unlinked nodes, chained through next, reused first
    std::size_t count_ = 0;    // linked nodes
    Size capacity_;            // units managed, [0, capacity_)
    Fit fit_;                  // placement policy of find
};

static_assert(free_space_index<free_list>);

}  // namespace heapkit
