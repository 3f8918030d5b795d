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
    return edge_error{errc::invalid_address,
                      "address " + address.to_string() + " is outside [0, " + std::to_string(capacity) + ")"};
}

std::optional<edge_error> edge_allocate_error(const edge_integer& size, const edge_integer& alignment) {
    // Size 0 is a unit count, but the facade checks it before the alignment, so it is caught
    // here too: an invalid alignment must not be reported ahead of it.
    if (!size.as_units() || size.magnitude == 0) {
        return edge_error{errc::invalid_size, "allocation size must be positive, got " + size.to_string()};
    }
    if (!alignment.as_units()) {
        return edge_error{errc::invalid_alignment, "alignment " + alignment.to_string() + " is not a power of two"};
    }
    return std::nullopt;
}

std::optional<edge_error> edge_free_error(Size capacity, const edge_integer& address, const edge_integer& size) {
    if (auto outside = edge_address_error(capacity, address)) return outside;
    if (size.negative || (!size.beyond_64_bits && size.magnitude == 0)) {
        return edge_error{errc::invalid_size, "free size must be positive, got " + size.to_string()};
    }
    if (size.beyond_64_bits) {
        return edge_error{errc::invalid_address, "range of " + size.to_string() + " units at " + address.to_string() +
                                                     " passes the end of memory (capacity " + std::to_string(capacity) + ")"};
    }
    return std::nullopt;
}

std::optional<edge_error> edge_reallocate_error(Size capacity, const edge_integer& address, const edge_integer& new_size,
                                                const edge_integer& alignment) {
    if (auto outside = edge_address_error(capacity, address)) return outside;
    if (!new_size.as_units() || new_size.magnitude == 0) {
        return edge_error{errc::invalid_size, "new size must be positive, got " + new_size.to_string()};
    }
    if (!alignment.as_units()) {
        return edge_error{errc::invalid_alignment, "alignment " + alignment.to_string() + " is not a power of two"};
    }
    return std::nullopt;
}

}  // namespace heapkit
