// SPDX-License-Identifier: MIT
// heapkit::detail::node_walk: the range an index's blocks() returns, walking nodes kept in a
// vector and linked by index. Walk says what a node looks like as a free_block, which node comes
// next (Walk::end when none), and optionally how to skip nodes that are not free blocks.
#pragma once

#include <cstddef>
#include <iterator>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

// Walk requirements (all static):
//   Link end                                              no node
//   free_block block(const std::vector<Node>&, Link)      the node as a free block
//   Link next(const std::vector<Node>&, Link)             the node after it, or end
//   Link settle(const std::vector<Node>&, Link)           optional: the first free block at or after it
template <class Node, class Link, class Walk>
class node_walk {
public:
    class iterator {
    public:
        using value_type = free_block;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(const std::vector<Node>* nodes, Link at) noexcept : nodes_(nodes), at_(at) {}
        free_block operator*() const noexcept { return Walk::block(*nodes_, at_); }
        iterator& operator++() noexcept {
            at_ = Walk::next(*nodes_, at_);
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_ == b.at_; }

    private:
        const std::vector<Node>* nodes_ = nullptr;
        Link at_ = Walk::end;
    };

    node_walk(const std::vector<Node>* nodes, Link first) noexcept : nodes_(nodes), first_(first) {
        if constexpr (requires { Walk::settle(*nodes, first); }) {
            if (first_ != Walk::end) first_ = Walk::settle(*nodes, first_);
        }
    }
    iterator begin() const noexcept { return {nodes_, first_}; }
    iterator end() const noexcept { return {nodes_, Walk::end}; }

private:
    const std::vector<Node>* nodes_;
    Link first_;
};

}  // namespace heapkit::detail
