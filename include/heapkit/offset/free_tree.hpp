// SPDX-License-Identifier: MIT
// heapkit::free_tree: free blocks in a B+ tree by address whose inner nodes carry the largest
// free size under each child, plus (for best fit) a second B+ tree over the same blocks ordered
// by (size, address) (detail/block_btree.hpp). Makes exactly the choices of free_list for every
// Fit in O(log n): first and next fit descend by address skipping subtrees too small, worst fit
// follows the largest size, best fit takes the lower bound by size. A node holds 16 blocks, so a
// search touches a few cache lines per level of a shallow tree. largest_free_block and the
// failure of a request larger than it are O(1). An alignment can make a block that is large
// enough unusable; each such near miss skipped costs more of the search.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "heapkit/offset/detail/block_btree.hpp"
#include "heapkit/offset/detail/node_walk.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class free_tree {
public:
    using handle = no_handle;
    static constexpr bool places_by_fit = true;        // first, next, best and worst, as the list
    static constexpr bool honours_constraints = true;  // find() heeds fit_request::wanted
    using address_index = detail::block_btree<detail::by_start>;
    using size_index = detail::block_btree<detail::by_size_then_start>;

    // The address index's leaf chain, yielding free_block values.
    struct walk {
        using position = address_index::position;
        static constexpr position end = address_index::end_position;
        static free_block block(const std::vector<address_index::bnode>& nodes, position at) noexcept {
            return nodes[address_index::leaf_of(at)].block(address_index::slot_of(at));
        }
        static position next(const std::vector<address_index::bnode>& nodes, position at) noexcept {
            return address_index::next(nodes, at);
        }
    };
    using block_range = detail::node_walk<address_index::bnode, address_index::position, walk>;

    // One free block covering [0, capacity), searched by `fit`.
    explicit free_tree(Size capacity, Fit fit = Fit::first);

    // The policy's choice, identical to free_list's. O(log n) plus the alignment near misses.
    std::optional<placement> find(const fit_request& request) const noexcept;
    // O(log n); may throw std::bad_alloc when the trees need a node and cannot have it (then
    // nothing changed).
    handle take(const placement& chosen, Size size);
    // Merges with the free neighbours. O(log n); strong guarantee as take.
    void release(handle, Offset address, Size size);
    bool resize_in_place(handle&, Offset address, Size old_size, Size new_size) {
        return resize_through_next_block(*this, address, old_size, new_size);
    }
    std::optional<placement> block_starting_at(Offset address) const noexcept;    // O(log n)
    Size largest_free_block() const noexcept { return by_address_.largest(); }    // O(1): one node
    std::size_t free_block_count() const noexcept { return by_address_.size(); }  // O(1)
    block_range blocks() const noexcept { return {&by_address_.nodes(), by_address_.first()}; }
    std::size_t metadata_bytes() const noexcept { return by_address_.metadata_bytes() + by_size_.metadata_bytes(); }

    // BP1-BP6 of both trees (block_btree.hpp); TR1 blocks are non-empty and inside the capacity,
    // TR2 consecutive blocks never touch, TR3 the size index holds exactly the free blocks (and
    // is empty unless the fit is best). O(n log n); throws std::logic_error.
    void validate() const;

private:
    bool keeps_size_index() const noexcept { return fit_ == Fit::best; }
    // Each policy's choice as a position in the address tree; end_position when nothing fits.
    address_index::position first_fit_from(Offset lower, const fit_request& request) const noexcept;
    address_index::position worst_fit(const fit_request& request) const noexcept;
    address_index::position best_fit(const fit_request& request) const noexcept;

    void reserve_inserts(std::size_t inserts);   // may throw; then nothing changed
    void add(const free_block& block) noexcept;  // after reserve_inserts
    void remove(const free_block& block) noexcept;
    // `old_block`, at `at` in the address tree, becomes `fresh` (same place by address); after reserve_inserts.
    void reshape(address_index::position at, const free_block& old_block, const free_block& fresh) noexcept;

    address_index by_address_;  // every free block
    size_index by_size_;        // every free block when fit_ is best, else empty
    Size capacity_;             // units managed, [0, capacity_)
    Fit fit_;                   // placement policy of find
};

static_assert(free_space_index<free_tree>);

}  // namespace heapkit
