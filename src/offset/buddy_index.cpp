// SPDX-License-Identifier: MIT
// heapkit::buddy_index: the binary buddy system over abstract units.
#include "heapkit/offset/buddy_index.hpp"

#include <algorithm>
#include <bit>
#include <new>
#include <stdexcept>
#include <string>

namespace heapkit {
namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::buddy_index invariant ") + invariant + " broken: " + detail);
}

constexpr Size block_units(unsigned order) noexcept { return Size{1} << order; }

// Whether the pair of buddies of `order` around `start` lies inside the capacity, so that they
// may merge into one block of order + 1.
constexpr bool pair_fits(Offset start, unsigned order, Size capacity) noexcept {
    if (order >= 63) return false;  // a block of 2^64 units cannot exist
    const Offset base = start & ~(block_units(order + 1) - 1);
    return block_units(order + 1) <= capacity - base;
}

// The order of the largest block that starts at `at`, is aligned to its size and ends within
// the capacity: how the first free blocks tile a capacity that is not a power of two.
unsigned tile_order(Offset at, Size capacity) noexcept {
    const auto fits = static_cast<unsigned>(std::bit_width(capacity - at) - 1);
    if (at == 0) return fits;
    return std::min(static_cast<unsigned>(std::countr_zero(at)), fits);
}

}  // namespace

buddy_index::buddy_index(Size capacity, Fit) : capacity_(capacity) {
    heads_.fill(nil);
    for (Offset at = 0; at < capacity;) {
        const unsigned order = tile_order(at, capacity);
        reserve_for(1);
        file(acquire(at, order));
        at += block_units(order);  // at most the capacity, below 2^64
    }
}

unsigned buddy_index::order_for(Size size, Size alignment) noexcept {
    const Size needed = std::max(size, alignment);
    if (needed > block_units(63)) return no_order;
    return static_cast<unsigned>(std::bit_width(needed - 1));
}

std::optional<placement> buddy_index::find(const fit_request& request) const noexcept {
    const unsigned order = order_for(request.size, request.alignment);
    if (order == no_order) return std::nullopt;
    const std::uint64_t candidates = non_empty_ & (~std::uint64_t{0} << order);
    if (candidates == 0) return std::nullopt;
    const link at = heads_[static_cast<unsigned>(std::countr_zero(candidates))];
    // The node name carries the order to split down to in its high half.
    return placement{{nodes_[at].start, block_units(nodes_[at].order)}, nodes_[at].start, (std::size_t{order} << 32) | at};
}

buddy_index::handle buddy_index::take(const placement& chosen, Size) {
    const auto at = static_cast<link>(chosen.node & 0xFFFFFFFFu);
    const auto order = static_cast<unsigned>(chosen.node >> 32);
    const unsigned from = nodes_[at].order;
    reserve_for(from - order);  // may throw: nothing changed yet
    const Offset start = nodes_[at].start;
    unfile(at);
    for (unsigned half = from; half-- > order;) file(acquire(start + block_units(half), half));
    return static_cast<handle>(order);
}

void buddy_index::release(handle order, Offset address, Size) {
    reserve_for(1);  // may throw: nothing changed yet
    unsigned merged = order;
    while (pair_fits(address, merged, capacity_)) {
        const detail::offset_map<link>::slot* buddy = free_at_.find(address ^ block_units(merged));
        if (buddy == nullptr || nodes_[buddy->value].order != merged) break;
        unfile(buddy->value);
        address &= ~block_units(merged);
        ++merged;
    }
    file(acquire(address, merged));
}

bool buddy_index::resize_in_place(handle& order, Offset address, Size, Size new_size) {
    const unsigned needed = order_for(new_size, 1);
    if (needed > order) return false;
    reserve_for(order - needed);  // may throw: nothing changed yet
    // The upper halves freed here have allocated buddies (the lower halves), so none merges.
    for (unsigned half = order; half-- > needed;) file(acquire(address + block_units(half), half));
    order = static_cast<handle>(needed);
    return true;
}

Size buddy_index::largest_free_block() const noexcept {
    if (non_empty_ == 0) return 0;
    return block_units(static_cast<unsigned>(63 - std::countl_zero(non_empty_)));
}

std::vector<free_block> buddy_index::blocks() const {
    std::vector<free_block> free;
    free.reserve(count_);
    for (const link head : heads_) {
        for (link at = head; at != nil; at = nodes_[at].next) free.push_back({nodes_[at].start, block_units(nodes_[at].order)});
    }
    std::sort(free.begin(), free.end(), [](const free_block& a, const free_block& b) { return a.start < b.start; });
    return free;
}

void buddy_index::reserve_for(std::size_t more_blocks) {
    free_at_.reserve(count_ + more_blocks);
    if (spare_count_ >= more_blocks) return;
    const std::size_t needed = nodes_.size() + more_blocks - spare_count_;
    if (needed >= nil) throw std::bad_alloc();  // 32-bit links are exhausted
    // Geometric growth: reserving exactly what is needed copied the whole array each time the
    // spares ran out (freeing 300k blocks one by one took 13 s, nearly all of it in memmove).
    if (needed > nodes_.capacity()) nodes_.reserve(std::max(needed, std::min<std::size_t>(2 * nodes_.capacity(), nil)));
}

buddy_index::link buddy_index::acquire(Offset start, unsigned order) {
    link fresh = spare_;
    if (fresh == nil) {
        nodes_.push_back({});
        fresh = static_cast<link>(nodes_.size() - 1);
    } else {
        spare_ = nodes_[fresh].next;
        --spare_count_;
    }
    nodes_[fresh] = node{start, nil, nil, static_cast<std::uint8_t>(order)};
    return fresh;
}

void buddy_index::file(link at) noexcept {
    node& block = nodes_[at];
    link& head = heads_[block.order];
    block.previous = nil;
    block.next = head;
    if (head != nil) nodes_[head].previous = at;
    head = at;
    non_empty_ |= std::uint64_t{1} << block.order;
    free_at_.insert(block.start, at);  // room was reserved
    ++count_;
}

void buddy_index::unfile(link at) noexcept {
    node& block = nodes_[at];
    if (block.previous == nil) {
        heads_[block.order] = block.next;
        if (block.next == nil) non_empty_ &= ~(std::uint64_t{1} << block.order);
    } else {
        nodes_[block.previous].next = block.next;
    }
    if (block.next != nil) nodes_[block.next].previous = block.previous;
    free_at_.erase(free_at_.find(block.start));
    block.next = spare_;
    spare_ = at;
    ++spare_count_;
    --count_;
}

void buddy_index::validate() const {
    free_at_.validate();
    std::size_t listed = 0;
    for (unsigned order = 0; order < 64; ++order) {
        if (((non_empty_ >> order) & 1u) != (heads_[order] != nil)) broken("BD4", "bitmap of order " + std::to_string(order));
        link previous = nil;
        for (link at = heads_[order]; at != nil; previous = at, at = nodes_[at].next) {
            if (at >= nodes_.size() || ++listed > nodes_.size()) broken("BD4", "a list runs off its storage or loops");
            const node& block = nodes_[at];
            const std::string where = "block at " + std::to_string(block.start);
            if (block.previous != previous || block.order != order) broken("BD1", where + " is linked wrongly");
            if (block.start % block_units(order) != 0 || block_units(order) > capacity_ - block.start) {
                broken("BD1", where + " is misaligned or passes the capacity");
            }
            const auto* mapped = free_at_.find(block.start);
            if (mapped == nullptr || mapped->value != at) broken("BD1", where + " is not in the map");
            if (pair_fits(block.start, order, capacity_)) {
                const auto* buddy = free_at_.find(block.start ^ block_units(order));
                if (buddy != nullptr && nodes_[buddy->value].order == order) broken("BD2", where + " has a free buddy");
            }
        }
    }
    if (listed != count_ || free_at_.size() != count_) broken("BD4", "free block counts disagree");
    const std::vector<free_block> free = blocks();
    for (std::size_t i = 1; i < free.size(); ++i) {
        if (free[i - 1].start + free[i - 1].size > free[i].start)
            broken("BD3", "blocks overlap at " + std::to_string(free[i].start));
    }
    std::size_t spare = 0;
    for (link at = spare_; at != nil; at = nodes_[at].next) {
        if (at >= nodes_.size() || ++spare > nodes_.size()) broken("BD4", "the spare chain runs off its storage or loops");
    }
    if (spare != spare_count_ || count_ + spare != nodes_.size()) broken("BD4", "nodes are neither filed nor spare");
}

}  // namespace heapkit
