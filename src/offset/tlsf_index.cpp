// SPDX-License-Identifier: MIT
// heapkit::tlsf_index: two-level segregated fit over abstract units.
#include "heapkit/offset/tlsf_index.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

namespace heapkit {
namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::tlsf_index invariant ") + invariant + " broken: " + detail);
}

}  // namespace

tlsf_index::tlsf_index(Size capacity, Fit) : capacity_(capacity) {
    heads_.fill(nil);
    nodes_.push_back(node{0, 0, nil, nil, allocated_mark, nil});  // scratch
    if (capacity == 0) return;
    first_ = acquire();
    nodes_[first_] = node{0, capacity, nil, nil, nil, nil};
    file(first_);
}

std::optional<placement> tlsf_index::placement_in(link at, const fit_request& request) const noexcept {
    const free_block block{nodes_[at].start, nodes_[at].size};
    const std::optional<Offset> address = start_in(block, request);
    if (!address) return std::nullopt;
    return placement{block, *address, at};
}

// The head of the promising class when it satisfies the constraints (a phase needs no more than
// size + alignment - 1 units; a window or a boundary may refuse it), else every class that may
// hold the request, block by block.
std::optional<placement> tlsf_index::find_under_constraints(const fit_request& request) const noexcept {
    if (const std::optional<size_class> found = promising_class(request)) {
        if (std::optional<placement> head = placement_in(heads_[found->flat()], request)) return head;
    }
    return search_classes_from(class_holding(request.size), request);
}

std::optional<placement> tlsf_index::search_classes_from(size_class from, const fit_request& request) const noexcept {
    for (std::optional<size_class> klass = non_empty_.first_at_or_above(from); klass;) {
        for (link at = heads_[klass->flat()]; at != nil; at = nodes_[at].free_next) {
            if (const std::optional<placement> fitting = placement_in(at, request)) return fitting;
        }
        const std::size_t next = klass->flat() + 1;
        if (next == tlsf_class_count) break;
        klass = non_empty_.first_at_or_above(size_class::from_flat(next));
    }
    return std::nullopt;
}

bool tlsf_index::resize_in_place(handle& allocated, Offset address, Size old_size, Size new_size) {
    const link above = nodes_[allocated].next;
    const bool above_free = above != nil && is_free(above);
    if (new_size < old_size) {
        const Size freed = old_size - new_size;
        if (above_free) {
            unfile(above);
            nodes_[above].start -= freed;
            nodes_[above].size += freed;
            file(above);
        } else {
            const link tail = acquire();  // may throw: nothing changed yet
            nodes_[tail].start = address + new_size;
            nodes_[tail].size = freed;
            link_after(allocated, tail);
            file(tail);
        }
        nodes_[allocated].size = new_size;
        return true;
    }
    const Size extra = new_size - old_size;
    if (extra == 0) return true;
    if (!above_free || nodes_[above].size < extra) return false;
    unfile(above);
    if (nodes_[above].size == extra) {
        unchain(above);
        recycle(above);
    } else {
        nodes_[above].start += extra;
        nodes_[above].size -= extra;
        file(above);
    }
    nodes_[allocated].size = new_size;
    return true;
}

Size tlsf_index::largest_free_block() const noexcept {
    const std::optional<size_class> top = non_empty_.highest();
    if (!top) return 0;
    Size largest = 0;
    for (link at = heads_[top->flat()]; at != nil; at = nodes_[at].free_next) largest = std::max(largest, nodes_[at].size);
    return largest;
}

void tlsf_index::validate() const {
    std::size_t chained = 0;
    std::size_t free_in_chain = 0;
    Offset expected_start = 0;
    link previous = nil;
    for (link at = first_; at != nil; previous = at, at = nodes_[at].next) {
        if (at == scratch || at >= nodes_.size() || ++chained > nodes_.size())
            broken("TL1", "the chain runs off its storage or loops");
        const node& here = nodes_[at];
        if (here.previous != previous) broken("TL1", "previous link of the block at " + std::to_string(here.start));
        if (here.start != expected_start || here.size == 0 || here.size > capacity_ - here.start) {
            broken("TL1", "block at " + std::to_string(here.start) + " leaves a gap, is empty or passes the capacity");
        }
        expected_start = here.start + here.size;
        if (!is_free(at)) continue;
        ++free_in_chain;
        if (previous != nil && is_free(previous)) broken("TL2", "free blocks touch at " + std::to_string(here.start));
    }
    if (capacity_ > 0 && expected_start != capacity_) broken("TL1", "the chain stops at " + std::to_string(expected_start));
    std::size_t filed = 0;
    for (std::size_t flat = 0; flat < tlsf_class_count; ++flat) {
        const size_class klass = size_class::from_flat(flat);
        if (non_empty_.marked(klass) != (heads_[flat] != nil))
            broken("TL4", "bitmap disagrees with class " + std::to_string(flat));
        if (klass.second == 0) {
            bool any = false;
            for (unsigned second = 0; second < second_level_count; ++second) any = any || heads_[flat + second] != nil;
            if (non_empty_.any_in_first_level(klass.first) != any)
                broken("TL4", "first-level bit " + std::to_string(klass.first));
        }
        link before = nil;
        for (link at = heads_[flat]; at != nil; before = at, at = nodes_[at].free_next) {
            if (at == scratch || at >= nodes_.size() || ++filed > nodes_.size())
                broken("TL3", "a class list runs off its storage or loops");
            if (nodes_[at].free_previous != before)
                broken("TL3", "free_previous of the block at " + std::to_string(nodes_[at].start));
            if (class_holding(nodes_[at].size).flat() != flat)
                broken("TL3", "block at " + std::to_string(nodes_[at].start) + " is in the wrong class");
        }
    }
    if (filed != free_count_ || free_in_chain != free_count_) {
        broken("TL3", std::to_string(filed) + " filed, " + std::to_string(free_in_chain) + " free in the chain, count " +
                          std::to_string(free_count_));
    }
    std::size_t spare = 0;
    for (link at = spare_; at != nil; at = nodes_[at].next) {
        if (at == scratch || at >= nodes_.size() || ++spare > nodes_.size())
            broken("TL5", "the spare chain runs off its storage or loops");
    }
    if (chained + spare + 1 != nodes_.size()) broken("TL5", "nodes are neither chained, spare nor scratch");
}

}  // namespace heapkit
