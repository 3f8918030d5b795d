// SPDX-License-Identifier: MIT
// Edge checks: negative and beyond-64-bit numbers fail with the facade's kinds, in its order.
#include "heapkit/offset/edge_integer.hpp"

#include <gtest/gtest.h>

namespace heapkit {
namespace {

constexpr edge_integer negative(std::uint64_t magnitude) { return {true, false, magnitude}; }
constexpr edge_integer huge{false, true, 0};
constexpr edge_integer units(std::uint64_t value) { return edge_integer::of(value); }

errc allocate_kind(edge_integer size, edge_integer alignment) {
    const auto failure = edge_allocate_error(size, alignment);
    return failure ? failure->kind : errc::ok;
}

errc free_kind(Size capacity, edge_integer address, edge_integer size) {
    const auto failure = edge_free_error(capacity, address, size);
    return failure ? failure->kind : errc::ok;
}

TEST(EdgeInteger, AllocateChecksSizeThenAlignment) {
    EXPECT_EQ(allocate_kind(negative(5), units(1)), errc::invalid_size);
    EXPECT_EQ(allocate_kind(huge, units(1)), errc::invalid_size);
    EXPECT_EQ(allocate_kind(units(0), negative(1)), errc::invalid_size);
    EXPECT_EQ(allocate_kind(units(4), negative(2)), errc::invalid_alignment);
    EXPECT_EQ(allocate_kind(units(4), huge), errc::invalid_alignment);
    EXPECT_EQ(allocate_kind(units(4), units(3)), errc::ok);  // the facade checks powers of two
}

TEST(EdgeInteger, FreeChecksInTheSeedsOrder) {
    EXPECT_EQ(free_kind(100, negative(1), units(10)), errc::invalid_address);
    EXPECT_EQ(free_kind(100, huge, negative(1)), errc::invalid_address);
    EXPECT_EQ(free_kind(100, units(100), negative(1)), errc::invalid_address);
    EXPECT_EQ(free_kind(100, units(5), negative(1)), errc::invalid_size);
    EXPECT_EQ(free_kind(100, units(5), units(0)), errc::invalid_size);
    EXPECT_EQ(free_kind(100, units(5), huge), errc::invalid_address);
    EXPECT_EQ(free_kind(100, units(5), units(500)), errc::ok);  // the facade checks the range
}

TEST(EdgeInteger, ReallocateChecksAddressThenSizeThenAlignment) {
    auto kind = [](edge_integer address, edge_integer size, edge_integer alignment) {
        const auto failure = edge_reallocate_error(100, address, size, alignment);
        return failure ? failure->kind : errc::ok;
    };
    EXPECT_EQ(kind(negative(1), negative(1), negative(1)), errc::invalid_address);
    EXPECT_EQ(kind(units(100), units(0), units(1)), errc::invalid_address);
    EXPECT_EQ(kind(units(5), negative(3), negative(1)), errc::invalid_size);
    EXPECT_EQ(kind(units(5), units(0), huge), errc::invalid_size);
    EXPECT_EQ(kind(units(5), huge, units(1)), errc::invalid_size);
    EXPECT_EQ(kind(units(5), units(3), negative(4)), errc::invalid_alignment);
    EXPECT_EQ(kind(units(5), units(3), units(3)), errc::ok);  // the facade checks powers of two
}

TEST(EdgeInteger, MessagesQuoteTheNumber) {
    EXPECT_EQ(edge_allocate_error(negative(5), units(1))->message, "allocation size must be positive, got -5");
    EXPECT_EQ(edge_free_error(100, negative(1), units(1))->message, "address -1 is outside [0, 100)");
    EXPECT_EQ(huge.to_string(), "a number above 2^64 - 1");
}

}  // namespace
}  // namespace heapkit
