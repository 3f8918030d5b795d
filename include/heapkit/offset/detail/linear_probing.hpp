// SPDX-License-Identifier: MIT
// Backward-shift deletion in a linear-probing table, shared by offset_map, address_table and the
// malloc layer's registry of large blocks: when a cell is emptied, a later cell of the same run
// may move back into it.
#pragma once

#include <cstddef>

namespace heapkit::detail {

// Whether the entry at `at`, whose home is `home`, may move back into `hole`: only if the hole
// lies on its probe path, cyclically in [home, at).
inline bool may_move_back(std::size_t home, std::size_t hole, std::size_t at) noexcept {
    if (hole <= at) return home <= hole || home > at;
    return home <= hole && home > at;
}

// Empties cell `hole` of `cells` (a std::vector or std::span of a power of two cells) by moving later cells of its run back
// where their probe paths allow; returns the cell that is left empty, for the caller to mark so.
// is_empty(cell) tells an empty cell, home_of(cell) the cell it hashes to.
template <class Cells, class IsEmpty, class HomeOf>
std::size_t shift_back(Cells& cells, std::size_t hole, IsEmpty is_empty, HomeOf home_of) noexcept {
    const std::size_t mask = cells.size() - 1;
    for (std::size_t at = (hole + 1) & mask; !is_empty(cells[at]); at = (at + 1) & mask) {
        if (may_move_back(home_of(cells[at]), hole, at)) {
            cells[hole] = cells[at];
            hole = at;
        }
    }
    return hole;
}

}  // namespace heapkit::detail
