// SPDX-License-Identifier: MIT
// The error model: every kind is a heapkit::error, its standard base, and a std::exception.
#include "heapkit/offset/error.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

namespace heapkit {
namespace {

template <class Standard>
void expect_kind(errc kind, const char* name) {
    EXPECT_EQ(kind_name(kind), name);
    try {
        throw_error(kind, "message");
    } catch (const Standard& failure) {
        EXPECT_STREQ(failure.what(), "message");
        const auto* as_heapkit = dynamic_cast<const heapkit::error*>(&failure);
        ASSERT_NE(as_heapkit, nullptr);
        EXPECT_EQ(as_heapkit->kind(), kind);
        EXPECT_STREQ(as_heapkit->what(), "message");
    }
    EXPECT_THROW(throw_error(kind, "x"), std::exception);  // catch (const std::exception&) matches
}

TEST(Error, EveryKindDerivesFromItsStandardException) {
    expect_kind<std::invalid_argument>(errc::invalid_size, "invalid_size");
    expect_kind<std::invalid_argument>(errc::invalid_alignment, "invalid_alignment");
    expect_kind<std::out_of_range>(errc::invalid_address, "invalid_address");
    expect_kind<std::invalid_argument>(errc::invalid_free, "invalid_free");
    expect_kind<std::bad_alloc>(errc::out_of_memory, "out_of_memory");
    expect_kind<std::invalid_argument>(errc::invalid_constraint, "invalid_constraint");
}

TEST(Error, CatchAsHeapkitError) {
    try {
        throw_error(errc::out_of_memory, "no room");
    } catch (const heapkit::error& failure) {
        EXPECT_EQ(failure.kind(), errc::out_of_memory);
        EXPECT_STREQ(failure.what(), "no room");
    }
}

TEST(Error, ThrowingOkIsALogicError) { EXPECT_THROW(throw_error(errc::ok, "nothing"), std::logic_error); }

TEST(Error, ResultCarriesAValueOrAKind) {
    const result<int> value = 7;
    EXPECT_TRUE(value);
    EXPECT_EQ(*value, 7);
    EXPECT_EQ(value.value(), 7);
    const result<int> failure = errc::invalid_free;
    EXPECT_FALSE(failure);
    EXPECT_EQ(failure.error(), errc::invalid_free);
    EXPECT_THROW((void)failure.value(), std::logic_error);
}

}  // namespace
}  // namespace heapkit
