// SPDX-License-Identifier: MIT
// heapkit::Fit, the placement policy of an offset allocator, and its names at the edges
// (`--fit first`, `fit="best"`). The rules themselves are in docs/PROTOCOL.md; fit_choice applies
// them to candidates offered in address order (the list's search, and constrained placement).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "heapkit/offset/units.hpp"

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

// The policy's pick among candidate blocks offered in address order (a Candidate has `block`, a
// free_block, holding the request): offer() says true once the pick is final (first fit, and
// next fit at or after the rover), so that the caller can stop. O(1) per offer.
template <class Candidate>
class fit_choice {
public:
    fit_choice(Fit fit, Offset rover) noexcept : fit_(fit), rover_(rover) {}

    bool offer(const Candidate& here) noexcept {
        switch (fit_) {
            case Fit::first: return keep(here);
            case Fit::next:
                // The first fit at or after the rover wins; before it, remember the first fit
                // from address 0 in case nothing after the rover fits.
                if (here.block.start >= rover_) return keep(here);
                if (!found_) keep(here);
                return false;
            case Fit::best:  // strict comparisons keep the lowest address on ties
                if (!found_ || here.block.size < chosen_.block.size) keep(here);
                return false;
            case Fit::worst:
                if (!found_ || here.block.size > chosen_.block.size) keep(here);
                return false;
        }
        return false;
    }
    std::optional<Candidate> chosen() const noexcept { return found_ ? std::optional<Candidate>(chosen_) : std::nullopt; }

private:
    bool keep(const Candidate& here) noexcept {
        chosen_ = here;
        found_ = true;
        return true;
    }

    Fit fit_;
    Offset rover_;
    Candidate chosen_{};  // meaningful when found_ (a plain member: GCC misjudges an optional here)
    bool found_ = false;
};

}  // namespace heapkit
