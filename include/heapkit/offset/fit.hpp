// SPDX-License-Identifier: MIT
// heapkit::Fit, the placement policy of an offset allocator, and its names at the edges
// (`--fit first`, `fit="best"`). The rules themselves are in docs/PROTOCOL.md and in each index.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace heapkit {

enum class Fit : unsigned char {
    first,  // the lowest-addressed free block that fits
    next,   // the first block that fits at or after the rover (end of the previous allocation), else from 0
    best,   // the smallest free block that fits, lowest address on ties
    worst,  // the largest free block that fits, lowest address on ties
};

inline constexpr std::array<Fit, 4> all_fits{Fit::first, Fit::next, Fit::best, Fit::worst};

constexpr std::string_view fit_name(Fit fit) noexcept {
    switch (fit) {
        case Fit::first: return "first";
        case Fit::next: return "next";
        case Fit::best: return "best";
        case Fit::worst: return "worst";
    }
    return "unknown";
}

// The policy named `name`, or nothing for an unknown name. O(1).
constexpr std::optional<Fit> fit_from_name(std::string_view name) noexcept {
    for (Fit fit : all_fits) {
        if (fit_name(fit) == name) return fit;
    }
    return std::nullopt;
}

}  // namespace heapkit
