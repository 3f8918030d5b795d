// SPDX-License-Identifier: MIT
// thread_arenas: arena choice by CPU, owner lookup by block tag, stealing and upstream refills.
// No thread ever holds two arena locks at once, so arenas cannot deadlock.
#include "heapkit/heap/thread_arenas.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "heapkit/heap/detail/os.hpp"
#include "heapkit/offset/error.hpp"

namespace heapkit {

namespace {

constexpr std::size_t max_arenas = std::size_t{std::numeric_limits<boundary_tag_heap::tag_type>::max()} + 1;
constexpr std::size_t refill_attempts = 4;  // a refill may be taken by a thread on the same arena

// Room for one block of `size` at `alignment` in a fresh region, or 0 when that overflows.
std::size_t region_bytes_for(std::size_t size, std::size_t alignment) noexcept {
    const std::size_t slack = boundary_tag_heap::region_overhead_bytes + boundary_tag_heap::alignment_bytes +
                              boundary_tag_heap::min_block_bytes * 2 + alignment;
    return size > ~std::size_t{0} - slack ? 0 : size + slack;
}

}  // namespace

thread_arenas::thread_arenas(arena_options options) : options_(options) {
    std::size_t count = options_.arena_count != 0 ? options_.arena_count : std::max(1u, std::thread::hardware_concurrency());
    if (count > max_arenas)
        throw_error(errc::invalid_size, "heapkit::thread_arenas: at most " + std::to_string(max_arenas) + " arenas");
    if (options_.region_bytes < boundary_tag_heap::region_overhead_bytes + 2 * boundary_tag_heap::min_block_bytes)
        throw_error(errc::invalid_size, "heapkit::thread_arenas: region_bytes cannot hold one block");
    arenas_.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        arenas_.push_back(std::make_unique<arena>(static_cast<boundary_tag_heap::tag_type>(i)));
}

thread_arenas::~thread_arenas() {
    for (const grant& given : upstream_grants_) options_.upstream->deallocate(given.memory, given.bytes, 64);
}

void* thread_arenas::try_allocate(std::size_t size, std::size_t alignment) noexcept {
    return try_allocate_in(os::current_cpu() % arenas_.size(), size, alignment);
}

void* thread_arenas::try_allocate_in(std::size_t index, std::size_t size, std::size_t alignment) noexcept {
    // A request no heap could serve must not make arenas steal or ask the upstream for memory.
    if (index >= arenas_.size() || !is_power_of_two(alignment) || boundary_tag_heap::block_bytes_for(size) == 0) return nullptr;
    arena& home = *arenas_[index];
    for (std::size_t attempt = 0; attempt <= refill_attempts; ++attempt) {
        {
            const std::unique_lock hold = lock_counting(home);
            if (void* pointer = home.heap.try_allocate(size, alignment)) {
                home.free_hint.store(home.heap.free_bytes(), std::memory_order_relaxed);
                return pointer;
            }
        }
        if (!refill(home, size, alignment)) return nullptr;
    }
    return nullptr;
}

void* thread_arenas::allocate(std::size_t size, std::size_t alignment) {
    if (void* pointer = try_allocate(size, alignment)) return pointer;
    if (!is_power_of_two(alignment))
        throw_error(errc::invalid_alignment,
                    "heapkit::thread_arenas: alignment " + std::to_string(alignment) + " is not a power of two");
    if (boundary_tag_heap::block_bytes_for(size) == 0)
        throw_error(errc::out_of_memory, "heapkit::thread_arenas: " + std::to_string(size) + " bytes is larger than any block");
    throw_error(errc::out_of_memory,
                "heapkit::thread_arenas: no arena, no steal and no upstream region holds " + std::to_string(size) + " bytes");
}

void thread_arenas::deallocate(void* pointer) {
    if (pointer == nullptr) return;
    if (reinterpret_cast<std::uintptr_t>(pointer) % boundary_tag_heap::alignment_bytes != 0)
        throw_error(errc::invalid_address, "heapkit::thread_arenas: the pointer was not handed out by these arenas");
    const std::size_t owner = boundary_tag_heap::owner_tag(pointer);
    if (owner >= arenas_.size())
        throw_error(errc::invalid_address, "heapkit::thread_arenas: the pointer was not handed out by these arenas");
    arena& home = *arenas_[owner];
    const std::unique_lock hold = lock_counting(home);
    home.heap.deallocate(pointer);  // checks the pointer really is in this arena
    home.free_hint.store(home.heap.free_bytes(), std::memory_order_relaxed);
}

std::unique_lock<std::mutex> thread_arenas::lock_counting(arena& home) noexcept {
    std::unique_lock hold(home.mutex, std::try_to_lock);
    if (!hold.owns_lock()) {
        contended_.fetch_add(1, std::memory_order_relaxed);
        hold.lock();
    }
    return hold;
}

bool thread_arenas::refill(arena& dry, std::size_t size, std::size_t alignment) noexcept {
    const std::size_t needed = region_bytes_for(size, std::max(alignment, default_alignment_bytes));
    if (needed == 0) return false;
    return steal_into(dry, needed) || take_from_upstream(dry, std::max(needed, options_.region_bytes));
}

bool thread_arenas::steal_into(arena& dry, std::size_t bytes) noexcept {
    arena* richest = nullptr;
    std::size_t richest_free = 0;
    for (const auto& candidate : arenas_) {
        const std::size_t free = candidate->free_hint.load(std::memory_order_relaxed);
        if (candidate.get() != &dry && free > richest_free) {
            richest = candidate.get();
            richest_free = free;
        }
    }
    // Worth it only when the donor keeps at least as much as it gives.
    if (richest == nullptr || richest_free < 2 * bytes) return false;
    std::size_t span_bytes = std::max(bytes, std::min(richest_free / 2, options_.region_bytes));
    void* span = nullptr;
    std::size_t block_bytes = 0;
    {
        const std::lock_guard hold(richest->mutex);
        span = richest->heap.try_allocate(span_bytes);
        if (span == nullptr && span_bytes > bytes) {  // its free space is in smaller pieces: take what is needed
            span_bytes = bytes;
            span = richest->heap.try_allocate(span_bytes);
        }
        if (span == nullptr) return false;
        block_bytes = boundary_tag_heap::usable_size(span) + boundary_tag_heap::header_bytes;
        richest->free_hint.store(richest->heap.free_bytes(), std::memory_order_relaxed);
    }
    const std::lock_guard hold(dry.mutex);
    dry.heap.add_region({static_cast<std::byte*>(span), span_bytes});
    dry.free_hint.store(dry.heap.free_bytes(), std::memory_order_relaxed);
    lent_span_bytes_.fetch_add(span_bytes, std::memory_order_relaxed);
    lent_block_bytes_.fetch_add(block_bytes, std::memory_order_relaxed);
    steals_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

bool thread_arenas::take_from_upstream(arena& dry, std::size_t bytes) noexcept {
    void* memory = nullptr;
    {
        const std::lock_guard hold(upstream_mutex_);
        if (bytes > options_.upstream_limit_bytes - std::min(upstream_bytes_, options_.upstream_limit_bytes)) return false;
        try {
            upstream_grants_.reserve(upstream_grants_.size() + 1);
            memory = options_.upstream->allocate(bytes, 64);
        } catch (...) {
            return false;
        }
        upstream_grants_.push_back({memory, bytes});
        upstream_bytes_ += bytes;
    }
    const std::lock_guard hold(dry.mutex);
    dry.heap.add_region({static_cast<std::byte*>(memory), bytes});
    dry.free_hint.store(dry.heap.free_bytes(), std::memory_order_relaxed);
    return true;
}

bool thread_arenas::owns(const void* pointer) const {
    return std::any_of(arenas_.begin(), arenas_.end(), [pointer](const auto& each) {
        const std::lock_guard hold(each->mutex);
        return each->heap.owns(pointer);
    });
}

std::size_t thread_arenas::upstream_bytes() const {
    const std::lock_guard hold(upstream_mutex_);
    return upstream_bytes_;
}

heap_stats thread_arenas::stats() const {
    heap_stats totals;
    for (const auto& each : arenas_) {
        const std::lock_guard hold(each->mutex);
        const heap_stats one = each->heap.stats();
        totals.in_use_bytes += one.in_use_bytes;
        totals.free_bytes += one.free_bytes;
        totals.allocation_count += one.allocation_count;
        totals.free_block_count += one.free_block_count;
        totals.region_count += one.region_count;
        totals.largest_free_block = std::max(totals.largest_free_block, one.largest_free_block);
        totals.overhead_bytes += one.allocation_count * boundary_tag_heap::header_bytes;
    }
    // A stolen span is a live block of its donor and a region of its thief: count it once.
    const std::size_t steals = steal_count();
    totals.in_use_bytes -= lent_block_bytes_.load(std::memory_order_relaxed);
    totals.allocation_count -= steals;
    totals.overhead_bytes -= steals * boundary_tag_heap::header_bytes;
    totals.capacity_bytes = upstream_bytes();
    totals.bookkeeping_bytes = totals.capacity_bytes - totals.in_use_bytes - totals.free_bytes;
    totals.overhead_bytes += totals.bookkeeping_bytes;
    return totals;
}

void thread_arenas::validate() const {
    std::size_t capacity = 0;
    for (const auto& each : arenas_) {
        const std::lock_guard hold(each->mutex);
        each->heap.validate();
        capacity += each->heap.stats().capacity_bytes;
    }
    if (capacity != upstream_bytes() + lent_span_bytes_.load(std::memory_order_relaxed))
        throw std::logic_error(
            "heapkit::thread_arenas invariant TA1 broken: the arenas' regions are not what the upstream gave plus what was lent");
}

}  // namespace heapkit
