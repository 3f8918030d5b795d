// SPDX-License-Identifier: MIT
// Units of an abstract contiguous resource: offsets, sizes, owners, and the free-block value type.
// Everything here is constexpr arithmetic that cannot wrap around: O(1), no allocation.
#pragma once

#include <cstdint>
#include <optional>

namespace heapkit {

using Offset = std::uint64_t;  // an address inside [0, capacity)
using Size = std::uint64_t;    // a number of units; capacity may be up to 2^64 - 1
using Owner = std::uint64_t;   // a tag naming who holds an allocation (a VM, a session, an mID)

// A maximal run of free units, [start, start + size).
struct free_block {
    Offset start;  // first unit of the run
    Size size;     // > 0
    friend bool operator==(const free_block&, const free_block&) = default;
};

constexpr bool is_power_of_two(Size value) noexcept { return value != 0 && (value & (value - 1)) == 0; }

// Units to skip from `address` to the next multiple of `alignment` (a power of two); always
// < alignment, so it never wraps.
constexpr Size alignment_padding(Offset address, Size alignment) noexcept {
    return (alignment - (address & (alignment - 1))) & (alignment - 1);
}

// Where a request of `size` units aligned to `alignment` would start inside `block`, or nothing
// when it does not fit: the aligned start plus the size must not pass the block's end.
constexpr std::optional<Offset> aligned_start_in(free_block block, Size size, Size alignment) noexcept {
    const Size padding = alignment_padding(block.start, alignment);
    if (padding > block.size || size > block.size - padding) return std::nullopt;
    return block.start + padding;
}

}  // namespace heapkit
