// SPDX-License-Identifier: MIT
// heap_resource and heap_allocator: std::pmr::vector, map, string and unordered_map, and the
// classic containers through heap_allocator, on every heap (the debug heap included), with the
// heap validated and emptied afterwards.
#include "heapkit/heap/memory_resource.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory_resource>
#include <string>
#include <unordered_map>
#include <vector>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/debug_heap.hpp"
#include "heapkit/heap/locked_heap.hpp"
#include "heapkit/heap/offset_heap.hpp"
#include "heapkit/heap/thread_arenas.hpp"

namespace heapkit {
namespace {

constexpr std::size_t memory_bytes = 4 << 20;

// Builds each kind of heap over (or beside) a buffer of memory_bytes.
template <class Heap>
struct heap_maker;
template <>
struct heap_maker<boundary_tag_heap> {
    static auto make(std::span<std::byte> memory) { return std::make_unique<boundary_tag_heap>(memory); }
};
template <>
struct heap_maker<locked_heap<boundary_tag_heap>> {
    static auto make(std::span<std::byte> memory) { return std::make_unique<locked_heap<boundary_tag_heap>>(memory); }
};
template <>
struct heap_maker<offset_heap<>> {
    static auto make(std::span<std::byte> memory) { return std::make_unique<offset_heap<>>(memory.data(), memory.size()); }
};
template <>
struct heap_maker<debug_heap<boundary_tag_heap>> {
    static auto make(std::span<std::byte> memory) {
        debug_options options;
        options.handler = [](const debug_report& report) { ADD_FAILURE() << report.message(); };
        return std::make_unique<debug_heap<boundary_tag_heap>>(options, memory);
    }
};
template <>
struct heap_maker<thread_arenas> {
    // A limit, so that exhaustion is reached here and not in the sanitizers' operator new.
    static auto make(std::span<std::byte>) {
        return std::make_unique<thread_arenas>(arena_options{.upstream_limit_bytes = memory_bytes});
    }
};

template <class Heap>
struct OnEveryHeap : ::testing::Test {
    std::vector<std::byte> memory = std::vector<std::byte>(memory_bytes);
    std::unique_ptr<Heap> heap = heap_maker<Heap>::make(std::span(memory).subspan(64));  // 64-aligned
    void expect_empty_and_valid() {
        heap->validate();
        EXPECT_EQ(heap->stats().allocation_count, baseline_allocations);
    }
    std::size_t baseline_allocations = heap->stats().allocation_count;
};

using heaps = ::testing::Types<boundary_tag_heap, locked_heap<boundary_tag_heap>, offset_heap<>, debug_heap<boundary_tag_heap>,
                               thread_arenas>;
TYPED_TEST_SUITE(OnEveryHeap, heaps);

TYPED_TEST(OnEveryHeap, PmrContainersLiveInTheHeap) {
    heap_resource<TypeParam> resource(*this->heap);
    {
        std::pmr::vector<int> numbers(&resource);
        for (int i = 0; i < 10000; ++i) numbers.push_back(i);
        std::pmr::map<int, std::pmr::string> names(&resource);
        for (int i = 0; i < 500; ++i)
            names.emplace(i, std::pmr::string("a string long enough to leave SSO #" + std::to_string(i), &resource));
        std::pmr::unordered_map<std::pmr::string, int> index(&resource);
        for (const auto& [number, name] : names) index.emplace(name, number);
        EXPECT_TRUE(this->heap->owns(numbers.data()));
        EXPECT_TRUE(this->heap->owns(names.at(7).data()));
        this->heap->validate();
        long long sum = 0;
        for (int n : numbers) sum += n;
        EXPECT_EQ(sum, 10000LL * 9999 / 2);
        EXPECT_EQ(index.at(names.at(321)), 321);
        EXPECT_EQ(names.at(499), "a string long enough to leave SSO #499");
    }
    this->expect_empty_and_valid();
}

TYPED_TEST(OnEveryHeap, ClassicContainersThroughHeapAllocator) {
    {
        heap_allocator<double, TypeParam> allocator(*this->heap);
        std::vector<double, heap_allocator<double, TypeParam>> values(allocator);
        for (int i = 0; i < 1000; ++i) values.push_back(i * 0.5);
        using pair_allocator = heap_allocator<std::pair<const int, double>, TypeParam>;
        std::map<int, double, std::less<>, pair_allocator> by_key{pair_allocator(*this->heap)};
        for (int i = 0; i < 1000; ++i) by_key[i] = values[static_cast<std::size_t>(i)];
        EXPECT_EQ(by_key.at(999), 499.5);
        EXPECT_THROW(allocator.allocate(~std::size_t{0} / 4), std::bad_array_new_length);
    }
    this->expect_empty_and_valid();
}

TYPED_TEST(OnEveryHeap, ExhaustionThrowsBadAllocAndLeavesTheHeapUsable) {
    heap_resource<TypeParam> resource(*this->heap);
    EXPECT_THROW(static_cast<void>(resource.allocate(std::size_t{1} << 50)), std::bad_alloc);
    EXPECT_EQ(this->heap->try_allocate(std::size_t{1} << 50, 16), nullptr);
    void* p = resource.allocate(100, 16);
    resource.deallocate(p, 100, 16);
    this->expect_empty_and_valid();
}

TEST(HeapResource, IsEqualOnlyToAResourceOverTheSameHeap) {
    alignas(16) static std::byte memory[8192];
    boundary_tag_heap one(std::span<std::byte>(memory).first(4096));
    boundary_tag_heap other(std::span<std::byte>(memory).subspan(4096));
    heap_resource a(one), b(one), c(other);
    EXPECT_TRUE(a.is_equal(b));
    EXPECT_FALSE(a.is_equal(c));
    EXPECT_FALSE(a.is_equal(*std::pmr::new_delete_resource()));
}

TEST(OffsetHeap, NeverTouchesItsMemoryAndRefusesAlignmentsBeyondItsBase) {
    auto* base = reinterpret_cast<void*>(std::uintptr_t{1} << 40);  // not even mapped: never dereferenced
    offset_heap<> device(base, 1 << 20);
    void* p = device.allocate(1000, 256);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 256, 0u);
    EXPECT_EQ(device.usable_size(p), 1000u);
    EXPECT_THROW(device.deallocate(static_cast<std::byte*>(p) + 1), invalid_free);
    device.deallocate(p);
    EXPECT_THROW(device.deallocate(p), invalid_free);
    offset_heap<> odd(reinterpret_cast<void*>(std::uintptr_t{0x1008}), 4096);
    EXPECT_THROW(odd.allocate(8, 16), invalid_alignment);
    EXPECT_NE(odd.allocate(8, 8), nullptr);
    device.validate();
}

}  // namespace
}  // namespace heapkit
