// SPDX-License-Identifier: MIT
// heapkit::free_tree: free blocks in a balanced tree by address whose nodes carry the largest
// free size of their subtree, plus (for best fit) a second tree over the same nodes ordered by
// (size, address). Makes exactly the choices of free_list for every Fit in O(log n): first and
// next fit descend by address pruning subtrees too small, worst fit follows the largest size,
// best fit takes the lower bound by size. largest_free_block and the failure of a request larger
// than it are O(1). An alignment can make a block that is large enough unusable; each such
// near miss skipped costs another O(log n).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/node_walk.hpp"
#include "heapkit/offset/detail/treap.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class free_tree {
public:
    using handle = no_handle;

    struct node {
        Offset start;                     // first free unit
        Size size;                        // > 0
        Size subtree_max;                 // largest size in this node's address subtree
        detail::treap_links by_address;   // links of the address tree; left chains spare nodes
        detail::treap_links by_size;      // links of the (size, address) tree, best fit only
        std::uint32_t priority;           // random heap key shared by both trees
    };

    // In-order walk of the address tree, yielding free_block values.
    struct walk {
        static constexpr detail::link end = detail::nil;
        static free_block block(const std::vector<node>& nodes, detail::link at) noexcept {
            return {nodes[at].start, nodes[at].size};
        }
        static detail::link next(const std::vector<node>& nodes, detail::link at) noexcept;
    };
    using block_range = detail::node_walk<node, detail::link, walk>;

    // One free block covering [0, capacity), searched by `fit`.
    explicit free_tree(Size capacity, Fit fit = Fit::first);

    // The policy's choice, identical to free_list's. O(log n) plus O(log n) per alignment near miss.
    std::optional<placement> find(const fit_request& request) const noexcept;
    // O(log n); may throw std::bad_alloc when a second node is needed and cannot be had.
    handle take(const placement& chosen, Size size);
    // Merges with the free neighbours found in one descent. O(log n).
    void release(handle, Offset address, Size size);
    bool resize_in_place(handle&, Offset address, Size old_size, Size new_size) {
        return resize_through_next_block(*this, address, old_size, new_size);
    }
    std::optional<placement> block_starting_at(Offset address) const noexcept;  // O(log n)
    Size largest_free_block() const noexcept;                                   // O(1)
    std::size_t free_block_count() const noexcept { return count_; }            // O(1)
    block_range blocks() const noexcept;

    // TP1-TP4 of both trees (treap.hpp), TR1 blocks are non-empty and inside the capacity, TR2
    // consecutive blocks never touch, TR3 every subtree_max is right, TR4 every node is linked
    // or spare. O(n); throws std::logic_error.
    void validate() const;

private:
    struct address_shape {
        static detail::treap_links& links(node& n) noexcept { return n.by_address; }
        static const detail::treap_links& links(const node& n) noexcept { return n.by_address; }
        static bool before(const node& a, const node& b) noexcept { return a.start < b.start; }
        static bool recompute(std::vector<node>& nodes, detail::link at) noexcept;
    };
    struct size_shape {
        static detail::treap_links& links(node& n) noexcept { return n.by_size; }
        static const detail::treap_links& links(const node& n) noexcept { return n.by_size; }
        static bool before(const node& a, const node& b) noexcept {
            return a.size < b.size || (a.size == b.size && a.start < b.start);
        }
        static bool recompute(std::vector<node>&, detail::link) noexcept { return false; }
    };
    using address_tree = detail::treap<node, address_shape>;
    using size_tree = detail::treap<node, size_shape>;

    bool fits(detail::link at, const fit_request& request) const noexcept;
    detail::link first_fit(const fit_request& request) const noexcept;
    detail::link first_fit_from(detail::link at, Offset lower, const fit_request& request) const noexcept;
    detail::link worst_fit(const fit_request& request) const noexcept;
    void largest_fitting(detail::link at, const fit_request& request, detail::link& chosen) const noexcept;
    detail::link best_fit(const fit_request& request) const noexcept;

    detail::link acquire(Offset start, Size size);  // may throw; links nothing
    void link_node(detail::link at, detail::link leaf) noexcept;  // leaf: see treap::leaf_for
    void unlink_node(detail::link at) noexcept;     // and puts it on the spare chain
    void reshape(detail::link at, Offset start, Size size) noexcept;  // same place in address order
    bool keeps_size_tree() const noexcept { return fit_ == Fit::best; }

    std::vector<node> nodes_;             // linked and spare nodes
    address_tree by_address_;             // every free block
    size_tree by_size_;                   // every free block when fit_ is best, else empty
    detail::link spare_ = detail::nil;    // unlinked nodes, chained through by_address.left
    std::size_t count_ = 0;               // linked nodes
    std::uint64_t priority_state_ = 0x2545F4914F6CDD1DULL;  // xorshift state: reproducible shapes
    Size capacity_;                       // units managed, [0, capacity_)
    Fit fit_;                             // placement policy of find
};

static_assert(free_space_index<free_tree>);

}  // namespace heapkit
