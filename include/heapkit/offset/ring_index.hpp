// SPDX-License-Identifier: MIT
// heapkit::ring_index: the linear allocator of GPU upload heaps and command buffers (VMA's linear
// algorithm used as a ring). Allocations are carved from the top of the used region, one after
// another; frees come in any order, but the space of a freed allocation is reclaimed only when it
// is the oldest one (or the newest: a stack's pop); when the top of the range is too small and
// the oldest allocations are gone, the next allocation wraps to address 0. So a free in the middle
// leaves free units that no allocation takes until everything older is freed: the price of O(1)
// find, take and release with no search at all.
// The allocations sit in a deque in the order they were made, named by a sequence number (the
// handle). blocks(), largest_free_block() and free_block_count() walk them: O(n). The Fit given to
// the constructor is not used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class ring_index {
public:
    // The allocation's place in the order of allocation: its sequence number.
    struct handle {
        std::uint64_t sequence = 0;
        friend bool operator==(handle, handle) = default;
    };
    static constexpr bool places_by_fit = false;  // always at the top of the used region, or at 0 on wrapping

    explicit ring_index(Size capacity, Fit unused_fit = Fit::first);

    // The free region after the newest allocation, else (when the oldest has left room below
    // it) the region from 0 to the oldest; nothing when neither holds the aligned request. O(1).
    std::optional<placement> find(const fit_request& request) const noexcept;
    // Appends the allocation as the newest. O(1) amortized; may throw std::bad_alloc.
    handle take(const placement& chosen, Size size);
    // Marks the allocation freed, and reclaims every freed allocation at either end. O(1)
    // amortized (each allocation is reclaimed once).
    void release(handle held, Offset address, Size size);
    // Shrinks any allocation (its tail is free; reclaimed with it); grows only the newest, into
    // the free region after it.
    bool resize_in_place(handle& held, Offset address, Size old_size, Size new_size);
    Size largest_free_block() const;                                  // O(n)
    std::size_t free_block_count() const { return blocks().size(); }  // O(n)
    // Every free unit, as maximal runs in address order, those not yet reclaimed included. O(n).
    std::vector<free_block> blocks() const;
    std::size_t metadata_bytes() const noexcept { return entries_.size() * sizeof(entry); }

    // RG1 the entries are non-empty, inside the capacity, and follow each other in ring order
    // (each starts at or after the end of the one before, except once, at the wrap, where it
    // starts below the oldest and the rest stay below it); RG2 the oldest and the newest are
    // live (freed ones at the ends are reclaimed). O(n); throws std::logic_error.
    void validate() const;

private:
    struct entry {
        Offset start;
        Size size;
        bool live;
    };

    bool wrapped() const noexcept { return !entries_.empty() && entries_.back().start < entries_.front().start; }
    entry& entry_of(handle held) noexcept { return entries_[static_cast<std::size_t>(held.sequence - first_sequence_)]; }
    // The free region where the next allocation may go first, and the one it wraps to (empty when
    // there is none).
    free_block top_region() const noexcept;
    free_block wrap_region() const noexcept;

    std::deque<entry> entries_;         // in the order of allocation: the oldest first
    std::uint64_t first_sequence_ = 0;  // the sequence number of entries_.front()
    Size capacity_;
};

static_assert(free_space_index<ring_index>);

}  // namespace heapkit
