// SPDX-License-Identifier: MIT
// heapkit::pool_allocator: fixed-size blocks with last-in first-out reuse.
#include "heapkit/offset/pool_allocator.hpp"

#include <algorithm>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>

namespace heapkit {
namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::pool_allocator invariant ") + invariant + " broken: " + detail);
}

using detail::units;

}  // namespace

pool_allocator::pool_allocator(Size capacity, Size block_size) : capacity_(capacity), block_size_(block_size) {
    if (block_size == 0 || capacity == 0 || capacity % block_size != 0) {
        throw invalid_size("pool capacity must be a positive multiple of a positive block size, got " + units(capacity) +
                           " in blocks of " + units(block_size));
    }
}

Offset pool_allocator::allocate(Size size, Size alignment) {
    const result<Offset> placed = try_allocate(size, alignment);
    if (placed) return *placed;
    if (placed.error() != errc::out_of_memory) {
        throw_error(placed.error(), detail::allocate_message(placed.error(), size, alignment, context(watermark_)));
    }
    std::string reason = "cannot allocate " + units(size) + " from a pool of blocks of " + units(block_size_) + ": ";
    if (size > block_size_) {
        reason += "larger than a block";
    } else if (block_size_ % alignment != 0) {
        reason += "block starts are not all aligned to " + std::to_string(alignment);
    } else {
        reason += block_count() == 1 ? "its one block is in use" : "all " + std::to_string(block_count()) + " blocks are in use";
    }
    throw_error(errc::out_of_memory, reason);
}

result<Offset> pool_allocator::try_allocate(Size size, Size alignment) noexcept {
    if (size == 0) return errc::invalid_size;
    if (!is_power_of_two(alignment)) return errc::invalid_alignment;
    if (size > block_size_ || block_size_ % alignment != 0 || free_memory() == 0) return errc::out_of_memory;
    const Offset address = freed_.empty() ? watermark_ : freed_.back();
    try {
        live_.insert(address, size);
    } catch (const std::bad_alloc&) {
        return errc::out_of_memory;
    }
    if (freed_.empty()) {
        watermark_ += block_size_;
    } else {
        freed_.pop_back();
    }
    used_memory_ += size;
    return address;
}

errc pool_allocator::free_checked(Offset address, const Size* size) {
    if (address >= capacity_) return errc::invalid_address;
    if (size != nullptr && *size == 0) return errc::invalid_size;
    if (size != nullptr && *size > capacity_ - address) return errc::invalid_address;
    detail::offset_map<Size>::slot* block = live_.find(address);
    if (block == nullptr || (size != nullptr && block->value != *size)) return errc::invalid_free;
    freed_.push_back(address);  // may throw: nothing changed yet
    used_memory_ -= block->value;
    live_.erase(block);
    return errc::ok;
}

detail::failure_context pool_allocator::context(Offset address) const noexcept {
    const detail::offset_map<Size>::slot* block = live_.find(address);
    return {capacity_, free_memory(), largest_free_block(), block == nullptr ? std::nullopt : std::optional<Size>(block->value)};
}

void pool_allocator::free(Offset address, Size size) {
    if (const errc kind = free_checked(address, &size); kind != errc::ok) {
        throw_error(kind, detail::free_message(kind, address, size, context(address)));
    }
}

void pool_allocator::free(Offset address) {
    if (const errc kind = free_checked(address, nullptr); kind != errc::ok) {
        throw_error(kind, detail::free_message(kind, address, std::nullopt, context(address)));
    }
}

errc pool_allocator::try_free(Offset address, Size size) noexcept {
    try {
        return free_checked(address, &size);
    } catch (const std::bad_alloc&) {
        return errc::out_of_memory;
    }
}

errc pool_allocator::try_free(Offset address) noexcept {
    try {
        return free_checked(address, nullptr);
    } catch (const std::bad_alloc&) {
        return errc::out_of_memory;
    }
}

double pool_allocator::internal_fragmentation() const noexcept {
    if (live_.size() == 0) return 0.0;
    return 1.0 - static_cast<double>(used_memory_) / static_cast<double>(reserved_memory());
}

std::vector<free_block> pool_allocator::free_blocks() const {
    std::vector<free_block> free;
    free.reserve(freed_.size() + 1);
    for (const Offset start : freed_) free.push_back({start, block_size_});
    std::sort(free.begin(), free.end(), [](const free_block& a, const free_block& b) { return a.start < b.start; });
    if (watermark_ < capacity_) free.push_back({watermark_, capacity_ - watermark_});
    return free;
}

std::vector<free_block> pool_allocator::allocations() const {
    std::vector<free_block> live;
    live.reserve(live_.size());
    live_.for_each([&live](Offset start, Size size) { live.push_back({start, size}); });
    std::sort(live.begin(), live.end(), [](const free_block& a, const free_block& b) { return a.start < b.start; });
    return live;
}

void pool_allocator::validate() const {
    live_.validate();
    std::vector<Offset> stacked = freed_;
    std::sort(stacked.begin(), stacked.end());
    for (std::size_t i = 0; i < stacked.size(); ++i) {
        const Offset start = stacked[i];
        if (start % block_size_ != 0 || start >= watermark_ || (i > 0 && stacked[i - 1] == start) ||
            live_.find(start) != nullptr) {
            broken("PL1", "freed block at " + std::to_string(start));
        }
    }
    if (static_cast<Size>(live_.size() + freed_.size()) * block_size_ != watermark_) {
        broken("PL2", std::to_string(live_.size()) + " live and " + std::to_string(freed_.size()) + " freed blocks below " +
                          std::to_string(watermark_));
    }
    Size used = 0;
    live_.for_each([&](Offset start, Size size) {
        if (size == 0 || size > block_size_ || start % block_size_ != 0) broken("PL3", "live block at " + std::to_string(start));
        used += size;
    });
    if (used != used_memory_) broken("PL3", "live sizes add up to " + std::to_string(used));
    tiling_check tiles(capacity_, "pool_allocator", "PL3");
    for_each_block(std::ref(tiles));
    tiles.finish();
}

}  // namespace heapkit
