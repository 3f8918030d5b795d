// SPDX-License-Identifier: MIT
// thread_arenas: a thread-safe heap made of several boundary-tag heaps, one lock each. A thread
// allocates from the arena of the CPU it runs on, so threads on different CPUs do not contend;
// a block freed by any thread goes back to the arena that handed it out (found in O(1) from the
// tag in the block's header). An arena that runs dry first steals part of the free space of the
// richest other arena (the seed's work stealing), and only then asks the upstream resource for a
// new region. Allocate and free: one uncontended lock plus the heap's O(1).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <vector>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/heap_concept.hpp"

namespace heapkit {

struct arena_options {
    std::size_t arena_count = 0;                         // 0: one per hardware thread
    std::size_t region_bytes = std::size_t{1} << 20;     // asked of the upstream at a time (more if a request needs it)
    std::size_t upstream_limit_bytes = ~std::size_t{0};  // the most the arenas may take from upstream in all
    std::pmr::memory_resource* upstream = std::pmr::new_delete_resource();  // where regions come from
};

class thread_arenas {
public:
    // Throws heapkit::invalid_size when arena_count exceeds what a block tag can name (65536) or
    // region_bytes cannot hold one block.
    explicit thread_arenas(arena_options options = {});
    ~thread_arenas();  // gives every region back to the upstream
    thread_arenas(const thread_arenas&) = delete;
    thread_arenas& operator=(const thread_arenas&) = delete;

    // A block from the calling CPU's arena, refilled by stealing or from upstream when dry.
    // Throws invalid_alignment, or out_of_memory when neither the arena, stealing nor the
    // upstream (within its limit) can provide room.
    void* allocate(std::size_t size, std::size_t alignment = default_alignment_bytes);
    void* try_allocate(std::size_t size, std::size_t alignment = default_alignment_bytes) noexcept;
    // As try_allocate, from arena `index` (< arena_count()) whatever CPU the caller runs on: for
    // callers that place work themselves (NUMA nodes, pinned threads, tests).
    void* try_allocate_in(std::size_t index, std::size_t size, std::size_t alignment = default_alignment_bytes) noexcept;
    // Returns the block to the arena that handed it out, from any thread. Throws invalid_address
    // for a pointer no arena handed out (the 8 bytes before it must be readable, as for free()).
    void deallocate(void* pointer);

    static std::size_t usable_size(const void* pointer) noexcept { return boundary_tag_heap::usable_size(pointer); }
    bool owns(const void* pointer) const;  // O(arenas * regions), each arena locked in turn
    // Totals over the arenas, space lent by one arena to another counted once. O(arenas).
    heap_stats stats() const;
    // Validates every arena under its lock and checks that the arenas account for exactly what
    // the upstream gave plus what was lent between them (TA1); call it while no other thread uses
    // the arenas. O(blocks).
    void validate() const;

    std::size_t arena_count() const noexcept { return arenas_.size(); }
    std::size_t steal_count() const noexcept { return steals_.load(std::memory_order_relaxed); }
    // Allocations and frees that found their arena's lock held by another thread and waited.
    std::size_t contended_count() const noexcept { return contended_.load(std::memory_order_relaxed); }
    std::size_t upstream_bytes() const;

private:
    struct alignas(64) arena {
        explicit arena(boundary_tag_heap::tag_type tag) : heap(tag) {}
        mutable std::mutex mutex;  // guards heap
        boundary_tag_heap heap;
        std::atomic<std::size_t> free_hint{0};  // heap.free_bytes() after the last change: read without the lock
    };
    struct grant {
        void* memory;
        std::size_t bytes;
    };

    std::unique_lock<std::mutex> lock_counting(arena& home) noexcept;
    bool refill(arena& dry, std::size_t size, std::size_t alignment) noexcept;
    bool steal_into(arena& dry, std::size_t bytes) noexcept;
    bool take_from_upstream(arena& dry, std::size_t bytes) noexcept;

    arena_options options_;
    std::vector<std::unique_ptr<arena>> arenas_;
    mutable std::mutex upstream_mutex_;  // guards upstream_grants_ and upstream_bytes_
    std::vector<grant> upstream_grants_;
    std::size_t upstream_bytes_ = 0;
    std::atomic<std::size_t> steals_{0};
    std::atomic<std::size_t> contended_{0};
    std::atomic<std::size_t> lent_span_bytes_{0};   // region bytes of stolen spans (thieves' capacity)
    std::atomic<std::size_t> lent_block_bytes_{0};  // the same spans as blocks live in their donors
};

}  // namespace heapkit
