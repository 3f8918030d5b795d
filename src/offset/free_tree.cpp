// SPDX-License-Identifier: MIT
// heapkit::free_tree: free blocks in a B+ tree by address augmented with each child's largest size.
#include "heapkit/offset/free_tree.hpp"

#include <stdexcept>
#include <string>

namespace heapkit {

namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::free_tree invariant ") + invariant + " broken: " + detail);
}

bool fits(const free_block& block, const fit_request& request) noexcept { return start_in(block, request).has_value(); }

}  // namespace

free_tree::free_tree(Size capacity, Fit fit) : capacity_(capacity), fit_(fit) {
    if (capacity == 0) return;
    reserve_inserts(1);
    add({0, capacity});
}

std::optional<placement> free_tree::find(const fit_request& request) const noexcept {
    if (request.size > largest_free_block()) return std::nullopt;  // O(1) failure
    // The placement names the block by its position in the address tree, so that take, which
    // follows with no change in between, updates it without searching again.
    address_index::position chosen = address_index::end_position;
    switch (fit_) {
        case Fit::first: chosen = first_fit_from(0, request); break;
        case Fit::next:
            chosen = first_fit_from(request.rover, request);
            if (chosen == address_index::end_position) chosen = first_fit_from(0, request);
            break;
        case Fit::best: chosen = best_fit(request); break;
        case Fit::worst: chosen = worst_fit(request); break;
    }
    if (chosen == address_index::end_position) return std::nullopt;
    const free_block block = by_address_.at(chosen);
    return placement{block, *start_in(block, request), static_cast<std::size_t>(chosen)};
}

// The lowest-addressed block starting at or after `lower` that fits. Without alignment every
// block of at least the size fits, so the largest sizes say where it is and one descent finds it.
// Under a window no block starting past max_address - size can fit, so the search stops there.
free_tree::address_index::position free_tree::first_fit_from(Offset lower, const fit_request& request) const noexcept {
    const Offset upper = request.wanted == nullptr ? ~Offset{0} : request.wanted->max_address - request.size + 1;
    return by_address_.first_where(request.size, lower, upper, [&](const free_block& block) { return fits(block, request); });
}

free_tree::address_index::position free_tree::worst_fit(const fit_request& request) const noexcept {
    // The lowest-addressed block of the largest size: follow the largest sizes down.
    const address_index::position widest =
        by_address_.first_where(largest_free_block(), 0, ~Offset{0}, [](const free_block&) { return true; });
    if (fits(by_address_.at(widest), request)) return widest;
    // Alignment near miss: the largest block that fits among those large enough before alignment,
    // in address order, so a strictly larger size is needed to replace the choice (ties keep the
    // lowest address).
    std::optional<free_block> chosen;
    by_address_.for_each_at_least(request.size, [&](const free_block& block) {
        if (fits(block, request) && (!chosen || block.size > chosen->size)) chosen = block;
    });
    return chosen ? by_address_.lower_bound(*chosen) : address_index::end_position;
}

free_tree::address_index::position free_tree::best_fit(const fit_request& request) const noexcept {
    // The first block in (size, address) order with size >= request.size that fits.
    for (size_index::position at = by_size_.lower_bound({0, request.size}); at != size_index::end_position;
         at = by_size_.next(at)) {
        if (fits(by_size_.at(at), request)) return by_address_.lower_bound(by_size_.at(at));
    }
    return address_index::end_position;
}

std::optional<placement> free_tree::block_starting_at(Offset address) const noexcept {
    const address_index::position at = by_address_.lower_bound({address, 0});
    if (at == address_index::end_position || by_address_.at(at).start != address) return std::nullopt;
    return placement{by_address_.at(at), address, static_cast<std::size_t>(at)};
}

free_tree::handle free_tree::take(const placement& chosen, Size size) {
    const free_block block = chosen.block;
    const Size gap = chosen.address - block.start;
    const Offset request_end = chosen.address + size;
    const Size tail = block.start + block.size - request_end;
    reserve_inserts(2);  // may throw: nothing changed yet
    address_index::position at = chosen.node;
    if (at == address_index::end_position || by_address_.at(at) != block) at = by_address_.lower_bound(block);  // a stale name
    if (gap == 0 && tail == 0) {
        remove(block);
    } else if (gap == 0) {
        reshape(at, block, {request_end, tail});
    } else if (tail == 0) {
        reshape(at, block, {block.start, gap});
    } else {
        reshape(at, block, {block.start, gap});
        add({request_end, tail});
    }
    return {};
}

void free_tree::release(handle, Offset address, Size size) {
    reserve_inserts(1);  // may throw: nothing changed yet
    const address_index::position after_at = by_address_.lower_bound({address, 0});
    const address_index::position before_at = by_address_.previous(after_at);
    const std::optional<free_block> after =
        after_at == address_index::end_position ? std::nullopt : std::optional(by_address_.at(after_at));
    const std::optional<free_block> before =
        before_at == address_index::end_position ? std::nullopt : std::optional(by_address_.at(before_at));
    const bool merge_before = before && before->start + before->size == address;
    const bool merge_after = after && after->start == address + size;
    if (merge_before && merge_after) {
        reshape(before_at, *before, {before->start, before->size + size + after->size});  // before erase moves entries
        remove(*after);
    } else if (merge_before) {
        reshape(before_at, *before, {before->start, before->size + size});
    } else if (merge_after) {
        reshape(after_at, *after, {address, after->size + size});
    } else {
        add({address, size});
    }
}

void free_tree::reserve_inserts(std::size_t inserts) {
    by_address_.reserve_inserts(inserts);
    if (keeps_size_index()) by_size_.reserve_inserts(inserts);
}

void free_tree::add(const free_block& block) noexcept {
    by_address_.insert(block);
    if (keeps_size_index()) by_size_.insert(block);
}

void free_tree::remove(const free_block& block) noexcept {
    by_address_.erase(block);
    if (keeps_size_index()) by_size_.erase(block);
}

void free_tree::reshape(address_index::position at, const free_block& old_block, const free_block& fresh) noexcept {
    by_address_.replace_at(at, fresh);
    if (!keeps_size_index()) return;
    by_size_.erase(old_block);
    by_size_.insert(fresh);
}

void free_tree::validate() const {
    by_address_.validate("free_tree");
    if (keeps_size_index()) {
        by_size_.validate("free_tree size index");
        if (by_size_.size() != by_address_.size()) broken("TR3", "the size index holds another number of blocks");
    } else if (by_size_.size() != 0) {
        broken("TR3", "a size index is kept without best fit");
    }
    std::optional<free_block> previous;
    for (const free_block block : blocks()) {
        if (block.size == 0 || block.start >= capacity_ || block.size > capacity_ - block.start) {
            broken("TR1", "block at " + std::to_string(block.start) + " is empty or passes the capacity");
        }
        if (previous && previous->start + previous->size >= block.start) {
            broken("TR2", "block at " + std::to_string(block.start) + " overlaps or touches the one before");
        }
        if (keeps_size_index()) {
            const size_index::position indexed = by_size_.lower_bound(block);
            if (indexed == size_index::end_position || by_size_.at(indexed) != block) {
                broken("TR3", "block at " + std::to_string(block.start) + " is missing from the size index");
            }
        }
        previous = block;
    }
}

}  // namespace heapkit
