// SPDX-License-Identifier: MIT
// heapkit::free_tree: free blocks in a treap by address augmented with subtree maxima.
#include "heapkit/offset/free_tree.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

namespace heapkit {

using detail::link;
using detail::nil;

namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::free_tree invariant ") + invariant + " broken: " + detail);
}

}  // namespace

bool free_tree::address_shape::recompute(std::vector<node>& nodes, link at) noexcept {
    node& here = nodes[at];
    Size largest = here.size;
    if (here.by_address.left != nil) largest = std::max(largest, nodes[here.by_address.left].subtree_max);
    if (here.by_address.right != nil) largest = std::max(largest, nodes[here.by_address.right].subtree_max);
    const bool changed = here.subtree_max != largest;
    here.subtree_max = largest;
    return changed;
}

link free_tree::walk::next(const std::vector<node>& nodes, link at) noexcept { return address_tree::successor(nodes, at); }

free_tree::free_tree(Size capacity, Fit fit) : capacity_(capacity), fit_(fit) {
    if (capacity > 0) link_node(acquire(0, capacity), nil);
}

free_tree::block_range free_tree::blocks() const noexcept {
    return {&nodes_, address_tree::first(nodes_, by_address_.root())};
}

Size free_tree::largest_free_block() const noexcept {
    return by_address_.root() == nil ? 0 : nodes_[by_address_.root()].subtree_max;
}

bool free_tree::fits(link at, const fit_request& request) const noexcept {
    return aligned_start_in({nodes_[at].start, nodes_[at].size}, request.size, request.alignment).has_value();
}

std::optional<placement> free_tree::find(const fit_request& request) const noexcept {
    if (request.size > largest_free_block()) return std::nullopt;  // O(1) failure
    link chosen = nil;
    switch (fit_) {
        case Fit::first: chosen = first_fit(request); break;
        case Fit::next:
            chosen = first_fit_from(by_address_.root(), request.rover, request);
            if (chosen == nil) chosen = first_fit(request);
            break;
        case Fit::best: chosen = best_fit(request); break;
        case Fit::worst: chosen = worst_fit(request); break;
    }
    if (chosen == nil) return std::nullopt;
    const free_block block{nodes_[chosen].start, nodes_[chosen].size};
    return placement{block, *aligned_start_in(block, request.size, request.alignment), chosen};
}

link free_tree::first_fit(const fit_request& request) const noexcept {
    if (request.alignment > 1) return first_fit_from(by_address_.root(), 0, request);
    // Without alignment every block of at least the size fits, so the subtree maxima say where
    // the lowest fit is and one descent finds it.
    for (link at = by_address_.root(); at != nil;) {
        const node& here = nodes_[at];
        if (here.by_address.left != nil && nodes_[here.by_address.left].subtree_max >= request.size) {
            at = here.by_address.left;
        } else if (here.size >= request.size) {
            return at;
        } else {
            at = here.by_address.right;
        }
    }
    return nil;
}

// The lowest-addressed block at or after `lower` in the subtree of `at` that fits.
link free_tree::first_fit_from(link at, Offset lower, const fit_request& request) const noexcept {
    if (at == nil || nodes_[at].subtree_max < request.size) return nil;  // nothing here is large enough
    const node& here = nodes_[at];
    if (here.start < lower) return first_fit_from(here.by_address.right, lower, request);
    if (const link found = first_fit_from(here.by_address.left, lower, request); found != nil) return found;
    if (fits(at, request)) return at;
    return first_fit_from(here.by_address.right, lower, request);
}

link free_tree::worst_fit(const fit_request& request) const noexcept {
    // The lowest-addressed block of the largest size: follow the subtree maxima down.
    const Size largest = largest_free_block();
    link at = by_address_.root();
    for (;;) {
        const node& here = nodes_[at];
        if (here.by_address.left != nil && nodes_[here.by_address.left].subtree_max == largest) {
            at = here.by_address.left;
        } else if (here.size == largest) {
            break;
        } else {
            at = here.by_address.right;
        }
    }
    if (fits(at, request)) return at;
    // Alignment near miss: the largest block that fits among those large enough before alignment.
    link chosen = nil;
    largest_fitting(by_address_.root(), request, chosen);
    return chosen;
}

// In address order, so a strictly larger size is needed to replace `chosen`: ties keep the
// lowest address.
void free_tree::largest_fitting(link at, const fit_request& request, link& chosen) const noexcept {
    if (at == nil || nodes_[at].subtree_max < request.size) return;
    largest_fitting(nodes_[at].by_address.left, request, chosen);
    if (fits(at, request) && (chosen == nil || nodes_[at].size > nodes_[chosen].size)) chosen = at;
    largest_fitting(nodes_[at].by_address.right, request, chosen);
}

link free_tree::best_fit(const fit_request& request) const noexcept {
    link candidate = nil;  // the first node in (size, address) order with size >= request.size
    for (link at = by_size_.root(); at != nil;) {
        if (nodes_[at].size >= request.size) {
            candidate = at;
            at = nodes_[at].by_size.left;
        } else {
            at = nodes_[at].by_size.right;
        }
    }
    while (candidate != nil && !fits(candidate, request)) candidate = size_tree::successor(nodes_, candidate);
    return candidate;
}

std::optional<placement> free_tree::block_starting_at(Offset address) const noexcept {
    for (link at = by_address_.root(); at != nil;) {
        const node& here = nodes_[at];
        if (here.start == address) return placement{{here.start, here.size}, address, at};
        at = address < here.start ? here.by_address.left : here.by_address.right;
    }
    return std::nullopt;
}

free_tree::handle free_tree::take(const placement& chosen, Size size) {
    const link at = static_cast<link>(chosen.node);
    const Size gap = chosen.address - chosen.block.start;
    const Offset request_end = chosen.address + size;
    const Size tail = chosen.block.start + chosen.block.size - request_end;
    if (gap == 0 && tail == 0) {
        unlink_node(at);
    } else if (gap == 0) {
        reshape(at, request_end, tail);
    } else if (tail == 0) {
        reshape(at, chosen.block.start, gap);
    } else {
        const link fresh = acquire(request_end, tail);  // may throw; nothing changed yet
        reshape(at, chosen.block.start, gap);
        link_node(fresh, by_address_.leaf_for(nodes_, fresh));
    }
    return {};
}

void free_tree::release(handle, Offset address, Size size) {
    link before = nil;  // the block with the largest start below address
    link after = nil;   // the block with the smallest start above it
    link leaf = nil;    // where the descent ended: the parent of a new block for the range
    for (link at = by_address_.root(); at != nil;) {
        leaf = at;
        if (nodes_[at].start < address) {
            before = at;
            at = nodes_[at].by_address.right;
        } else {
            after = at;
            at = nodes_[at].by_address.left;
        }
    }
    const bool merge_before = before != nil && nodes_[before].start + nodes_[before].size == address;
    const bool merge_after = after != nil && nodes_[after].start == address + size;
    if (merge_before && merge_after) {
        const Size merged = nodes_[before].size + size + nodes_[after].size;
        unlink_node(after);
        reshape(before, nodes_[before].start, merged);
    } else if (merge_before) {
        reshape(before, nodes_[before].start, nodes_[before].size + size);
    } else if (merge_after) {
        reshape(after, address, nodes_[after].size + size);
    } else {
        link_node(acquire(address, size), leaf);
    }
}

link free_tree::acquire(Offset start, Size size) {
    link fresh = spare_;
    if (fresh == nil) {
        if (nodes_.size() >= nil) throw std::bad_alloc();  // 32-bit links are exhausted
        nodes_.emplace_back();
        fresh = static_cast<link>(nodes_.size() - 1);
    } else {
        spare_ = nodes_[fresh].by_address.left;
    }
    priority_state_ ^= priority_state_ << 13;
    priority_state_ ^= priority_state_ >> 7;
    priority_state_ ^= priority_state_ << 17;
    nodes_[fresh] = node{start, size, size, {}, {}, static_cast<std::uint32_t>(priority_state_ >> 32)};
    return fresh;
}

void free_tree::link_node(link at, link leaf) noexcept {
    by_address_.insert_below(nodes_, at, leaf);
    if (keeps_size_tree()) by_size_.insert(nodes_, at);
    ++count_;
}

void free_tree::unlink_node(link at) noexcept {
    by_address_.erase(nodes_, at);
    if (keeps_size_tree()) by_size_.erase(nodes_, at);
    nodes_[at].by_address.left = spare_;
    spare_ = at;
    --count_;
}

void free_tree::reshape(link at, Offset start, Size size) noexcept {
    if (keeps_size_tree()) by_size_.erase(nodes_, at);
    nodes_[at].start = start;
    nodes_[at].size = size;
    address_tree::refresh_while_changing(nodes_, at);
    if (keeps_size_tree()) by_size_.insert(nodes_, at);
}

void free_tree::validate() const {
    const std::vector<link> in_order = by_address_.validate(nodes_, count_, "free_tree");
    if (keeps_size_tree()) {
        by_size_.validate(nodes_, count_, "free_tree size index");
    } else if (by_size_.root() != nil) {
        broken("TP4", "a size index is kept without best fit");
    }
    for (std::size_t i = 0; i < in_order.size(); ++i) {
        const node& here = nodes_[in_order[i]];
        if (here.size == 0 || here.start >= capacity_ || here.size > capacity_ - here.start) {
            broken("TR1", "block at " + std::to_string(here.start) + " is empty or passes the capacity");
        }
        if (i > 0 && nodes_[in_order[i - 1]].start + nodes_[in_order[i - 1]].size >= here.start) {
            broken("TR2", "block at " + std::to_string(here.start) + " overlaps or touches the one before");
        }
        Size largest = here.size;
        for (const link child : {here.by_address.left, here.by_address.right}) {
            if (child != nil) largest = std::max(largest, nodes_[child].subtree_max);
        }
        if (here.subtree_max != largest) broken("TR3", "subtree_max of the block at " + std::to_string(here.start));
    }
    std::size_t spare = 0;
    for (link at = spare_; at != nil; at = nodes_[at].by_address.left) {
        if (at >= nodes_.size() || ++spare > nodes_.size()) broken("TR4", "the spare chain runs off its storage or loops");
    }
    if (count_ + spare != nodes_.size()) broken("TR4", "nodes are neither linked nor spare");
}

}  // namespace heapkit
