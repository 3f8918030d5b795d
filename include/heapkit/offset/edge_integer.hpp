// SPDX-License-Identifier: MIT
// heapkit::edge_integer: a whole number as a text or Python edge receives it (any sign, any
// magnitude), and the checks that turn edge arguments into the facade's error kinds in the
// seed's order, so that `allocate -5` and `allocate(2**70)` fail like other invalid values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

struct edge_integer {
    bool negative = false;        // below zero (never set for zero)
    bool beyond_64_bits = false;  // |value| > 2^64 - 1; magnitude is then meaningless
    std::uint64_t magnitude = 0;  // |value|

    static constexpr edge_integer of(std::uint64_t value) noexcept { return {false, false, value}; }
    // The value when it is a unit count, 0 .. 2^64 - 1.
    constexpr std::optional<std::uint64_t> as_units() const noexcept {
        if (negative || beyond_64_bits) return std::nullopt;
        return magnitude;
    }
    std::string to_string() const;  // "-5", "12", "a number above 2^64 - 1"
};

// A failure found at the edge, before the facade is called.
struct edge_error {
    errc kind;
    std::string message;
};

// invalid_address when `address` is not inside [0, capacity); nothing otherwise.
std::optional<edge_error> edge_address_error(Size capacity, const edge_integer& address);

// The first error in allocate(size, alignment) that the facade cannot see because a value is not
// a unit count: invalid_size for a size that is not positive or too large, then
// invalid_alignment for an alignment that is negative or too large. Nothing when the facade can
// check the rest itself.
std::optional<edge_error> edge_allocate_error(const edge_integer& size, const edge_integer& alignment);

// The same for free(address, size) on an allocator of `capacity` units, in the seed's order:
// address outside, size not positive, range past the end.
std::optional<edge_error> edge_free_error(Size capacity, const edge_integer& address, const edge_integer& size);
// The same for any call on a range [address, +size) (allocate_at, free_after), its size called `what`.
std::optional<edge_error> edge_range_error(Size capacity, const edge_integer& address, const edge_integer& size,
                                           const char* what);

// The same for add_span and remove_span(start, size): size not positive, then start negative or
// beyond 64 bits, then a size beyond 64 bits.
std::optional<edge_error> edge_span_error(const edge_integer& start, const edge_integer& size);

// invalid_constraint when a placement constraint `name` (phase, nocross, min, max) is negative
// or beyond 64 bits; nothing otherwise.
std::optional<edge_error> edge_constraint_error(const edge_integer& value, const char* name);

// The same for reallocate(address, new_size, alignment): address outside, new size not
// positive or too large, alignment negative or too large.
std::optional<edge_error> edge_reallocate_error(Size capacity, const edge_integer& address, const edge_integer& new_size,
                                                const edge_integer& alignment);

}  // namespace heapkit
