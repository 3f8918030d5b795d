// SPDX-License-Identifier: MIT
// Edge checks for numbers that are not unit counts (negative, or beyond 64 bits).
#include "heapkit/offset/edge_integer.hpp"

namespace heapkit {

std::string edge_integer::to_string() const {
    if (beyond_64_bits) return negative ? "a number below -(2^64 - 1)" : "a number above 2^64 - 1";
    return (negative ? "-" : "") + std::to_string(magnitude);
}

std::optional<edge_error> edge_address_error(Size capacity, const edge_integer& address) {
    if (address.as_units() && address.magnitude < capacity) return std::nullopt;
    const std::string shown =
        address.beyond_64_bits ? (address.negative ? "below -(2^64 - 1)" : "above 2^64 - 1") : address.to_string();
    return edge_error{errc::invalid_address, "address " + shown + " is outside [0, " + std::to_string(capacity) + ")"};
}

namespace {

// Why `size` (not a unit count, or 0) cannot be the size of `what`.
edge_error size_error(const char* what, const edge_integer& size) {
    if (size.beyond_64_bits && !size.negative) {
        return {errc::invalid_size, std::string(what) + " must be at most 2^64 - 1, got a larger number"};
    }
    return {errc::invalid_size, std::string(what) + " must be positive, got " + size.to_string()};
}

// Why `alignment` (not a unit count) cannot be an alignment.
edge_error alignment_error(const edge_integer& alignment) {
    if (alignment.beyond_64_bits && !alignment.negative) {
        return {errc::invalid_alignment, "alignment must be a power of two of at most 2^63, got a larger number"};
    }
    return {errc::invalid_alignment, "alignment " + alignment.to_string() + " is not a power of two"};
}

}  // namespace

std::optional<edge_error> edge_allocate_error(const edge_integer& size, const edge_integer& alignment) {
    // Size 0 is a unit count, but the facade checks it before the alignment, so it is caught
    // here too: an invalid alignment must not be reported ahead of it.
    if (!size.as_units() || size.magnitude == 0) return size_error("allocation size", size);
    if (!alignment.as_units()) return alignment_error(alignment);
    return std::nullopt;
}

std::optional<edge_error> edge_free_error(Size capacity, const edge_integer& address, const edge_integer& size) {
    return edge_range_error(capacity, address, size, "free size");
}

std::optional<edge_error> edge_range_error(Size capacity, const edge_integer& address, const edge_integer& size,
                                           const char* what) {
    if (auto outside = edge_address_error(capacity, address)) return outside;
    if (size.negative || (!size.beyond_64_bits && size.magnitude == 0)) {
        return edge_error{errc::invalid_size, std::string(what) + " must be positive, got " + size.to_string()};
    }
    if (size.beyond_64_bits) {
        return edge_error{errc::invalid_address, "a range of more than 2^64 - 1 units at " + address.to_string() +
                                                     " passes the end of memory (capacity " + std::to_string(capacity) + ")"};
    }
    return std::nullopt;
}

std::optional<edge_error> edge_span_error(const edge_integer& start, const edge_integer& size) {
    if (size.negative || (!size.beyond_64_bits && size.magnitude == 0))
        return edge_error{errc::invalid_size, "span size must be positive, got " + size.to_string()};
    if (!start.as_units() || size.beyond_64_bits)
        return edge_error{errc::invalid_address,
                          "a span at " + start.to_string() + " of " + size.to_string() + " units is outside [0, 2^64 - 1)"};
    return std::nullopt;
}

std::optional<edge_error> edge_constraint_error(const edge_integer& value, const char* name) {
    if (value.as_units()) return std::nullopt;
    return edge_error{errc::invalid_constraint, std::string(name) + " must be 0 to 2^64 - 1, got " + value.to_string()};
}

std::optional<edge_error> edge_reallocate_error(Size capacity, const edge_integer& address, const edge_integer& new_size,
                                                const edge_integer& alignment) {
    if (auto outside = edge_address_error(capacity, address)) return outside;
    if (!new_size.as_units() || new_size.magnitude == 0) return size_error("new size", new_size);
    if (!alignment.as_units()) return alignment_error(alignment);
    return std::nullopt;
}

}  // namespace heapkit
