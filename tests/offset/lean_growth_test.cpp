// SPDX-License-Identifier: MIT
// room_for_one_more: a node array grows by a quarter, so its unused capacity stays under a fifth
// of it (plus the first 16), where std::vector's doubling leaves up to half.
#include "heapkit/offset/detail/lean_growth.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

namespace heapkit {
namespace {

TEST(LeanGrowth, LeavesLessThanAFifthUnused) {
    std::vector<int> storage;
    std::size_t growths = 0;
    for (int value = 0; value < 1000000; ++value) {
        const std::size_t before = storage.capacity();
        detail::room_for_one_more(storage);
        if (storage.capacity() != before) ++growths;
        const std::size_t capacity = storage.capacity();
        storage.push_back(value);
        ASSERT_EQ(storage.capacity(), capacity) << "push_back reallocated at " << value;
        ASSERT_LE(capacity, storage.size() + storage.size() / 4 + 16);
    }
    EXPECT_LT(growths, 60u);  // geometric: log base 1.25 of a million is 62
}

}  // namespace
}  // namespace heapkit
