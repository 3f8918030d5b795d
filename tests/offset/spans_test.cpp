// SPDX-License-Identifier: MIT
// Spans: the span set merges and splits runs; the facade adds and removes spans, never merges or
// places across a gap, checks every address against the spans, and tells what stood in the way.
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/detail/span_set.hpp"
#include "heapkit/offset/memory_map.hpp"

namespace heapkit {
namespace {

TEST(SpanSet, AddMergesTouchingRunsAndRemoveSplitsThem) {
    detail::span_set spans;
    EXPECT_TRUE(spans.contiguous_from_zero());
    spans.add(10, 5);
    spans.add(20, 5);
    spans.add(15, 5);  // joins both
    EXPECT_EQ(spans.runs(), (std::vector<free_block>{{10, 15}}));
    EXPECT_FALSE(spans.contiguous_from_zero());
    spans.remove(12, 3);
    spans.remove(10, 2);
    spans.remove(22, 3);
    EXPECT_EQ(spans.runs(), (std::vector<free_block>{{15, 7}}));
    EXPECT_EQ(spans.total(), 7u);
    EXPECT_EQ(spans.end(), 22u);
    EXPECT_EQ(spans.holding(14), nullptr);
    EXPECT_EQ(spans.holding(21)->start, 15u);
    spans.add(0, 15);
    EXPECT_TRUE(spans.contiguous_from_zero());
    EXPECT_NO_THROW(spans.validate());
}

TEST(Spans, NothingMergesOrIsPlacedAcrossAGap) {
    tree_allocator allocator(no_spans);
    EXPECT_EQ(allocator.capacity(), 0u);
    EXPECT_EQ(allocator.try_allocate(1).error(), errc::out_of_memory);
    allocator.add_span(0, 10);
    allocator.add_span(11, 10);
    EXPECT_EQ(allocator.try_allocate(11).error(), errc::out_of_memory);
    EXPECT_EQ(allocator.allocate(10), 0u);
    EXPECT_EQ(allocator.try_reallocate(0, 11).error(), errc::out_of_memory);  // cannot grow, or move, over the gap
    EXPECT_EQ(allocator.try_free(10, 1), errc::invalid_address);              // in the gap
    EXPECT_EQ(allocator.try_free(0, 12), errc::invalid_address);              // passes the end of its span
    EXPECT_EQ(allocator.try_allocate_at(9, 2).error(), errc::invalid_address);
    EXPECT_THROW(allocator.relocate(0, 12), invalid_address);  // [12, +10) passes the end of [11, +10)
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-9)] [Free(11-20)]");
    EXPECT_TRUE(allocator.has_gaps());
    EXPECT_EQ(allocator.address_limit(), 21u);
    allocator.validate();
}

TEST(Spans, ATouchingSpanMergesWithTheFreeUnitsOfItsNeighbour) {
    MemoryAllocator allocator(10);
    allocator.add_span(10, 10);
    EXPECT_EQ(allocator.spans(), (std::vector<free_block>{{0, 20}}));
    EXPECT_FALSE(allocator.has_gaps());
    EXPECT_EQ(allocator.allocate(15), 0u);  // covers what were two spans
    allocator.free(0, 15);
    EXPECT_EQ(allocator.free_block_count(), 1u);
    allocator.validate();
}

TEST(Spans, ConstraintsSeeTheEndOfTheHighestSpan) {
    tree_allocator allocator(no_spans);
    allocator.add_span(1000, 100);
    constraints below;
    below.max_address = 500;  // below every span: nothing fits, though 500 > capacity
    EXPECT_EQ(allocator.try_allocate(10, below).error(), errc::out_of_memory);
    below.max_address = 1050;
    EXPECT_EQ(*allocator.try_allocate(10, below), 1000u);
}

TEST(Spans, ErrorsNameTheSpanAndWhatIsInTheWay) {
    const auto message = [](auto call) -> std::string {
        try {
            call();
        } catch (const heapkit::error& failure) {
            return std::string(kind_name(failure.kind())) + ": " + failure.what();
        }
        return "no error";
    };
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.free_after(allocator.allocate(10), 10, 7);
    EXPECT_EQ(message([&] { allocator.add_span(90, 20); }),
              "invalid_address: cannot add the span [90, +20): it overlaps the span [0, +100)");
    EXPECT_EQ(
        message([&] { allocator.add_span(std::numeric_limits<Offset>::max(), 1); }),
        "invalid_address: cannot add the span [18446744073709551615, +1): it passes 2^64 - 1, the end of the address space");
    EXPECT_EQ(message([&] { allocator.remove_span(5, 10); }),
              "invalid_free: cannot remove the span [5, +10): the allocation [0, +10) is inside it");
    EXPECT_EQ(message([&] { allocator.remove_span(15, 10); }),
              "invalid_free: cannot remove the span [15, +10): [10, +10) waits for a deferred free (epoch 7)");
    EXPECT_EQ(message([&] { allocator.remove_span(50, 51); }),
              "invalid_address: cannot remove the span [50, +51): it passes the end of the span [0, +100)");
    EXPECT_EQ(message([&] { allocator.remove_span(50, 0); }), "invalid_size: span size must be positive, got 0");
    allocator.remove_span(50, 10);
    EXPECT_EQ(message([&] { allocator.free(55, 1); }), "invalid_address: address 55 is in no span");
    EXPECT_EQ(message([&] { allocator.reallocate(55, 1); }), "invalid_address: address 55 is in no span");
    EXPECT_EQ(message([&] { allocator.free(40, 20); }),
              "invalid_address: range of 20 units at 40 passes the end of its span [0, +50)");
    EXPECT_EQ(allocator.capacity(), 90u);
    EXPECT_EQ(allocator.free_memory(), 70u);
    allocator.validate();
}

TEST(Spans, TheLastUnitBelow2To64CanBeManaged) {
    MemoryAllocator allocator(no_spans);
    const Offset top = std::numeric_limits<Offset>::max();
    allocator.add_span(top - 8, 8);
    EXPECT_EQ(allocator.allocate(8), top - 8);
    EXPECT_EQ(allocator.try_add_span(top - 1, 1), errc::invalid_address);
    allocator.free(top - 8, 8);
    allocator.remove_span(top - 8, 8);
    EXPECT_TRUE(allocator.spans().empty());
    allocator.validate();
}

}  // namespace
}  // namespace heapkit
