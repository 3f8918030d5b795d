// SPDX-License-Identifier: MIT
// heapkit::constraints: where a request may be placed, the way vmem's vmem_xalloc and the DMA
// allocators ask (Bonwick & Adams 2001): an alignment and a phase, a boundary it must not cross,
// and an address window. lowest_placement finds the lowest satisfying address inside one free
// block, or says which constraint refused it. O(1), no arithmetic that can wrap.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// An address `a` satisfies these for a request of `size` units when a % alignment == phase,
// [a, a + size) does not cross a multiple of nocross (0: no boundary), min_address <= a and
// a + size <= max_address.
struct constraints {
    Size alignment = 1;                                       // a power of two
    Offset phase = 0;                                         // below alignment
    Size nocross = 0;                                         // 0, or a power of two at least the size
    Offset min_address = 0;                                   // the lowest start allowed
    Offset max_address = std::numeric_limits<Offset>::max();  // the end may not pass it
    friend bool operator==(const constraints&, const constraints&) = default;
};

// Why a free block holds no satisfying placement, in the order lowest_placement asks.
enum class refusal : unsigned char {
    too_small,  // the block is smaller than the request
    window,     // its part inside [min_address, max_address) is smaller than the request
    alignment,  // no address of the right phase leaves room for the request
    nocross,    // every such address makes the request cross a boundary
};

// How a message names the blocks a refusal turned away: "2 outside the window".
constexpr std::string_view refusal_name(refusal why) noexcept {
    switch (why) {
        case refusal::too_small: return "too small";
        case refusal::window: return "outside the window";
        case refusal::alignment: return "with no room at the alignment and phase";
        case refusal::nocross: return "where it would cross a boundary";
    }
    return "refused";
}

// The error kind of a request that no placement can ever satisfy, ok when it is well formed:
// invalid_size (size 0), invalid_alignment (not a power of two), invalid_constraint (phase not
// below the alignment, nocross not 0 nor a power of two at least the size, or a window smaller
// than the size).
constexpr errc constraint_error(Size size, const constraints& wanted) noexcept {
    if (size == 0) return errc::invalid_size;
    if (!is_power_of_two(wanted.alignment)) return errc::invalid_alignment;
    if (wanted.phase >= wanted.alignment) return errc::invalid_constraint;
    if (wanted.nocross != 0 && (!is_power_of_two(wanted.nocross) || wanted.nocross < size)) return errc::invalid_constraint;
    if (wanted.min_address > wanted.max_address || wanted.max_address - wanted.min_address < size)
        return errc::invalid_constraint;
    return errc::ok;
}

// Whether the constraints ask no more than an alignment, for a range of `capacity` units: then
// an index's own search serves them.
constexpr bool asks_only_alignment(const constraints& wanted, Size capacity) noexcept {
    return wanted.phase == 0 && wanted.nocross == 0 && wanted.min_address == 0 && wanted.max_address >= capacity;
}

// The lowest address inside `block` that satisfies `wanted` for `size` units, or the first
// constraint that refuses every address of it. The request must be well formed (constraint_error
// says ok).
struct placement_answer {
    std::optional<Offset> address;
    refusal why = refusal::too_small;  // when there is no address
};
constexpr placement_answer lowest_placement(free_block block, Size size, const constraints& wanted) noexcept {
    if (block.size < size) return {std::nullopt, refusal::too_small};
    const Offset low = block.start > wanted.min_address ? block.start : wanted.min_address;
    const Offset end = block.start + block.size;
    const Offset high = end < wanted.max_address ? end : wanted.max_address;
    if (high < low || high - low < size) return {std::nullopt, refusal::window};
    const Offset last = high - size;  // the highest start that stays inside
    // The first address at or above `low` whose remainder is the phase.
    const Offset below = low - (low & (wanted.alignment - 1));
    if (below > last || wanted.phase > last - below) return {std::nullopt, refusal::alignment};
    Offset address = below + wanted.phase;
    if (address < low) {
        if (wanted.alignment > last - address) return {std::nullopt, refusal::alignment};
        address += wanted.alignment;
    }
    if (wanted.nocross == 0 || (address & (wanted.nocross - 1)) + size <= wanted.nocross) return {address, refusal::too_small};
    // It crosses. Below the boundary every later address of this phase crosses further; past it,
    // the first is the boundary plus the phase (the boundary is a multiple of the alignment when
    // the alignment is smaller), and with an alignment at least nocross no address does better.
    if (wanted.alignment >= wanted.nocross || wanted.phase + size > wanted.nocross) return {std::nullopt, refusal::nocross};
    const Offset boundary = address - (address & (wanted.nocross - 1));
    if (wanted.nocross > last - boundary || wanted.phase > last - boundary - wanted.nocross)
        return {std::nullopt, refusal::nocross};
    return {boundary + wanted.nocross + wanted.phase, refusal::too_small};
}

}  // namespace heapkit
