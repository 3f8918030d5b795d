// SPDX-License-Identifier: MIT
// Two-level segregated size classes (TLSF): a size belongs to the class of its power of two
// (first level) and of one of 2^second_level_bits equal slices of that power (second level);
// sizes below 2^second_level_bits get a class each. class_bitmap finds the lowest non-empty class
// at or above a given one with two bit scans. Everything is O(1).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "heapkit/offset/units.hpp"

namespace heapkit {

// May be tuned: more slices mean tighter classes and a larger table.
inline constexpr unsigned second_level_bits = 5;
// Follow from it; not to be tuned.
inline constexpr unsigned second_level_count = 1u << second_level_bits;    // slices per power of two
inline constexpr unsigned first_level_count = 64 - second_level_bits + 1;  // powers of two of 64-bit sizes
inline constexpr std::size_t tlsf_class_count = std::size_t{first_level_count} * second_level_count;
static_assert(second_level_bits >= 1 && second_level_bits <= 5, "second-level maps are 32-bit words");

struct size_class {
    unsigned first;   // < first_level_count
    unsigned second;  // < second_level_count
    constexpr std::size_t flat() const noexcept { return std::size_t{first} * second_level_count + second; }
    static constexpr size_class from_flat(std::size_t flat) noexcept {
        return {static_cast<unsigned>(flat / second_level_count), static_cast<unsigned>(flat % second_level_count)};
    }
    friend constexpr bool operator==(size_class, size_class) = default;
};

// How many low bits of `size` (> 0) its class drops: none below 2^second_level_bits, else all
// below the top second_level_bits + 1. Without a branch: a size's class is data that the branch
// predictor cannot learn.
[[gnu::always_inline]] constexpr unsigned class_shift(Size size) noexcept {
    const auto top_bit = static_cast<unsigned>(63 - std::countl_zero(size | 1));
    return top_bit > second_level_bits ? top_bit - second_level_bits : 0;
}

// The class a free block of `size` (> 0) is filed under: its size rounded down to a class
// boundary. Flat, it is the size's kept top bits plus one level's count for each dropped bit.
[[gnu::always_inline]] constexpr size_class class_holding(Size size) noexcept {
    const unsigned shift = class_shift(size);
    return size_class::from_flat(std::size_t{shift} * second_level_count + static_cast<std::size_t>(size >> shift));
}

// The lowest class whose every block holds at least `size` units (> 0), or nothing when no class
// can promise that (sizes within one slice of 2^64).
[[gnu::always_inline]] constexpr std::optional<size_class> class_guaranteeing(Size size) noexcept {
    const Size round_up = (Size{1} << class_shift(size)) - 1;  // 0 for the small sizes
    if (size > ~Size{0} - round_up) return std::nullopt;
    return class_holding(size + round_up);
}

// The smallest size filed under `klass`.
constexpr Size class_floor(size_class klass) noexcept {
    if (klass.first == 0) return klass.second;
    const unsigned top_bit = klass.first + second_level_bits - 1;
    return (Size{1} << top_bit) + (Size{klass.second} << (top_bit - second_level_bits));
}

static_assert(class_holding(1) == size_class{0, 1});
static_assert(class_holding(second_level_count) == size_class{1, 0});
static_assert(class_holding(~Size{0}) == size_class{first_level_count - 1, second_level_count - 1});
static_assert(class_floor(class_holding(1000)) <= 1000 && class_floor(*class_guaranteeing(1000)) >= 1000);

// Which classes are non-empty, as one word of first levels and one word of slices per level.
class class_bitmap {
public:
    [[gnu::always_inline]] void mark(size_class klass) noexcept {
        first_levels_ |= std::uint64_t{1} << klass.first;
        second_levels_[klass.first] |= 1u << klass.second;
    }
    [[gnu::always_inline]] void clear(size_class klass) noexcept { clear_if(klass, true); }
    // clear(klass) when `empty`, without a branch.
    [[gnu::always_inline]] void clear_if(size_class klass, bool empty) noexcept {
        std::uint32_t& level = second_levels_[klass.first];
        level &= ~(std::uint32_t{empty} << klass.second);
        first_levels_ &= ~(std::uint64_t{level == 0} << klass.first);
    }
    bool marked(size_class klass) const noexcept { return (second_levels_[klass.first] >> klass.second) & 1u; }
    bool any_in_first_level(unsigned first) const noexcept { return (first_levels_ >> first) & 1u; }

    // The lowest marked class at or above `from`.
    [[gnu::always_inline]] std::optional<size_class> first_at_or_above(size_class from) const noexcept {
        const std::uint32_t same_level = second_levels_[from.first] & (~0u << from.second);
        if (same_level != 0) return size_class{from.first, static_cast<unsigned>(std::countr_zero(same_level))};
        const std::uint64_t higher = from.first + 1 < 64 ? first_levels_ & (~std::uint64_t{0} << (from.first + 1)) : 0;
        if (higher == 0) return std::nullopt;
        const auto first = static_cast<unsigned>(std::countr_zero(higher));
        return size_class{first, static_cast<unsigned>(std::countr_zero(second_levels_[first]))};
    }

    // The highest marked class.
    std::optional<size_class> highest() const noexcept {
        if (first_levels_ == 0) return std::nullopt;
        const auto first = static_cast<unsigned>(63 - std::countl_zero(first_levels_));
        return size_class{first, static_cast<unsigned>(31 - std::countl_zero(second_levels_[first]))};
    }

private:
    std::uint64_t first_levels_ = 0;                                // bit f: some class (f, *) is marked
    std::array<std::uint32_t, first_level_count> second_levels_{};  // bit s of word f: class (f, s) is marked
};

}  // namespace heapkit
