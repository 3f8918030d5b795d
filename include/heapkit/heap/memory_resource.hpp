// SPDX-License-Identifier: MIT
// Standard-library faces for any heapkit heap: heap_resource (a std::pmr::memory_resource, so
// std::pmr containers live in the heap) and heap_allocator<T> (an Allocator for the classic
// containers). Both only borrow the heap; each call costs the heap's own.
#pragma once

#include <cstddef>
#include <limits>
#include <memory_resource>
#include <new>

#include "heapkit/heap/heap_concept.hpp"

namespace heapkit {

template <heap Heap>
class heap_resource final : public std::pmr::memory_resource {
public:
    explicit heap_resource(Heap& heap) noexcept : heap_(&heap) {}
    Heap& underlying_heap() const noexcept { return *heap_; }

private:
    // Throws the heap's out_of_memory (a std::bad_alloc), as the pmr contract asks.
    void* do_allocate(std::size_t bytes, std::size_t alignment) override { return heap_->allocate(bytes, alignment); }
    void do_deallocate(void* pointer, std::size_t, std::size_t) override { heap_->deallocate(pointer); }
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        const auto* same = dynamic_cast<const heap_resource*>(&other);
        return same != nullptr && same->heap_ == heap_;
    }

    Heap* heap_;  // borrowed
};

template <class T, heap Heap>
class heap_allocator {
public:
    using value_type = T;

    explicit heap_allocator(Heap& heap) noexcept : heap_(&heap) {}
    template <class U>
    heap_allocator(const heap_allocator<U, Heap>& other) noexcept : heap_(&other.underlying_heap()) {}  // NOLINT: rebinding

    // Throws std::bad_array_new_length when n * sizeof(T) overflows, else what the heap throws.
    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(heap_->allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* pointer, std::size_t) { heap_->deallocate(pointer); }

    Heap& underlying_heap() const noexcept { return *heap_; }
    template <class U>
    friend bool operator==(const heap_allocator& a, const heap_allocator<U, Heap>& b) noexcept {
        return a.heap_ == &b.underlying_heap();
    }

private:
    Heap* heap_;  // borrowed
};

}  // namespace heapkit
