// SPDX-License-Identifier: MIT
// heapkit::memory_bar: the whole range as one line of text for a terminal, each character a
// slice of equal width: '#' every unit allocated, '.' every unit free, '+' some of each.
// The examples draw their before/after maps with it. O(blocks + columns).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// `columns` characters (fewer when the capacity has fewer units) for any allocator with
// capacity() and for_each_block().
template <class Allocator>
std::string memory_bar(const Allocator& allocator, std::size_t columns = 64) {
    const Size capacity = allocator.capacity();
    columns = static_cast<std::size_t>(std::min<Size>(columns, capacity));
    // Column c covers [edge(c), edge(c + 1)), edge(c) = floor(c * capacity / columns) computed
    // without overflow as c * quotient + floor(c * remainder / columns).
    const Size quotient = capacity / columns;
    const Size remainder = capacity % columns;
    const auto edge = [&](std::size_t column) { return column * quotient + column * remainder / columns; };
    std::vector<Size> allocated_units(columns, 0);
    std::size_t first_column = 0;
    allocator.for_each_block([&](block_state state, Offset start, Size size) {
        while (edge(first_column + 1) <= start) ++first_column;
        if (state == block_state::free) return;
        const Offset end = start + size;
        for (std::size_t column = first_column; column < columns && edge(column) < end; ++column) {
            allocated_units[column] += std::min(end, edge(column + 1)) - std::max(start, edge(column));
        }
    });
    std::string bar(columns, '+');
    for (std::size_t column = 0; column < columns; ++column) {
        if (allocated_units[column] == 0) bar[column] = '.';
        if (allocated_units[column] == edge(column + 1) - edge(column)) bar[column] = '#';
    }
    return bar;
}

}  // namespace heapkit
