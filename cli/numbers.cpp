// SPDX-License-Identifier: MIT
// The number rules of the command line and of the shell, on one reading of decimal digits.
#include "numbers.hpp"

#include <limits>

namespace heapkit::cli {

std::optional<edge_integer> parse_edge_integer(std::string_view word) noexcept {
    edge_integer number;
    if (word.starts_with('-')) {
        number.negative = true;
        word.remove_prefix(1);
    }
    if (word.empty()) return std::nullopt;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char digit : word) {
        if (digit < '0' || digit > '9') return std::nullopt;
        const auto value = static_cast<std::uint64_t>(digit - '0');
        if (number.magnitude > (max - value) / 10) number.beyond_64_bits = true;
        number.magnitude = number.magnitude * 10 + value;  // meaningless once beyond 64 bits
    }
    if (number.magnitude == 0 && !number.beyond_64_bits) number.negative = false;  // -0 is zero
    return number;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept {
    if (text.starts_with('-')) return std::nullopt;
    const std::optional<edge_integer> number = parse_edge_integer(text);
    if (!number || number->beyond_64_bits) return std::nullopt;
    return number->magnitude;
}

}  // namespace heapkit::cli
