// SPDX-License-Identifier: MIT
// The concept every real-memory heap of heapkit models, so that adapters (debug_heap,
// locked_heap, heap_resource, heap_allocator) compose over any of them at compile time.
#pragma once

#include <concepts>
#include <cstddef>

#include "heapkit/heap/heap_stats.hpp"

namespace heapkit {

// What a heap aligns blocks to when the caller does not say: enough for any fundamental type.
inline constexpr std::size_t default_alignment_bytes = alignof(std::max_align_t);
static_assert(default_alignment_bytes == 16, "the heaps' layouts assume 16-byte alignment");

// allocate(size, alignment) returns a block or throws (out_of_memory is a std::bad_alloc);
// try_allocate returns nullptr instead; deallocate(pointer) takes back a block it handed out and
// throws heapkit::invalid_address / invalid_free for anything else; usable_size says how many
// bytes a live block really has; owns says whether a pointer lies in the heap's memory;
// validate() checks every invariant and throws std::logic_error when one is broken.
// clang-format 14 misreads requires-expressions (their bodies and noexcept):
// clang-format off
template <class Heap>
concept heap = requires(Heap& heap, const Heap& const_heap, void* pointer, std::size_t bytes) {
    { heap.allocate(bytes, bytes) } -> std::same_as<void*>;
    { heap.try_allocate(bytes, bytes) }
    noexcept->std::same_as<void*>;
    heap.deallocate(pointer);
    { const_heap.usable_size(pointer) } -> std::convertible_to<std::size_t>;
    { const_heap.owns(pointer) } -> std::same_as<bool>;
    { const_heap.stats() } -> std::same_as<heap_stats>;
    const_heap.validate();
};

// A heap that can also resize a block (in place when it can, else by moving it).
template <class Heap>
concept resizable_heap = heap<Heap> && requires(Heap& heap, void* pointer, std::size_t bytes) {
    { heap.reallocate(pointer, bytes, bytes) } -> std::same_as<void*>;
};
// clang-format on

}  // namespace heapkit
