// SPDX-License-Identifier: MIT
// boundary_tag_heap: layout, coalescing, alignment, reallocate, errors, exhaustion, and a seeded
// stress against a shadow model of the live blocks with every block's contents checked.
#include "heapkit/heap/boundary_tag_heap.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "../test_seed.hpp"
#include "shadow_heap.hpp"

namespace heapkit {
namespace {

struct HeapFixture : ::testing::Test {
    alignas(64) std::byte memory[64 * 1024];
    boundary_tag_heap heap{memory};
};

using BoundaryTagHeap = HeapFixture;

TEST_F(BoundaryTagHeap, StartsAsOneFreeBlockAccountedToTheByte) {
    const heap_stats totals = heap.stats();
    EXPECT_EQ(totals.capacity_bytes, sizeof memory);
    EXPECT_EQ(totals.free_block_count, 1u);
    EXPECT_EQ(totals.in_use_bytes, 0u);
    EXPECT_EQ(totals.in_use_bytes + totals.free_bytes + totals.bookkeeping_bytes, totals.capacity_bytes);
    EXPECT_LE(totals.bookkeeping_bytes, boundary_tag_heap::region_overhead_bytes + boundary_tag_heap::alignment_bytes);
    EXPECT_EQ(totals.largest_free_block, totals.free_bytes - boundary_tag_heap::header_bytes);
    heap.validate();
}

TEST_F(BoundaryTagHeap, HandsOutSixteenAlignedBlocksOfAtLeastTheSizeAsked) {
    for (std::size_t size : {0u, 1u, 8u, 15u, 16u, 17u, 24u, 100u, 1000u, 5000u}) {
        void* p = heap.allocate(size);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << size;
        EXPECT_GE(boundary_tag_heap::usable_size(p), size);
        EXPECT_LT(boundary_tag_heap::usable_size(p), size + 32);
        EXPECT_TRUE(heap.owns(p));
        std::memset(p, 0xAB, boundary_tag_heap::usable_size(p));
        heap.validate();
    }
    EXPECT_EQ(heap.stats().allocation_count, 10u);
}

TEST_F(BoundaryTagHeap, CoalescesWithBothNeighboursInEitherOrder) {
    constexpr std::size_t size = 1000;  // above quick_max_block_bytes: coalesced at once
    void* a = heap.allocate(size);
    void* b = heap.allocate(size);
    void* c = heap.allocate(size);
    void* guard = heap.allocate(size);
    heap.deallocate(a);
    heap.deallocate(c);
    EXPECT_EQ(heap.stats().free_block_count, 3u);  // a, c, and the tail after guard
    heap.deallocate(b);                            // joins a and c
    EXPECT_EQ(heap.stats().free_block_count, 2u);
    heap.validate();
    void* joined = heap.allocate(3 * size);  // fits only in a+b+c
    EXPECT_EQ(joined, a);
    heap.deallocate(joined);
    heap.deallocate(guard);
    EXPECT_EQ(heap.stats().free_block_count, 1u);
    heap.validate();
}

TEST_F(BoundaryTagHeap, QuickListServesTheSameSizeAgainLastInFirstOut) {
    void* a = heap.allocate(40);
    void* b = heap.allocate(40);
    heap.deallocate(a);
    heap.deallocate(b);
    EXPECT_EQ(heap.stats().free_block_count, 3u);  // two quick blocks and the tail
    heap.validate();
    EXPECT_EQ(heap.allocate(40), b);
    EXPECT_EQ(heap.allocate(40), a);
    EXPECT_THROW(heap.deallocate(static_cast<std::byte*>(a) + 16), invalid_free);
    heap.deallocate(a);
    EXPECT_THROW(heap.deallocate(a), invalid_free);  // a double free of a quick block
    heap.validate();
}

TEST_F(BoundaryTagHeap, QuickBlocksAreCoalescedWhenMemoryRunsShort) {
    std::vector<void*> blocks;
    while (void* p = heap.try_allocate(100)) blocks.push_back(p);
    for (void* p : blocks) heap.deallocate(p);
    const heap_stats totals = heap.stats();
    EXPECT_GT(totals.free_block_count, 1u);  // some wait in the quick list
    void* everything = heap.try_allocate(totals.free_bytes - boundary_tag_heap::header_bytes);
    EXPECT_NE(everything, nullptr);
    EXPECT_EQ(heap.stats().free_block_count, 0u);
    heap.validate();
}

TEST_F(BoundaryTagHeap, HonoursEveryPowerOfTwoAlignment) {
    std::vector<void*> blocks;
    for (std::size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        void* p = heap.allocate(40, alignment);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0u) << alignment;
        blocks.push_back(p);
        heap.validate();
    }
    for (void* p : blocks) heap.deallocate(p);
    heap.flush_quick_lists();
    EXPECT_EQ(heap.stats().free_block_count, 1u);
    heap.validate();
}

TEST_F(BoundaryTagHeap, ReallocateShrinksAndGrowsInPlaceWhenTheNextBlockAllows) {
    auto* p = static_cast<unsigned char*>(heap.allocate(1000));
    for (int i = 0; i < 1000; ++i) p[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(heap.reallocate(p, 100), p);
    EXPECT_EQ(heap.reallocate(p, 3000), p);  // the tail after it is free
    for (int i = 0; i < 100; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(i));
    heap.validate();
}

TEST_F(BoundaryTagHeap, ReallocateMovesWithTheContentsWhenBlocked) {
    auto* p = static_cast<unsigned char*>(heap.allocate(64));
    for (int i = 0; i < 64; ++i) p[i] = static_cast<unsigned char>(i + 1);
    void* wall = heap.allocate(64);
    auto* moved = static_cast<unsigned char*>(heap.reallocate(p, 500));
    EXPECT_NE(moved, p);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(moved[i], static_cast<unsigned char>(i + 1));
    EXPECT_EQ(heap.stats().allocation_count, 2u);
    heap.deallocate(wall);
    heap.deallocate(moved);
    heap.validate();
}

TEST_F(BoundaryTagHeap, ReallocateOfNullAllocatesAndFailureKeepsTheOldBlock) {
    void* p = heap.reallocate(nullptr, 10);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(heap.try_reallocate(p, sizeof memory), nullptr);
    EXPECT_THROW(heap.reallocate(p, sizeof memory), out_of_memory);
    EXPECT_EQ(heap.stats().allocation_count, 1u);
    heap.deallocate(p);
    heap.validate();
}

TEST_F(BoundaryTagHeap, RejectsBadRequestsWithTheirKind) {
    EXPECT_THROW(heap.allocate(8, 3), invalid_alignment);
    EXPECT_THROW(heap.allocate(8, 0), invalid_alignment);
    EXPECT_THROW(heap.allocate(~std::size_t{0}), out_of_memory);
    EXPECT_THROW(heap.allocate(sizeof memory), out_of_memory);
    EXPECT_THROW(heap.allocate(sizeof memory), std::bad_alloc);
    EXPECT_EQ(heap.try_allocate(8, 3), nullptr);
    EXPECT_EQ(heap.try_allocate(sizeof memory), nullptr);
    heap.validate();
}

TEST_F(BoundaryTagHeap, RejectsForeignMisalignedAndDoubleFrees) {
    void* p = heap.allocate(64);
    int on_stack = 0;
    EXPECT_THROW(heap.deallocate(&on_stack), invalid_address);
    EXPECT_THROW(heap.deallocate(static_cast<std::byte*>(p) + 1), invalid_address);
    heap.deallocate(p);
    EXPECT_THROW(heap.deallocate(p), invalid_free);
    EXPECT_EQ(heap.try_deallocate(p), errc::invalid_free);
    EXPECT_EQ(heap.try_deallocate(&on_stack), errc::invalid_address);
    EXPECT_EQ(heap.try_deallocate(nullptr), errc::ok);
    heap.deallocate(nullptr);
    heap.validate();
    EXPECT_EQ(heap.stats().allocation_count, 0u);
}

TEST_F(BoundaryTagHeap, FailsOnlyWhenNoFreeBlockIsLargeEnoughAndStaysUsable) {
    std::vector<void*> blocks;
    while (void* p = heap.try_allocate(200)) blocks.push_back(p);
    EXPECT_LT(heap.stats().largest_free_block, 200u);
    heap.validate();
    for (std::size_t i = 0; i < blocks.size(); i += 2) heap.deallocate(blocks[i]);  // holes of one block each
    EXPECT_GE(heap.stats().largest_free_block, 200u);
    EXPECT_NE(heap.try_allocate(200), nullptr);  // fits a hole exactly
    EXPECT_EQ(heap.try_allocate(1000), nullptr);
    heap.validate();
}

TEST_F(BoundaryTagHeap, FreeSpansLieInsideLargeFreeBlocksAndMissTheirMetadata) {
    void* small = heap.allocate(100);
    void* big = heap.allocate(20000);
    void* guard = heap.allocate(100);
    heap.deallocate(big);
    struct span {
        std::byte* start;
        std::size_t bytes;
    };
    std::vector<span> spans;
    heap.for_each_free_span(
        10000,
        [](void* into, std::byte* start, std::size_t bytes) {
            static_cast<std::vector<span>*>(into)->push_back({start, bytes});
        },
        &spans);
    ASSERT_EQ(spans.size(), 2u);  // where big was, and the tail
    for (const span& s : spans) {
        EXPECT_GE(s.bytes, 10000u - 40);
        std::memset(s.start, 0x5A, s.bytes);  // scribbling there must not hurt the heap
    }
    heap.validate();
    EXPECT_EQ(heap.allocate(20000), big);
    heap.deallocate(small);
    heap.deallocate(guard);
    heap.validate();
}

TEST(BoundaryTagHeapRegions, UsesEveryRegionAndNeverJoinsAcrossThem) {
    alignas(16) static std::byte first[4096];
    alignas(16) static std::byte second[4096];
    boundary_tag_heap heap(first);
    heap.add_region(second);
    EXPECT_EQ(heap.stats().region_count, 2u);
    std::vector<void*> blocks;
    while (void* p = heap.try_allocate(500)) blocks.push_back(p);
    EXPECT_GE(blocks.size(), 14u);
    bool saw_first = false, saw_second = false;
    for (void* p : blocks) {
        saw_first |= p >= first && p < first + sizeof first;
        saw_second |= p >= second && p < second + sizeof second;
    }
    EXPECT_TRUE(saw_first && saw_second);
    for (void* p : blocks) heap.deallocate(p);
    heap.flush_quick_lists();
    EXPECT_EQ(heap.stats().free_block_count, 2u);
    heap.validate();
}

TEST(BoundaryTagHeapRegions, RejectsRegionsTooSmallForOneBlock) {
    std::byte tiny[64];
    boundary_tag_heap heap;
    EXPECT_THROW(heap.add_region(tiny), invalid_size);
    EXPECT_EQ(heap.try_allocate(1), nullptr);
    heap.validate();
}

TEST(BoundaryTagHeapRegions, TagsEveryBlockWithItsHeap) {
    alignas(16) static std::byte memory[4096];
    boundary_tag_heap heap(memory, 7);
    void* p = heap.allocate(10);
    EXPECT_EQ(boundary_tag_heap::owner_tag(p), 7);
    heap.validate();
}

TEST(BoundaryTagHeapRegions, RefusesALiveBlockWhoseTagWasOverwritten) {
    alignas(16) static std::byte memory[4096];
    boundary_tag_heap heap(memory, 7);
    auto* p = static_cast<unsigned char*>(heap.allocate(100));
    p[-1] ^= 0x41;  // an underflow by one byte reaches the header's top byte: the tag
    EXPECT_FALSE(heap.is_live(p));
    EXPECT_EQ(heap.try_deallocate(p), errc::invalid_free);
    EXPECT_TRUE(boundary_tag_heap::header_says_live(p, boundary_tag_heap::owner_tag(p)));  // live but for its tag
    EXPECT_FALSE(boundary_tag_heap::header_says_live(p, 7));
    p[-1] ^= 0x41;
    EXPECT_TRUE(boundary_tag_heap::header_says_live(p, 7));
    heap.validate();
    EXPECT_EQ(heap.try_deallocate(p), errc::ok);
    heap.validate();
}

TEST(BoundaryTagHeapStress, RandomOperationsAgainstAShadowModel) {
    const std::uint64_t seed = test::test_seed("BoundaryTagHeapStress.RandomOperationsAgainstAShadowModel");
    std::vector<std::byte> memory(256 << 10);
    boundary_tag_heap heap(memory);
    test::shadow_heap shadow;
    std::mt19937_64 random(seed);
    const std::size_t operations = test::test_operations(200'000);
    for (std::size_t step = 0; step < operations; ++step) {
        const auto choice = random() % 10;
        const std::size_t size = random() % 4 == 0 ? random() % 20000 : random() % 300;
        const std::size_t alignment = random() % 8 == 0 ? std::size_t{1} << (random() % 13) : 16;
        const auto allocate_below = shadow.count() < 400 ? 6u : 4u;  // hovers around a few hundred live blocks
        if (choice < allocate_below || shadow.empty()) {
            void* p = heap.try_allocate(size, alignment);
            if (p == nullptr) {
                if (alignment <= 16) {
                    const std::size_t smallest_usable = boundary_tag_heap::min_block_bytes - boundary_tag_heap::header_bytes;
                    ASSERT_LT(heap.stats().largest_free_block, std::max(size, smallest_usable)) << "step " << step;
                }
            } else {
                ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0u);
                shadow.add(p, size, step);
            }
        } else if (choice < 8) {  // free
            const auto victim = shadow.pick(random);
            shadow.check_and_remove(victim);
            heap.deallocate(victim);
        } else {  // reallocate
            const auto victim = shadow.pick(random);
            const std::size_t kept = std::min(size, shadow.size_of(victim));
            shadow.check_prefix(victim, kept);
            void* moved = heap.try_reallocate(victim, size, alignment);
            if (moved != nullptr) {
                shadow.move(victim, moved, size, kept, step);
            }
        }
        heap.validate();
        ASSERT_EQ(heap.stats().allocation_count, shadow.count());
    }
    for (void* p : shadow.pointers()) {
        shadow.check_and_remove(p);
        heap.deallocate(p);
    }
    heap.flush_quick_lists();
    heap.validate();
    EXPECT_EQ(heap.stats().free_block_count, 1u);
}

}  // namespace
}  // namespace heapkit
