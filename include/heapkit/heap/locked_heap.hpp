// SPDX-License-Identifier: MIT
// locked_heap<Heap>: any heap made safe to share between threads by one mutex around every call.
// The simplest thread safety, and the baseline thread_arenas is measured against. Each call
// costs the heap's own plus one uncontended lock (tens of ns); contended, threads queue.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>

#include "heapkit/heap/heap_concept.hpp"

namespace heapkit {

template <heap Heap>
class locked_heap {
public:
    // Builds the heap in place from `arguments`.
    template <class... Arguments>
    explicit locked_heap(Arguments&&... arguments) : heap_(std::forward<Arguments>(arguments)...) {}

    void* allocate(std::size_t size, std::size_t alignment = default_alignment_bytes) {
        const std::lock_guard hold(mutex_);
        return heap_.allocate(size, alignment);
    }
    void* try_allocate(std::size_t size, std::size_t alignment = default_alignment_bytes) noexcept {
        const std::lock_guard hold(mutex_);
        return heap_.try_allocate(size, alignment);
    }
    void deallocate(void* pointer) {
        const std::lock_guard hold(mutex_);
        heap_.deallocate(pointer);
    }
    void* reallocate(void* pointer, std::size_t size,
                     std::size_t alignment = default_alignment_bytes) requires resizable_heap<Heap> {
        const std::lock_guard hold(mutex_);
        return heap_.reallocate(pointer, size, alignment);
    }
    std::size_t usable_size(const void* pointer) const {
        const std::lock_guard hold(mutex_);
        return heap_.usable_size(pointer);
    }
    bool owns(const void* pointer) const {
        const std::lock_guard hold(mutex_);
        return heap_.owns(pointer);
    }
    heap_stats stats() const {
        const std::lock_guard hold(mutex_);
        return heap_.stats();
    }
    void validate() const {
        const std::lock_guard hold(mutex_);
        heap_.validate();
    }
    // Runs visit(heap) under the lock, for whatever the wrapper does not forward.
    template <class Visitor>
    decltype(auto) with_lock(Visitor visit) {
        const std::lock_guard hold(mutex_);
        return visit(heap_);
    }

private:
    mutable std::mutex mutex_;  // guards heap_
    Heap heap_;
};

}  // namespace heapkit
