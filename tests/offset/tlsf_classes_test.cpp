// SPDX-License-Identifier: MIT
// Two-level size classes: filing rounds down, the guaranteeing class rounds up, and the bitmap
// finds the lowest non-empty class at or above any class.
#include "heapkit/offset/tlsf_classes.hpp"

#include <gtest/gtest.h>

#include <random>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

TEST(TlsfClasses, SmallSizesHaveAClassEach) {
    for (Size size = 1; size < second_level_count; ++size) {
        EXPECT_EQ(class_holding(size), (size_class{0, static_cast<unsigned>(size)}));
        EXPECT_EQ(class_guaranteeing(size), class_holding(size));
    }
}

TEST(TlsfClasses, HoldingRoundsDownAndGuaranteeingRoundsUp) {
    const std::uint64_t seed = test::test_seed("TlsfClasses.HoldingRoundsDownAndGuaranteeingRoundsUp");
    std::mt19937_64 random(seed);
    for (int i = 0; i < 100000; ++i) {
        const Size size = random() >> (random() % 64);
        if (size == 0) continue;
        const size_class holding = class_holding(size);
        ASSERT_LE(class_floor(holding), size) << size;
        if (holding.flat() + 1 < tlsf_class_count) {
            const size_class above = size_class::from_flat(holding.flat() + 1);
            ASSERT_GT(class_floor(above), size) << size;  // the next class starts above it
        }
        if (const std::optional<size_class> promised = class_guaranteeing(size)) {
            ASSERT_GE(class_floor(*promised), size) << size;
            ASSERT_LE(promised->flat(), holding.flat() + 1) << size;  // at most one class up
        } else {
            ASSERT_GT(size, ~Size{0} - (Size{1} << (63 - second_level_bits))) << size;
        }
    }
}

// Every class boundary, from both sides: the branch-free class_holding and class_guaranteeing
// against class_floor, which computes the boundaries from the two levels directly.
TEST(TlsfClasses, EveryBoundaryFromBothSides) {
    for (std::size_t flat = 1; flat < tlsf_class_count; ++flat) {
        const size_class klass = size_class::from_flat(flat);
        const Size floor = class_floor(klass);
        ASSERT_EQ(class_holding(floor), klass) << floor;
        ASSERT_EQ(class_holding(floor - 1).flat(), flat - 1) << floor;
        ASSERT_EQ(class_guaranteeing(floor), klass) << floor;
        if (floor - 1 > class_floor(size_class::from_flat(flat - 1))) {
            ASSERT_EQ(class_guaranteeing(floor - 1), klass) << floor;  // rounded up to this boundary
        }
    }
    EXPECT_EQ(class_holding(~Size{0}).flat(), tlsf_class_count - 1);
}

TEST(TlsfClasses, BitmapFindsTheLowestMarkedClassAtOrAbove) {
    class_bitmap bitmap;
    EXPECT_FALSE(bitmap.first_at_or_above({0, 0}));
    EXPECT_FALSE(bitmap.highest());
    bitmap.mark({3, 7});
    bitmap.mark({10, 0});
    EXPECT_EQ(bitmap.first_at_or_above({0, 0}), (size_class{3, 7}));
    EXPECT_EQ(bitmap.first_at_or_above({3, 7}), (size_class{3, 7}));
    EXPECT_EQ(bitmap.first_at_or_above({3, 8}), (size_class{10, 0}));
    EXPECT_EQ(bitmap.highest(), (size_class{10, 0}));
    bitmap.clear({10, 0});
    EXPECT_FALSE(bitmap.first_at_or_above({3, 8}));
    EXPECT_FALSE(bitmap.any_in_first_level(10));
    bitmap.mark({first_level_count - 1, second_level_count - 1});
    EXPECT_EQ(bitmap.first_at_or_above({4, 0}), (size_class{first_level_count - 1, second_level_count - 1}));
}

}  // namespace
}  // namespace heapkit
