// SPDX-License-Identifier: MIT
// heapkit::resource_arena: a thread-safe arena of units in the manner of Bonwick and Adams'
// vmem ("Magazines and Vmem", USENIX 2001). Requests are rounded up to the arena's quantum and
// placed by the tree index (first fit, O(log n)) under one lock. Two layers sit around it:
// - a source: when the arena runs dry it imports a span from a parent arena (at least
//   import_size units), places the request inside it, and gives a span back to the parent as
//   soon as it is wholly free again (spans the source gave side by side merge here, so a later
//   block may cover two, and then holds both until it is freed);
// - quantum caches: sizes up to cache_max are served from per-CPU magazines (a slot per CPU, each
//   with its own lock, which threads on different CPUs never share) backed by a depot of full
//   magazines, so that the common case never takes the arena's lock.
// A unit held by a cache counts as allocated to the arena below; reap() gives every cached unit
// back. Costs: a cached allocate or free O(1) with no shared lock; otherwise the tree's O(log n)
// under the arena lock, plus an import or a return (O(spans)) now and then.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class resource_arena {
public:
    struct options {
        Size quantum = 1;                  // a power of two: every size is rounded up to it, every address a multiple of it
        Size cache_max = 0;                // sizes up to this (rounded) are cached; 0: no quantum cache
        std::size_t magazine_rounds = 16;  // addresses a magazine holds
        resource_arena* source = nullptr;  // the parent that spans are imported from, if any
        Size import_size = 0;              // the least a span imported from the source holds
    };

    // Throws invalid_alignment for a quantum that is not a power of two, invalid_size for a
    // magazine of no rounds.
    explicit resource_arena(const options& chosen);
    // Gives the cached units back (reap) and every imported span back to the source; the
    // arena's own allocations must all be freed by then.
    ~resource_arena();
    resource_arena(const resource_arena&) = delete;
    resource_arena& operator=(const resource_arena&) = delete;

    // Adds units of its own (not from the source): as basic_memory_allocator::add_span.
    void add_span(Offset start, Size size);
    // `size` units (rounded up to the quantum) at a multiple of the quantum. Throws invalid_size
    // (0), out_of_memory (neither the arena nor its source has room).
    Offset allocate(Size size);
    // Frees what allocate(size) returned for the same `size`. Throws what the arena's free
    // throws for a bad pair (invalid_address, invalid_free) unless the size is cached: a cached
    // free is not checked until its round reaches the arena.
    void free(Offset address, Size size);
    // Returns every cached address to the arena, and wholly free imported spans to the source.
    void reap();

    // Units the arena holds (its spans), those free in it (cached ones are not), those the
    // caches hold, and the spans imported from the source and still held.
    Size capacity() const;
    Size free_memory() const;
    Size cached_memory() const;
    std::size_t imported_span_count() const;
    // The arena's invariants (basic_memory_allocator's, and every imported span among its spans).
    void validate() const;

private:
    struct slot;
    Size rounded(Size size) const;
    std::size_t class_of(Size rounded_size) const noexcept { return static_cast<std::size_t>(rounded_size / quantum_) - 1; }
    // Under lock_: allocate from the tree, importing from the source once when it has no room.
    Offset allocate_locked(Size size);
    // Under lock_: free into the tree, giving back the imported spans it overlapped that became wholly free.
    void free_locked(Offset address, Size size);
    slot& my_slot() noexcept;

    Size quantum_;
    Size cache_max_;
    std::size_t rounds_;
    resource_arena* source_;
    Size import_size_;
    mutable std::mutex lock_;                              // guards arena_, imported_, depot_
    tree_allocator arena_{no_spans};                       // the units and where they are
    std::vector<free_block> imported_;                     // spans from the source, in import order
    std::vector<std::vector<std::vector<Offset>>> depot_;  // per size class, full magazines
    std::vector<std::unique_ptr<slot>> slots_;             // the per-CPU caches
};

}  // namespace heapkit
