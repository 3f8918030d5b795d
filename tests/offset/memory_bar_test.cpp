// SPDX-License-Identifier: MIT
// memory_bar: one character per slice, full, empty and mixed slices, widths that do not divide
// the capacity, and huge capacities.
#include "heapkit/offset/memory_bar.hpp"

#include <gtest/gtest.h>

#include "heapkit/offset/allocators.hpp"

namespace heapkit {
namespace {

TEST(MemoryBar, OneCharacterPerUnitWhenTheCapacityIsSmall) {
    list_allocator allocator(10);
    allocator.allocate(3);
    const Offset middle = allocator.allocate(2);
    allocator.allocate(1);
    allocator.free(middle, 2);
    EXPECT_EQ(memory_bar(allocator, 64), "###..#....");
}

TEST(MemoryBar, SlicesShowFullEmptyAndMixed) {
    list_allocator allocator(100);
    allocator.allocate(25);  // columns 0 and 1 of 4 are [0,25) and [25,50)
    allocator.allocate(30);  // [25,55): column 1 full, column 2 partly
    EXPECT_EQ(memory_bar(allocator, 4), "##+.");
}

TEST(MemoryBar, WidthsThatDoNotDivideTheCapacity) {
    list_allocator allocator(10);
    allocator.allocate(4);  // columns of 3 are [0,3) [3,6) [6,10)
    EXPECT_EQ(memory_bar(allocator, 3), "#+.");
}

TEST(MemoryBar, HugeCapacityDoesNotOverflow) {
    tree_allocator allocator(~Size{0});
    allocator.allocate(~Size{0} / 2);
    EXPECT_EQ(memory_bar(allocator, 8), "####....");
}

}  // namespace
}  // namespace heapkit
