// SPDX-License-Identifier: MIT
// The ring: allocations at the top of the used region, reclaimed from either end.
#include "heapkit/offset/ring_index.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace heapkit {

namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::ring_index invariant ") + invariant + " broken: " + detail);
}

}  // namespace

ring_index::ring_index(Size capacity, Fit) : capacity_(capacity) {}

free_block ring_index::top_region() const noexcept {
    if (entries_.empty()) return {0, capacity_};
    const Offset newest_end = entries_.back().start + entries_.back().size;
    const Offset limit = wrapped() ? entries_.front().start : capacity_;
    return {newest_end, limit - newest_end};
}

free_block ring_index::wrap_region() const noexcept {
    if (entries_.empty() || wrapped()) return {0, 0};
    return {0, entries_.front().start};
}

std::optional<placement> ring_index::find(const fit_request& request) const noexcept {
    for (const free_block region : {top_region(), wrap_region()}) {
        if (region.size == 0) continue;
        if (const std::optional<Offset> start = aligned_start_in(region, request.size, request.alignment))
            return placement{region, *start, 0};
    }
    return std::nullopt;
}

ring_index::handle ring_index::take(const placement& chosen, Size size) {
    entries_.push_back({chosen.address, size, true});
    return {first_sequence_ + entries_.size() - 1};
}

void ring_index::release(handle held, Offset, Size) {
    entry_of(held).live = false;
    while (!entries_.empty() && !entries_.front().live) {
        entries_.pop_front();
        ++first_sequence_;
    }
    while (!entries_.empty() && !entries_.back().live) entries_.pop_back();
}

bool ring_index::resize_in_place(handle& held, Offset address, Size old_size, Size new_size) {
    entry& resized = entry_of(held);
    if (new_size <= old_size) {
        resized.size = new_size;
        return true;
    }
    const bool newest = held.sequence == first_sequence_ + entries_.size() - 1;
    if (!newest) return false;
    const free_block after = top_region();
    if (after.start != address + old_size || after.size < new_size - old_size) return false;
    resized.size = new_size;
    return true;
}

std::vector<free_block> ring_index::blocks() const {
    // The live allocations in address order: after the wrap point they lie below the oldest.
    std::vector<free_block> live;
    live.reserve(entries_.size());
    for (const entry& each : entries_) {
        if (each.live) live.push_back({each.start, each.size});
    }
    std::rotate(live.begin(),
                std::is_sorted_until(live.begin(), live.end(),
                                     [](const free_block& a, const free_block& b) { return a.start < b.start; }),
                live.end());
    std::vector<free_block> free;
    Offset from = 0;
    for (const free_block& held : live) {
        if (held.start > from) free.push_back({from, held.start - from});
        from = held.start + held.size;
    }
    if (from < capacity_) free.push_back({from, capacity_ - from});
    return free;
}

Size ring_index::largest_free_block() const {
    Size largest = 0;
    for (const free_block& block : blocks()) largest = std::max(largest, block.size);
    return largest;
}

void ring_index::validate() const {
    bool wrapped_yet = false;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const entry& each = entries_[i];
        if (each.size == 0 || each.start >= capacity_ || each.size > capacity_ - each.start)
            broken("RG1", "allocation at " + std::to_string(each.start) + " is empty or passes the capacity");
        if (i == 0) continue;
        const entry& before = entries_[i - 1];
        const bool follows = each.start >= before.start + before.size;
        if (!follows && (wrapped_yet || each.start + each.size > entries_.front().start))
            broken("RG1", "allocation at " + std::to_string(each.start) + " is out of ring order");
        if (!follows) wrapped_yet = true;
        if (wrapped_yet && each.start + each.size > entries_.front().start)
            broken("RG1", "allocation at " + std::to_string(each.start) + " reaches the oldest");
    }
    if (!entries_.empty() && (!entries_.front().live || !entries_.back().live))
        broken("RG2", "a freed allocation at an end was not reclaimed");
}

}  // namespace heapkit
