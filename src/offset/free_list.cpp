// SPDX-License-Identifier: MIT
// heapkit::free_list: the seed's address-ordered doubly-linked list of free blocks.
#include "heapkit/offset/free_list.hpp"

#include <stdexcept>
#include <string>

#include "heapkit/offset/detail/lean_growth.hpp"

namespace heapkit {
namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::free_list invariant ") + invariant + " broken: " + detail);
}

}  // namespace

free_list::free_list(Size capacity, Fit fit) : capacity_(capacity), fit_(fit) {
    if (capacity > 0) link_after(none, acquire_node(0, capacity));
}

std::optional<placement> free_list::find(const fit_request& request) const noexcept {
    std::optional<placement> chosen;  // best so far (best, worst) or the wrapped candidate (next)
    for (node_index at = head_; at != none; at = nodes_[at].next) {
        const free_block block{nodes_[at].start, nodes_[at].size};
        const std::optional<Offset> address = start_in(block, request);
        if (!address) continue;
        const placement here{block, *address, at};
        switch (fit_) {
            case Fit::first: return here;
            case Fit::next:
                // The first fit at or after the rover wins; before it, remember the first fit
                // from address 0 in case nothing after the rover fits.
                if (block.start >= request.rover) return here;
                if (!chosen) chosen = here;
                break;
            case Fit::best:  // strict comparisons keep the lowest address on ties
                if (!chosen || block.size < chosen->block.size) chosen = here;
                break;
            case Fit::worst:
                if (!chosen || block.size > chosen->block.size) chosen = here;
                break;
        }
    }
    return chosen;
}

free_list::handle free_list::take(const placement& chosen, Size size) {
    const node_index at = chosen.node;
    const Size gap = chosen.address - chosen.block.start;
    const Offset request_end = chosen.address + size;
    const Size tail = chosen.block.start + chosen.block.size - request_end;
    if (gap == 0 && tail == 0) {
        unlink(at);  // exact fit: the seed removes the node
    } else if (gap == 0) {
        nodes_[at].start = request_end;  // the seed's split: the node keeps the tail
        nodes_[at].size = tail;
    } else if (tail == 0) {
        nodes_[at].size = gap;  // only the alignment gap stays free
    } else {
        const node_index fresh = acquire_node(request_end, tail);  // may throw; nothing changed yet
        nodes_[at].size = gap;
        link_after(at, fresh);
    }
    return {};
}

void free_list::release(handle, Offset address, Size size) {
    node_index previous = none;
    node_index current = head_;
    while (current != none && nodes_[current].start < address) {
        previous = current;
        current = nodes_[current].next;
    }
    const Offset freed_end = address + size;
    const bool merge_previous = previous != none && nodes_[previous].start + nodes_[previous].size == address;
    const bool merge_next = current != none && nodes_[current].start == freed_end;
    if (merge_previous && merge_next) {
        nodes_[previous].size += size + nodes_[current].size;
        unlink(current);
    } else if (merge_previous) {
        nodes_[previous].size += size;
    } else if (merge_next) {
        nodes_[current].start = address;
        nodes_[current].size += size;
    } else {
        link_after(previous, acquire_node(address, size));
    }
}

std::optional<placement> free_list::block_starting_at(Offset address) const noexcept {
    for (node_index at = head_; at != none && nodes_[at].start <= address; at = nodes_[at].next) {
        if (nodes_[at].start == address) return placement{{nodes_[at].start, nodes_[at].size}, address, at};
    }
    return std::nullopt;
}

Size free_list::largest_free_block() const noexcept {
    Size largest = 0;
    for (node_index at = head_; at != none; at = nodes_[at].next) {
        if (nodes_[at].size > largest) largest = nodes_[at].size;
    }
    return largest;
}

free_list::node_index free_list::acquire_node(Offset start, Size size) {
    if (spare_ == none) {
        detail::room_for_one_more(nodes_);
        nodes_.push_back(node{start, size, none, none});
        return nodes_.size() - 1;
    }
    const node_index reused = spare_;
    spare_ = nodes_[reused].next;
    nodes_[reused] = node{start, size, none, none};
    return reused;
}

void free_list::link_after(node_index previous, node_index fresh) noexcept {
    const node_index following = previous == none ? head_ : nodes_[previous].next;
    nodes_[fresh].prev = previous;
    nodes_[fresh].next = following;
    if (following != none) nodes_[following].prev = fresh;
    if (previous == none) {
        head_ = fresh;
    } else {
        nodes_[previous].next = fresh;
    }
    ++count_;
}

void free_list::unlink(node_index index) noexcept {
    node& gone = nodes_[index];
    if (gone.prev == none) {
        head_ = gone.next;
    } else {
        nodes_[gone.prev].next = gone.next;
    }
    if (gone.next != none) nodes_[gone.next].prev = gone.prev;
    gone.next = spare_;
    gone.prev = none;
    spare_ = index;
    --count_;
}

void free_list::validate() const {
    std::size_t linked = 0;
    node_index previous = none;
    for (node_index at = head_; at != none; previous = at, at = nodes_[at].next) {
        if (at >= nodes_.size() || ++linked > nodes_.size()) broken("FL4", "the list runs off its storage or loops");
        const node& here = nodes_[at];
        if (here.prev != previous) broken("FL1", "prev of the block at " + std::to_string(here.start) + " is wrong");
        if (here.size == 0) broken("FL2", "empty block at " + std::to_string(here.start));
        if (here.start >= capacity_ || here.size > capacity_ - here.start) {
            broken("FL2", "block at " + std::to_string(here.start) + " passes the capacity");
        }
        if (previous != none && nodes_[previous].start + nodes_[previous].size >= here.start) {
            broken("FL3", "block at " + std::to_string(here.start) + " overlaps or touches the one before");
        }
    }
    if (linked != count_) broken("FL4", "count is " + std::to_string(count_) + ", list holds " + std::to_string(linked));
    std::size_t spare = 0;
    for (node_index at = spare_; at != none; at = nodes_[at].next) {
        if (at >= nodes_.size() || ++spare > nodes_.size()) broken("FL4", "the spare chain runs off its storage or loops");
    }
    if (linked + spare != nodes_.size()) broken("FL4", "nodes are neither linked nor spare");
}

}  // namespace heapkit
